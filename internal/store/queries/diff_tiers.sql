-- diff_tiers: companies whose segment differs between two as-of dates of
-- crm.buying_intent_history (written by segment), including companies
-- present at only one of them.
-- Params: $1 from DATE, $2 to DATE.
-- Returns: company_id, domain (NULL when the company is no longer in
-- crm.companies), from_tier, to_tier (NULL where absent at that date).
WITH f AS (
    SELECT company_id, min(buying_intent) AS buying_intent
    FROM crm.buying_intent_history WHERE as_of = $1::DATE GROUP BY company_id
), t AS (
    SELECT company_id, min(buying_intent) AS buying_intent
    FROM crm.buying_intent_history WHERE as_of = $2::DATE GROUP BY company_id
), d AS (
    SELECT coalesce(t.company_id, f.company_id) AS company_id,
           f.buying_intent AS from_tier, t.buying_intent AS to_tier
    FROM f FULL OUTER JOIN t ON f.company_id = t.company_id
    WHERE f.buying_intent IS DISTINCT FROM t.buying_intent
)
SELECT d.company_id, c."domain", d.from_tier, d.to_tier
FROM d
LEFT JOIN (SELECT id, min("domain") AS "domain" FROM crm.companies GROUP BY id) c ON c.id = d.company_id
ORDER BY CASE d.to_tier WHEN 'HIGH' THEN 0 WHEN 'MEDIUM' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END,
         d.company_id
