-- The service an incident was raised on, as its source names it (PagerDuty's service id): kept so
-- an incident whose service no entity claims yet (entity '') can be mapped once one does.
ALTER TABLE delivery_incidents ADD COLUMN service TEXT;
