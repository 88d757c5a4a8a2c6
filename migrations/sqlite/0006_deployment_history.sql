-- Deployment history: every rollout Cairn observed in a workload (a new image or pod-template
-- revision), kept for the entity timeline and for DORA metrics. Times are Unix milliseconds.

-- One row per workload ever seen: the seq of its newest rollout. Writers advance it with a
-- compare-and-set (latest_seq = what they read), so replicas observing the same change, or a
-- replica observing it again after a restart or relist, record it once.
CREATE TABLE deployment_workloads (
    cluster            TEXT NOT NULL,
    namespace          TEXT NOT NULL,
    kind               TEXT NOT NULL,            -- Deployment, StatefulSet, DaemonSet, Rollout
    name               TEXT NOT NULL,
    latest_seq         BIGINT NOT NULL,
    object_created_ms  BIGINT,                   -- the object's creation: a recreated object restarts its revisions
    PRIMARY KEY (cluster, namespace, kind, name)
);

CREATE TABLE deployment_rollouts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster         TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    seq             BIGINT NOT NULL,             -- 1, 2, 3… per workload, in the order they started
    entity          TEXT,                        -- component:default/checkout, when the workload was mapped
    revision        TEXT NOT NULL,
    version         TEXT NOT NULL,               -- container=image joined by ', ', as the spec names them
    digests         TEXT,                        -- container=sha256:… the pods ran, once it completed
    outcome         TEXT NOT NULL,               -- in-progress | completed | failed | rolled-back
    started_ms      BIGINT NOT NULL,
    finished_ms     BIGINT,                      -- completed, failed, or replaced before it was seen to finish
    failed_ms       BIGINT,                      -- first seen failed; kept when it later completes or is rolled back
    rolled_back_ms  BIGINT,                      -- when a rollback replaced it
    restores_seq    BIGINT,                      -- a rollback: the earlier rollout whose version it brings back
    first_sight     BIGINT NOT NULL,             -- 1: already there when Cairn first saw the workload (start not observed)
    message         TEXT,                        -- the controller's words on failure, or how it ended
    recorded_ms     BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    UNIQUE (cluster, namespace, kind, name, seq)
);
-- Timelines: an entity's, and everything's, newest first.
CREATE INDEX deployment_rollouts_entity ON deployment_rollouts (entity, started_ms);
CREATE INDEX deployment_rollouts_started ON deployment_rollouts (started_ms);
