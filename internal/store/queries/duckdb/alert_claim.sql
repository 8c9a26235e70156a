-- alert_claim: mark a delivery pending, owned by this run, before it is sent.
-- A delivery already sent is left alone: the statement then affects no row.
-- DuckDB admits one writing process: a pending row of another owner was left
-- by a run that died, and is taken over.
-- Params: $1 key, $2 contact_email, $3 company_id, $4 channel, $5 as_of DATE,
-- $6 now TIMESTAMP, $7 owner.
INSERT INTO crm.alert_deliveries ("key", contact_email, company_id, channel, as_of, status, attempts, created_at, claimed_by)
VALUES ($1, $2, $3, $4, $5::DATE, 'pending', 0, $6::TIMESTAMP, $7)
ON CONFLICT ("key") DO UPDATE SET status = 'pending', last_error = NULL, claimed_by = $7
WHERE crm.alert_deliveries.status <> 'sent'
