-- email_latest: the latest check of every address by one provider (the cache).
-- Params: $1 provider.
-- Returns: email, verdict, sub_status, checked_at; one row per address.
SELECT email, verdict, sub_status, checked_at
FROM (
    SELECT email, verdict, sub_status, checked_at,
           row_number() OVER (PARTITION BY email ORDER BY checked_at DESC, verdict) AS rn
    FROM crm.email_verifications
    WHERE provider = $1
) latest
WHERE rn = 1
