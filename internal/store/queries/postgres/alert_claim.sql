-- alert_claim: mark a delivery pending, owned by this run, before it is sent.
-- A delivery already sent is left alone, and so is one pending under a live
-- owner: every owner holds the session advisory lock
-- (hashtext('intentalert.alert.owner'), owner) while it runs, so the lock
-- can be taken only when that owner's connection is gone. Concurrent runs
-- thus send each alert once; a dead run's pending alerts are taken over.
-- Params: $1 key, $2 contact_email, $3 company_id, $4 channel, $5 as_of DATE,
-- $6 now TIMESTAMP, $7 owner.
INSERT INTO crm.alert_deliveries ("key", contact_email, company_id, channel, as_of, status, attempts, created_at, claimed_by)
VALUES ($1, $2, $3, $4, $5::DATE, 'pending', 0, $6::TIMESTAMP, $7)
ON CONFLICT ("key") DO UPDATE SET status = 'pending', last_error = NULL, claimed_by = $7
WHERE crm.alert_deliveries.status <> 'sent'
  AND (crm.alert_deliveries.status = 'failed'
       OR crm.alert_deliveries.claimed_by IS NULL
       OR crm.alert_deliveries.claimed_by = $7
       OR crm.alert_deliveries.claimed_by !~ '^[0-9]+$'
       OR pg_try_advisory_xact_lock(hashtext('intentalert.alert.owner'), crm.alert_deliveries.claimed_by::int))
