-- Cost allocation (issue 17): what measured each cluster's usage, per hour and UTC day, so a page
-- can say whether its figures rest on the metrics API, Prometheus, or requests alone. Added to in
-- the transaction that writes each sample (grain 1 an hour, 2 a UTC day, as in cost_*_usage);
-- deleted with those rows by retention.
CREATE TABLE cost_usage_sources (
    cluster   TEXT NOT NULL,
    grain     SMALLINT NOT NULL,
    start_ms  BIGINT NOT NULL,
    source    TEXT NOT NULL,         -- 'metrics-api', 'prometheus', or 'requests' (usage unknown)
    seconds   BIGINT NOT NULL,       -- sampled seconds of the bucket it covers
    PRIMARY KEY (grain, start_ms, cluster, source)
);
