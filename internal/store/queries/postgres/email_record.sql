-- email_record: record a batch of checks in crm.email_verifications.
-- Params, arrays of one element per check, in step: $1 email, $2 verdict,
-- $3 sub_status, $4 provider, $5 checked_at as 'YYYY-MM-DD hh:mm:ss.ffffff'
-- UTC text, $6 credits, $7 raw JSON text ('' for none).
INSERT INTO crm.email_verifications (email, verdict, sub_status, provider, checked_at, credits, raw)
SELECT email, verdict, sub_status, provider, checked_at::timestamp, credits, nullif(raw, '')::json
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
    AS checks(email, verdict, sub_status, provider, checked_at, credits, raw)
