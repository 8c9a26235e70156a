-- alert_finish: record the outcome of deliveries this run owns.
-- Params: $1 keys, $2 statuses ('sent' | 'failed'), $3 attempts made,
-- $4 last errors ('' for none), $5 sent_at timestamps ('' when failed):
-- parallel VARCHAR[] of one row per delivery, keys distinct; $6 owner.
UPDATE crm.alert_deliveries
SET status = x.st, attempts = crm.alert_deliveries.attempts + x.n, last_error = x.err, sent_at = x.at
FROM (
    SELECT unnest($1::VARCHAR[]) AS k, unnest($2::VARCHAR[]) AS st,
           CAST(unnest($3::VARCHAR[]) AS INTEGER) AS n,
           nullif(unnest($4::VARCHAR[]), '') AS err,
           CAST(nullif(unnest($5::VARCHAR[]), '') AS TIMESTAMP) AS at
) x
WHERE crm.alert_deliveries."key" = x.k
  AND (crm.alert_deliveries.claimed_by = $6 OR crm.alert_deliveries.claimed_by IS NULL)
