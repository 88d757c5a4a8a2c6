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
) AS touched;

-- Entities in a stable order, so two transactions bumping the same ones cannot deadlock.
CREATE FUNCTION delivery_stamp(entities TEXT[]) RETURNS void AS $$
    INSERT INTO delivery_stamps (entity, stamp)
    SELECT DISTINCT e, 1 FROM unnest(entities) AS e WHERE e IS NOT NULL AND e <> '' ORDER BY 1
    ON CONFLICT (entity) DO UPDATE SET stamp = delivery_stamps.stamp + 1;
$$ LANGUAGE sql;

CREATE FUNCTION delivery_stamp_by_entity() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM delivery_stamp(ARRAY[NEW.entity]);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM delivery_stamp(ARRAY[NEW.entity, OLD.entity]);
    ELSE
        PERFORM delivery_stamp(ARRAY[OLD.entity]);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER delivery_stamp_rollouts AFTER INSERT OR UPDATE OR DELETE ON deployment_rollouts
FOR EACH ROW EXECUTE FUNCTION delivery_stamp_by_entity();

CREATE TRIGGER delivery_stamp_reported AFTER INSERT OR UPDATE OR DELETE ON delivery_deployments
FOR EACH ROW EXECUTE FUNCTION delivery_stamp_by_entity();

-- An incident's times feed the judgement of every deployment it is linked to, and of its own
-- entity's (a deployment while it is open is its fix: rework); a link changes the incident's list
-- of deployments, which every linked entity reads.
CREATE FUNCTION delivery_stamp_by_incident() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'delivery_incidents' AND TG_OP = 'DELETE' THEN
        PERFORM delivery_stamp(ARRAY[OLD.entity]);
    ELSIF TG_TABLE_NAME = 'delivery_incidents' THEN
        PERFORM delivery_stamp(ARRAY(
            SELECT deployment_entity FROM delivery_incident_links WHERE incident_id = NEW.id
            UNION SELECT NEW.entity UNION SELECT OLD.entity WHERE TG_OP = 'UPDATE'));
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM delivery_stamp(ARRAY(
            SELECT deployment_entity FROM delivery_incident_links WHERE incident_id = NEW.incident_id));
    ELSE
        PERFORM delivery_stamp(ARRAY(
            SELECT deployment_entity FROM delivery_incident_links WHERE incident_id = OLD.incident_id
            UNION SELECT OLD.deployment_entity));
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER delivery_stamp_incidents AFTER INSERT OR UPDATE OR DELETE ON delivery_incidents
FOR EACH ROW EXECUTE FUNCTION delivery_stamp_by_incident();

CREATE TRIGGER delivery_stamp_links AFTER INSERT OR DELETE ON delivery_incident_links
FOR EACH ROW EXECUTE FUNCTION delivery_stamp_by_incident();
