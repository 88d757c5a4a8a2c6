-- Sign-in and access: sessions (shared by every replica), machine tokens and the audit log.

-- tower-sessions records: the session's data as JSON, who it belongs to once signed in (so an
-- admin can revoke a person's sessions), and when it lapses (idle or absolute, the earlier).
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    data        TEXT NOT NULL,
    user_ref    TEXT,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_ref);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- API tokens for machines: only the SHA-256 of the secret is kept; the secret is shown once.
CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    scopes        TEXT NOT NULL,               -- JSON list: catalog:read, catalog:write, events:write
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    revoked_by    TEXT
);

-- Security-relevant actions, newest read first.
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,                 -- user:ns/name, token:name, guest, anonymous
    action      TEXT NOT NULL,                 -- sign-in, sign-in-refused, sign-out, token-created…
    target      TEXT,
    outcome     TEXT NOT NULL,                 -- allowed | denied | failed
    detail      TEXT,
    ip          TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
