-- visits_for_domain: website visits from one company domain up to a date,
-- newest first, using the address rule of segment.sql.
-- Params: $1 normalised domain, $2 as_of DATE, $3 window start (exclusive) DATE.
-- Returns: every visit inside ($3, $2], then the newest visit on or before $3.
WITH mine AS (
    SELECT CAST(event_date_utc AS DATE) AS day, coalesce(email, '') AS visitor
    FROM crm.website_visits
    WHERE CAST(event_date_utc AS DATE) <= $2::DATE
      AND btrim(substring(lower(email) from '@([^@]*)$'), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) = $1
)
(SELECT day, visitor FROM mine WHERE day > $3::DATE)
UNION ALL
(SELECT day, visitor FROM mine WHERE day <= $3::DATE ORDER BY day DESC LIMIT 1)
ORDER BY day DESC, visitor
