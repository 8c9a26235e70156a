-- news_for_domain: news publications about one company domain up to a date,
-- newest first, using the host rule of segment.sql.
-- Params: $1 normalised domain, $2 as_of DATE, $3 window start (exclusive) DATE.
-- Returns: every row inside ($3, $2], then the newest row on or before $3.
-- The host is a substring of the lower-cased URL, so a cheap strpos() test
-- leaves the host rule only the few rows that can match.
WITH candidates AS (
    SELECT
        company_website AS url,
        CAST(publication_date_utc AS DATE) AS day,
        coalesce(headline, '') AS headline
    FROM crm.news_publications
    WHERE CAST(publication_date_utc AS DATE) <= $2::DATE
      AND strpos(lower(company_website), $1::text) > 0
), hosted AS (
    SELECT host AS domain, day, headline, coalesce(url, '') AS url
    FROM ({{template "host" "candidates"}}) h
), mine AS (
    SELECT day, headline, url FROM hosted WHERE domain = $1::text
)
(SELECT day, headline, url FROM mine WHERE day > $3::DATE)
UNION ALL
(SELECT day, headline, url FROM mine WHERE day <= $3::DATE ORDER BY day DESC LIMIT 1)
ORDER BY day DESC, headline
