-- A counter per entity, bumped by the database itself whenever anything the entity's delivery
-- metrics are judged from changes: its rollouts, its reported deployments, the incidents linked to
-- its deployments and their links. A replica keeps each entity's judged deployments in memory
-- while the counter stands still, so the organisation's metrics over a year judge again only the
-- entities whose data moved, whichever replica wrote it. Triggers, so no writer can forget.
CREATE TABLE delivery_stamps (
    entity  TEXT PRIMARY KEY,
    stamp   BIGINT NOT NULL
);

INSERT INTO delivery_stamps (entity, stamp)
SELECT entity, 1 FROM (
    SELECT entity FROM deployment_rollouts WHERE entity IS NOT NULL
    UNION SELECT entity FROM delivery_deployments
    UNION SELECT deployment_entity FROM delivery_incident_links
    UNION SELECT entity FROM delivery_incidents WHERE entity <> ''
) AS touched WHERE true;

CREATE TRIGGER delivery_stamp_rollout_insert AFTER INSERT ON deployment_rollouts
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT NEW.entity, 1 WHERE NEW.entity IS NOT NULL
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_rollout_update AFTER UPDATE ON deployment_rollouts
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT NEW.entity, 1 WHERE NEW.entity IS NOT NULL
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
    INSERT INTO delivery_stamps (entity, stamp) SELECT OLD.entity, 1
    WHERE OLD.entity IS NOT NULL AND OLD.entity IS NOT NEW.entity
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_rollout_delete AFTER DELETE ON deployment_rollouts
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT OLD.entity, 1 WHERE OLD.entity IS NOT NULL
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_reported_insert AFTER INSERT ON delivery_deployments
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) VALUES (NEW.entity, 1)
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_reported_update AFTER UPDATE ON delivery_deployments
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) VALUES (NEW.entity, 1)
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
    INSERT INTO delivery_stamps (entity, stamp) SELECT OLD.entity, 1 WHERE OLD.entity IS NOT NEW.entity
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_reported_delete AFTER DELETE ON delivery_deployments
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) VALUES (OLD.entity, 1)
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

-- An incident's times feed the judgement of every deployment it is linked to, and of its own
-- entity's (a deployment while it is open is its fix: rework).
CREATE TRIGGER delivery_stamp_incident_insert AFTER INSERT ON delivery_incidents
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT NEW.entity, 1 WHERE NEW.entity <> ''
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_incident_delete AFTER DELETE ON delivery_incidents
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT OLD.entity, 1 WHERE OLD.entity <> ''
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_incident_update AFTER UPDATE ON delivery_incidents
BEGIN
    INSERT INTO delivery_stamps (entity, stamp) SELECT NEW.entity, 1 WHERE NEW.entity <> ''
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
    INSERT INTO delivery_stamps (entity, stamp) SELECT OLD.entity, 1 WHERE OLD.entity <> '' AND OLD.entity <> NEW.entity
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
    INSERT INTO delivery_stamps (entity, stamp)
    SELECT DISTINCT deployment_entity, 1 FROM delivery_incident_links WHERE incident_id = NEW.id
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

-- A link changes the incident's list of deployments, which every linked entity reads.
CREATE TRIGGER delivery_stamp_link_insert AFTER INSERT ON delivery_incident_links
BEGIN
    INSERT INTO delivery_stamps (entity, stamp)
    SELECT DISTINCT deployment_entity, 1 FROM delivery_incident_links WHERE incident_id = NEW.incident_id
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;

CREATE TRIGGER delivery_stamp_link_delete AFTER DELETE ON delivery_incident_links
BEGIN
    INSERT INTO delivery_stamps (entity, stamp)
    SELECT DISTINCT deployment_entity, 1 FROM delivery_incident_links WHERE incident_id = OLD.incident_id
    UNION SELECT OLD.deployment_entity, 1 WHERE true
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
END;
