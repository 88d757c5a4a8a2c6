-- Cost allocation's history (issue 17): what each container held and used, each node offered and
-- each volume kept, sampled every interval (a minute by default) and rolled up, as the samples
-- are written, into hourly and daily rows. Quantities only, never money: each figure is priced
-- when read (quantity × hours × rate, the rate from the `cost.prices` settings and the node's
-- labels), so it can always say why it is what it is. Times are Unix milliseconds (UTC).
--
-- grain: 0 a sample (kept `cost.retention.samples`), 1 an hour, 2 a UTC day. Quantities are
-- integrals over the row's time: millicore-seconds, byte-seconds, GPU-seconds.

-- One row per cluster and sampled interval: the claim that lets one replica write it. Inserted
-- with ON CONFLICT DO NOTHING in the transaction that writes the samples, so an interval is
-- written once however many replicas sample it, and not at all if the write fails.
CREATE TABLE cost_intervals (
    cluster     TEXT NOT NULL,
    start_ms    BIGINT NOT NULL,
    seconds     BIGINT NOT NULL,
    usage       TEXT NOT NULL,       -- 'measured', or why usage was unknown ('unknown: …')
    written_by  TEXT NOT NULL,       -- the replica
    written_ms  BIGINT NOT NULL,
    PRIMARY KEY (cluster, start_ms)
);

-- A container as allocated: what its rows are aggregated by. '' where there is none (so the
-- unique key holds on both databases).
CREATE TABLE cost_allocations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster        TEXT NOT NULL,
    namespace      TEXT NOT NULL,
    pod            TEXT NOT NULL,
    container      TEXT NOT NULL,
    node           TEXT NOT NULL,
    workload_kind  TEXT NOT NULL,    -- Deployment, StatefulSet, Job…
    workload       TEXT NOT NULL,
    entity         TEXT NOT NULL,    -- component:default/checkout
    team           TEXT NOT NULL,    -- the entity's owner: group:default/payments
    labels         TEXT NOT NULL,    -- the pod's labels, a JSON object, as last seen
    UNIQUE (cluster, namespace, pod, container, node, workload_kind, workload, entity, team)
);
CREATE INDEX cost_allocations_entity ON cost_allocations (entity);
CREATE INDEX cost_allocations_team ON cost_allocations (team);

CREATE TABLE cost_allocation_usage (
    grain           SMALLINT NOT NULL,
    start_ms        BIGINT NOT NULL,
    allocation      BIGINT NOT NULL,  -- cost_allocations.id
    seconds         BIGINT NOT NULL,  -- time observed
    usage_seconds   BIGINT NOT NULL,  -- of which usage was known
    cpu_request     BIGINT NOT NULL,  -- millicore-seconds requested
    cpu_usage       BIGINT NOT NULL,  -- millicore-seconds used (while known)
    cpu_allocated   BIGINT NOT NULL,  -- millicore-seconds of max(request, usage), sample by sample
    memory_request  BIGINT NOT NULL,  -- byte-seconds
    memory_usage    BIGINT NOT NULL,
    memory_allocated BIGINT NOT NULL,
    gpu             BIGINT NOT NULL,  -- GPU-seconds requested
    PRIMARY KEY (grain, start_ms, allocation)
);
CREATE INDEX cost_allocation_usage_allocation ON cost_allocation_usage (allocation, grain, start_ms);

CREATE TABLE cost_nodes (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster  TEXT NOT NULL,
    name     TEXT NOT NULL,
    labels   TEXT NOT NULL,          -- JSON object, as last seen (node pools are priced by label)
    UNIQUE (cluster, name)
);

-- What each node offered (its capacity: what is paid for).
CREATE TABLE cost_node_usage (
    grain     SMALLINT NOT NULL,
    start_ms  BIGINT NOT NULL,
    node      BIGINT NOT NULL,       -- cost_nodes.id
    seconds   BIGINT NOT NULL,
    cpu       BIGINT NOT NULL,       -- millicore-seconds of capacity
    memory    BIGINT NOT NULL,       -- byte-seconds
    gpu       BIGINT NOT NULL,       -- GPU-seconds
    PRIMARY KEY (grain, start_ms, node)
);

CREATE TABLE cost_volumes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster        TEXT NOT NULL,
    name           TEXT NOT NULL,
    storage_class  TEXT NOT NULL,
    claim          TEXT NOT NULL,    -- namespace/name of the claim bound to it, or ''
    UNIQUE (cluster, name, storage_class, claim)
);

-- A volume's capacity (allocation 0) and each mounting container's share of it.
CREATE TABLE cost_volume_usage (
    grain       SMALLINT NOT NULL,
    start_ms    BIGINT NOT NULL,
    volume      BIGINT NOT NULL,     -- cost_volumes.id
    allocation  BIGINT NOT NULL,     -- cost_allocations.id, 0 for the volume itself
    seconds     BIGINT NOT NULL,
    bytes       BIGINT NOT NULL,     -- byte-seconds
    PRIMARY KEY (grain, start_ms, volume, allocation)
);
