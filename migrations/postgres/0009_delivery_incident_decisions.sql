-- An owner's verdict on a suspected deployment of an incident: confirmed (the link is then in
-- delivery_incident_links and feeds the metrics) or rejected (no link; the suspects say so).
CREATE TABLE delivery_incident_decisions (
    incident_id     TEXT NOT NULL REFERENCES delivery_incidents (id) ON DELETE CASCADE,
    deployment_id   TEXT NOT NULL,
    decision        TEXT NOT NULL,               -- confirmed | rejected
    decided_by      TEXT NOT NULL,
    decided_ms      BIGINT NOT NULL,
    PRIMARY KEY (incident_id, deployment_id)
);
