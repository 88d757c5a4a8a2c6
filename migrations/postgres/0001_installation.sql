-- One row naming this installation: written at first start, shown on the status page and in /metrics.
CREATE TABLE installation (
    singleton  INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    id         TEXT NOT NULL,
    created_at BIGINT NOT NULL -- unix epoch, milliseconds
);
