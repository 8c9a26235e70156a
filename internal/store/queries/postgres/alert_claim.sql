-- alert_claim: mark deliveries pending, owned by this run, before they are
-- sent. A delivery already sent is left alone, and so is one pending under
-- a live owner: every owner holds the session advisory lock
-- (hashtext('intentalert.alert.owner'), owner) while it runs, so the lock
-- can be taken only when that owner's connection is gone. Concurrent runs
-- thus send each alert once; a dead run's pending alerts are taken over.
-- Rows are written in key order, so that two runs claiming the same rows
-- lock them in the same order.
-- Params: $1 keys, $2 contact emails, $3 company ids, $4 channels, $5 as_of
-- dates (YYYY-MM-DD): parallel text[] of one row per delivery, keys
-- distinct; $6 now TIMESTAMP, $7 owner.
-- Returns the keys claimed.
INSERT INTO crm.alert_deliveries ("key", contact_email, company_id, channel, as_of, status, attempts, created_at, claimed_by)
SELECT x.k, x.e, x.c, x.ch, x.d::DATE, 'pending', 0, $6::TIMESTAMP, $7::text
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(k, e, c, ch, d)
ORDER BY x.k
ON CONFLICT ("key") DO UPDATE SET status = 'pending', last_error = NULL, claimed_by = $7::text
WHERE crm.alert_deliveries.status <> 'sent'
  AND (crm.alert_deliveries.status = 'failed'
       OR crm.alert_deliveries.claimed_by IS NULL
       OR crm.alert_deliveries.claimed_by = $7::text
       OR crm.alert_deliveries.claimed_by !~ '^[0-9]+$'
       OR pg_try_advisory_xact_lock(hashtext('intentalert.alert.owner'), crm.alert_deliveries.claimed_by::int))
RETURNING "key"
