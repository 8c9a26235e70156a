-- news_for_domain: news publications about one company domain up to a date,
-- newest first, using the host rule of segment.sql.
-- Params: $1 normalised domain, $2 as_of DATE, $3 window start (exclusive) DATE.
-- Returns: every row inside ($3, $2], then the newest row on or before $3.
WITH hosted AS (
    SELECT
        rtrim(substring(
            substring(
                lower(btrim(company_website, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)))
                from '^(?:[a-z][a-z0-9+.\-]*://)?([^/?#]*)')
            from '^(?:.*@)?(?:www\.)*([^:]*)'), '.') AS domain,
        CAST(publication_date_utc AS DATE) AS day,
        coalesce(headline, '') AS headline,
        coalesce(company_website, '') AS url
    FROM crm.news_publications
    WHERE CAST(publication_date_utc AS DATE) <= $2::DATE
), mine AS (
    SELECT day, headline, url FROM hosted WHERE domain = $1
)
(SELECT day, headline, url FROM mine WHERE day > $3::DATE)
UNION ALL
(SELECT day, headline, url FROM mine WHERE day <= $3::DATE ORDER BY day DESC LIMIT 1)
ORDER BY day DESC, headline
