-- alert_claim: mark a delivery pending before it is sent. A delivery already
-- sent is left alone: the statement then affects no row.
-- Params: $1 key, $2 contact_email, $3 company_id, $4 channel, $5 as_of DATE,
-- $6 now TIMESTAMP.
INSERT INTO crm.alert_deliveries ("key", contact_email, company_id, channel, as_of, status, attempts, created_at)
VALUES ($1, $2, $3, $4, $5::DATE, 'pending', 0, $6::TIMESTAMP)
ON CONFLICT ("key") DO UPDATE SET status = 'pending', last_error = NULL
WHERE crm.alert_deliveries.status <> 'sent'
