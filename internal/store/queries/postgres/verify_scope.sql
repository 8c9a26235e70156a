-- verify_scope: the addresses of the contacts of companies in some segments.
-- Params: $1 segments, an array of upper-case tiers such as {HIGH}.
-- Returns: email (trimmed with the white space of internal/normalize and
-- lower-cased; '' for NULL, empty or blank), contacts (contacts with it);
-- one row per distinct address. A company listed twice counts once.
SELECT coalesce(lower(btrim(c.email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))), '') AS email,
       count(*) AS contacts
FROM crm.contacts c
WHERE c.company_id IN (
    SELECT company_id
    FROM crm.customer_buying_intent
    WHERE upper(btrim(buying_intent)) = ANY($1::text[])
)
GROUP BY 1
ORDER BY 1
