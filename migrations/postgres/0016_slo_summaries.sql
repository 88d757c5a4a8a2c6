-- SLOs (issue 18): each SLO's figures (SLI, remaining budget, burn rate, alert, time to
-- exhaustion) as of its last sync, written by the sync loop, so a list of every SLO reads one
-- row each instead of every SLO's recent buckets.
CREATE TABLE slo_summaries (
    slo          TEXT PRIMARY KEY NOT NULL REFERENCES slo_definitions (id) ON DELETE CASCADE,
    digest       TEXT NOT NULL,            -- SHA-256 of the definition the figures were computed for
    computed_at  BIGINT NOT NULL,          -- the moment the figures are of (unix seconds)
    figures      TEXT NOT NULL             -- slo::view::Figures as JSON
);
