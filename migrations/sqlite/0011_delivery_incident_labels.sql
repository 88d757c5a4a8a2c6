-- The labels of the alert an incident was opened from (Alertmanager), as a JSON object: the
-- workload and container they name make a deployment of that workload a stronger suspect.
ALTER TABLE delivery_incidents ADD COLUMN labels TEXT;
