-- alert_finish: record the outcome of deliveries this run owns.
-- Params: $1 keys, $2 statuses ('sent' | 'failed'), $3 attempts made,
-- $4 last errors ('' for none), $5 sent_at timestamps ('' when failed):
-- parallel text[] of one row per delivery, keys distinct; $6 owner.
UPDATE crm.alert_deliveries AS d
SET status = x.st, attempts = d.attempts + x.n::int, last_error = nullif(x.err, ''), sent_at = nullif(x.at, '')::TIMESTAMP
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(k, st, n, err, at)
WHERE d."key" = x.k
  AND (d.claimed_by = $6::text OR d.claimed_by IS NULL)
