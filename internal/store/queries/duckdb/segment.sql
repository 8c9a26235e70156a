-- segment: the buying intent of every company as of a date.
-- Params: $1 as_of DATE, $2 high window in days, $3 medium window in days.
-- Returns: company_id, buying_intent ('HIGH' | 'MEDIUM' | 'LOW'); one row per
-- distinct company id (a duplicated id takes the highest tier of its rows).
--
-- "Within the last N days" as of D is D - N < date <= D. Rows are filtered on
-- their date before any string work, so the cost follows the rows inside the
-- windows. The host and address rules are those of internal/normalize.
WITH news AS (
    SELECT
        rtrim(regexp_extract(
            regexp_extract(
                lower(trim(company_website, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))),
                '^(?:[a-z][a-z0-9+.\-]*://)?([^/?#]*)', 1),
            '^(?:.*@)?(?:www\.)*([^:]*)', 1), '.') AS domain,
        max(CAST(publication_date_utc AS DATE)) AS latest
    FROM crm.news_publications
    WHERE CAST(publication_date_utc AS DATE) <= $1::DATE
      AND CAST(publication_date_utc AS DATE) > $1::DATE - greatest($2::INTEGER, $3::INTEGER)
    GROUP BY 1
), visits AS (
    SELECT DISTINCT
        trim(regexp_extract(lower(email), '@([^@]*)$', 1), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS domain
    FROM crm.website_visits
    WHERE CAST(event_date_utc AS DATE) <= $1::DATE
      AND CAST(event_date_utc AS DATE) > $1::DATE - $2::INTEGER
), companies AS (
    SELECT id AS company_id,
           lower(trim(domain, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS domain
    FROM crm.companies
    WHERE id IS NOT NULL
)
SELECT
    c.company_id,
    CASE max(CASE
            WHEN n.latest > $1::DATE - $2::INTEGER AND v.domain IS NOT NULL THEN 3
            WHEN n.latest > $1::DATE - $3::INTEGER THEN 2
            ELSE 1
        END)
        WHEN 3 THEN 'HIGH'
        WHEN 2 THEN 'MEDIUM'
        ELSE 'LOW'
    END AS buying_intent
FROM companies c
LEFT JOIN news n ON n.domain = nullif(c.domain, '')
LEFT JOIN visits v ON v.domain = nullif(c.domain, '')
GROUP BY c.company_id
