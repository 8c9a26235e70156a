-- alert_finish: record the outcome of a delivery this run owns.
-- Params: $1 key, $2 status ('sent' | 'failed'), $3 attempts made,
-- $4 last error (NULL when sent), $5 sent_at TIMESTAMP (NULL when failed),
-- $6 owner.
UPDATE crm.alert_deliveries
SET status = $2, attempts = attempts + $3, last_error = $4, sent_at = $5::TIMESTAMP
WHERE "key" = $1 AND (claimed_by = $6 OR claimed_by IS NULL)
