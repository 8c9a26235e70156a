-- email_record: record a batch of checks in crm.email_verifications.
-- Params, lists of one element per check, in step: $1 email, $2 verdict,
-- $3 sub_status, $4 provider, $5 checked_at as 'YYYY-MM-DD hh:mm:ss.ffffff'
-- UTC text, $6 credits, $7 raw JSON text ('' for none).
INSERT INTO crm.email_verifications (email, verdict, sub_status, provider, checked_at, credits, raw)
SELECT unnest($1::VARCHAR[]),
       unnest($2::VARCHAR[]),
       unnest($3::VARCHAR[]),
       unnest($4::VARCHAR[]),
       unnest($5::VARCHAR[])::TIMESTAMP,
       unnest($6::BIGINT[]),
       nullif(unnest($7::VARCHAR[]), '')::JSON
