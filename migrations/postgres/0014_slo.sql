-- SLOs and error budgets (issue 18): the definitions read from the catalog's locations, the
-- problems of SLO files, and each SLO's 5-minute good/total buckets, so a 30-day figure is a sum
-- of stored rows and never a 30-day Prometheus query. Times are Unix seconds (UTC).

-- One row per SLO: `id` is stable across reads (a digest of its file and its id in the file), so
-- its buckets outlive a change of wording or owner.
CREATE TABLE slo_definitions (
    id              TEXT PRIMARY KEY NOT NULL,
    entity          TEXT NOT NULL,            -- component:default/checkout, lower-case
    belongs_by      TEXT NOT NULL,            -- annotation | listed | service | repository
    file            TEXT NOT NULL,
    definition      TEXT NOT NULL,            -- slo::model::Slo as JSON
    seen_at         BIGINT NOT NULL,          -- the collection that last found it
    synced_to       BIGINT,                   -- buckets are stored up to here (exclusive); NULL: never
    oldest_sample   BIGINT,                   -- the oldest sample its Prometheus held at the last sync
    next_sync_at    BIGINT NOT NULL DEFAULT 0,
    claimed_by      TEXT,                     -- the replica fetching its buckets, until claimed_until
    claimed_until   BIGINT,
    sync_error      TEXT                      -- the last sync's failure, NULL after a success
);
CREATE INDEX slo_definitions_entity ON slo_definitions (entity);
CREATE INDEX slo_definitions_due ON slo_definitions (next_sync_at);

-- Problems of SLO files (file, line, field), per entity listing the file (or '' when none does).
CREATE TABLE slo_problems (
    entity      TEXT NOT NULL,
    file        TEXT NOT NULL,
    line        BIGINT NOT NULL,
    field       TEXT,
    message     TEXT NOT NULL
);
CREATE INDEX slo_problems_entity ON slo_problems (entity);

-- Good and total events of [start, start + 300); written by an idempotent upsert, so two
-- replicas fetching the same bucket write the same row.
CREATE TABLE slo_buckets (
    slo     TEXT NOT NULL REFERENCES slo_definitions (id) ON DELETE CASCADE,
    start   BIGINT NOT NULL,
    good    DOUBLE PRECISION NOT NULL,
    total   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (slo, start)
);
