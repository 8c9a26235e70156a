-- alert_claim: mark deliveries pending, owned by this run, before they are
-- sent. A delivery already sent is left alone. DuckDB admits one writing
-- process: a pending row of another owner was left by a run that died, and
-- is taken over.
-- Params: $1 keys, $2 contact emails, $3 company ids, $4 channels, $5 as_of
-- dates (YYYY-MM-DD): parallel VARCHAR[] of one row per delivery, keys
-- distinct; $6 now TIMESTAMP, $7 owner.
-- Returns the keys claimed.
INSERT INTO crm.alert_deliveries ("key", contact_email, company_id, channel, as_of, status, attempts, created_at, claimed_by)
SELECT k, e, c, ch, CAST(d AS DATE), 'pending', 0, $6::TIMESTAMP, $7
FROM (
    SELECT unnest($1::VARCHAR[]) AS k, unnest($2::VARCHAR[]) AS e, unnest($3::VARCHAR[]) AS c,
           unnest($4::VARCHAR[]) AS ch, unnest($5::VARCHAR[]) AS d
)
ON CONFLICT ("key") DO UPDATE SET status = 'pending', last_error = NULL, claimed_by = $7
WHERE crm.alert_deliveries.status <> 'sent'
RETURNING "key"
