-- Scaffolder tasks: a template run, created by a request and executed by a worker of any replica
-- (claimed until `claim_until`, renewed by its heartbeat), with its events as the log the task
-- page streams. JSON is stored as text.
CREATE TABLE scaffolder_tasks (
    id                TEXT PRIMARY KEY NOT NULL,
    spec              TEXT NOT NULL,             -- Backstage's TaskSpec: template, values, user
    status            TEXT NOT NULL,             -- open | processing | completed | failed | cancelled
    created_by        TEXT,                      -- user:namespace/name
    template_ref      TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    last_heartbeat_at BIGINT,
    claimed_by        TEXT,
    claim_until       BIGINT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    output            TEXT,                      -- the rendered spec.output once completed
    finished_at       BIGINT
);
CREATE INDEX scaffolder_tasks_status ON scaffolder_tasks (status, created_at);
CREATE INDEX scaffolder_tasks_created ON scaffolder_tasks (created_at);

CREATE TABLE scaffolder_task_events (
    id         BIGSERIAL PRIMARY KEY,
    task_id    TEXT NOT NULL REFERENCES scaffolder_tasks (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,                    -- log | completion | cancelled | recovered
    body       TEXT NOT NULL,                    -- {message, stepId?, status?, ...}
    created_at BIGINT NOT NULL
);
CREATE INDEX scaffolder_task_events_task ON scaffolder_task_events (task_id, id);
