-- visits_for_domain: website visits from one company domain up to a date,
-- newest first, using the address rule of segment.sql.
-- Params: $1 normalised domain, $2 as_of DATE, $3 window start (exclusive) DATE.
-- Returns: every visit inside ($3, $2], then the newest visit on or before $3.
-- The domain is a substring of the lower-cased address, so a cheap strpos()
-- test leaves the address rule only the few rows that can match.
WITH candidates AS (
    SELECT CAST(event_date_utc AS DATE) AS day, email
    FROM crm.website_visits
    WHERE CAST(event_date_utc AS DATE) <= $2::DATE
      AND strpos(lower(email), $1::text) > 0
), mine AS (
    SELECT day, coalesce(email, '') AS visitor
    FROM ({{template "email_host" "candidates"}}) h
    WHERE host = $1::text
)
(SELECT day, visitor FROM mine WHERE day > $3::DATE)
UNION ALL
(SELECT day, visitor FROM mine WHERE day <= $3::DATE ORDER BY day DESC LIMIT 1)
ORDER BY day DESC, visitor
