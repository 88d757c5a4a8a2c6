-- The software catalog. Entities come from registered locations; a refresh of a location
-- replaces what it provides in one transaction, so readers never see half of it.

-- Registered locations and the outcome of their last refresh.
CREATE TABLE locations (
    id               TEXT PRIMARY KEY NOT NULL,
    type             TEXT NOT NULL,
    target           TEXT NOT NULL,
    origin           TEXT NOT NULL,             -- 'config' or 'api'
    created_at       BIGINT NOT NULL,
    last_attempt_at  BIGINT,
    last_success_at  BIGINT,
    last_duration_ms BIGINT,
    entity_count     BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    source_version   TEXT,                      -- what was last processed (a Git commit): unchanged, it is not read again
    UNIQUE (type, target)
);

-- One row per entity: its processed form (what the API returns, relations joined on read) and
-- the document as read, with where it came from and the problems of its latest read.
CREATE TABLE entities (
    id           INTEGER PRIMARY KEY,           -- internal key for the big tables (cheap, ordered)
    uid          TEXT NOT NULL UNIQUE,
    entity_ref   TEXT NOT NULL UNIQUE,          -- kind:namespace/name, lower-case
    kind         TEXT NOT NULL,                 -- lower-case
    namespace    TEXT NOT NULL,
    name         TEXT NOT NULL,                 -- lower-case
    location_id  TEXT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    source       TEXT NOT NULL,                 -- the file it was read from
    document     INTEGER NOT NULL,              -- its 0-based index in that file
    hash         TEXT NOT NULL,                 -- of the processed form: unchanged entities are not rewritten
    etag         TEXT NOT NULL,
    body         TEXT NOT NULL,
    raw          TEXT NOT NULL,
    errors       TEXT,                          -- JSON list when the latest read failed (this is the last good version)
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX entities_location ON entities (location_id);
CREATE INDEX entities_kind_name ON entities (kind, name);

-- Relations as declared (`ownedBy`, `parentOf`…): the source is the entity whose spec declared
-- them, so its rows go with it. The reverse direction (`ownerOf`, `childOf`…) is read from the
-- same rows, not stored twice.
CREATE TABLE relations (
    source_ref  TEXT NOT NULL,
    type        TEXT NOT NULL,
    target_ref  TEXT NOT NULL
);
CREATE INDEX relations_source ON relations (source_ref, type);
CREATE INDEX relations_target ON relations (target_ref, type);

-- The rows of an entity in the tables below go with it: every statement that removes entities
-- removes them first (a foreign key would cost a lookup for each of millions of inserted rows).

-- Flattened fields for filters and facets (`spec.type=service`): lower-case value, original for display.
CREATE TABLE search (
    entity_id       BIGINT NOT NULL,
    key             TEXT NOT NULL,
    value           TEXT NOT NULL,
    original_value  TEXT NOT NULL
);
CREATE INDEX search_key_value ON search (key, value, entity_id);
CREATE INDEX search_entity ON search (entity_id);

-- Lower-case words of each entity for full-text search, apart from the wide entity rows: a
-- search scans a few megabytes, not the whole catalog.
CREATE TABLE entity_text (
    entity_id  INTEGER PRIMARY KEY,
    text       TEXT NOT NULL
);

-- Documents that could not become entities (and had no earlier good version), per location.
CREATE TABLE location_problems (
    location_id  TEXT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    document     INTEGER,
    entity_ref   TEXT,
    line         INTEGER,
    category     TEXT NOT NULL,                 -- yaml, invalid, fetch, conflict, read
    message      TEXT NOT NULL
);
CREATE INDEX location_problems_location ON location_problems (location_id);
