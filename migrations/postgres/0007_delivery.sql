-- Delivery (DORA): deployments CI reported (those Cairn does not watch), incidents, and which
-- deployments each incident is linked to. Rollouts Cairn watched stay in deployment_rollouts
-- (0006). Times are Unix milliseconds.

-- POST /api/dora/deployments: idempotent on the id CI chose.
CREATE TABLE delivery_deployments (
    id              TEXT PRIMARY KEY,
    entity          TEXT NOT NULL,               -- component:default/checkout
    environment     TEXT NOT NULL,               -- production, staging…
    version         TEXT NOT NULL,
    commit_sha      TEXT,
    status          TEXT NOT NULL,               -- succeeded | failed
    started_ms      BIGINT NOT NULL,
    finished_ms     BIGINT NOT NULL,
    reported_by     TEXT NOT NULL,               -- the actor: token:ci, user:default/jane
    recorded_ms     BIGINT NOT NULL
);
-- An entity's deployments in an environment over a time range.
CREATE INDEX delivery_deployments_entity ON delivery_deployments (entity, environment, finished_ms);

-- One row per incident: the API's id, or Alertmanager's fingerprint and start (one firing).
CREATE TABLE delivery_incidents (
    id              TEXT PRIMARY KEY,            -- <source>:<external id>
    source          TEXT NOT NULL,               -- api | alertmanager
    external_id     TEXT NOT NULL,
    entity          TEXT NOT NULL,
    title           TEXT NOT NULL,
    started_ms      BIGINT NOT NULL,
    resolved_ms     BIGINT,                      -- NULL while open
    recorded_ms     BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL,
    UNIQUE (source, external_id)
);
-- An entity's incidents over a time range.
CREATE INDEX delivery_incidents_entity ON delivery_incidents (entity, started_ms);

-- An incident linked to a deployment it was caused by (several when both are), and who said so.
CREATE TABLE delivery_incident_links (
    incident_id       TEXT NOT NULL REFERENCES delivery_incidents (id) ON DELETE CASCADE,
    deployment_id     TEXT NOT NULL,             -- delivery_deployments.id, or rollout:<cluster>/<namespace>/<kind>/<name>/<seq>
    deployment_entity TEXT NOT NULL,             -- the deployment's entity: its metrics read the links by it
    linked_by         TEXT NOT NULL,
    linked_ms         BIGINT NOT NULL,
    PRIMARY KEY (incident_id, deployment_id)
);
CREATE INDEX delivery_incident_links_entity ON delivery_incident_links (deployment_entity);
