-- Refreshes scheduled in the database, so any number of replicas share them: a location is due
-- at `next_refresh_at` (or as soon as a refresh is requested), one worker claims it until
-- `claim_until` (renewed while it works; a replica that dies lets its claims expire), and
-- failures push the next attempt back exponentially.
ALTER TABLE locations ADD COLUMN next_refresh_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE locations ADD COLUMN requested_at BIGINT;          -- a push or a person asked for a refresh
ALTER TABLE locations ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;  -- consecutive failed refreshes
ALTER TABLE locations ADD COLUMN claimed_by TEXT;               -- the worker refreshing it now
ALTER TABLE locations ADD COLUMN claim_until BIGINT;
CREATE INDEX locations_due ON locations (next_refresh_at);

-- Entities that disappeared from their source: kept (marked `backstage.io/orphan`) until the
-- grace period has passed, so a file moved in two commits does not blink out of the catalog.
ALTER TABLE entities ADD COLUMN orphaned_at BIGINT;
CREATE INDEX entities_orphaned ON entities (orphaned_at) WHERE orphaned_at IS NOT NULL;

-- A push that changes a few files of a large location loads only what those files provided.
CREATE INDEX entities_location_source ON entities (location_id, source);
