-- segment: the buying intent of every company as of a date.
-- Params: $1 as_of DATE, $2 high window in days, $3 medium window in days.
-- Returns: company_id, buying_intent ('HIGH' | 'MEDIUM' | 'LOW'); one row per
-- distinct company id (a duplicated id takes the highest tier of its rows).
--
-- "Within the last N days" as of D is D - N < date <= D. Rows are filtered on
-- their date before any string work, so the cost follows the rows inside the
-- windows. The host and address rules are those of internal/normalize,
-- through the fragments of _fragments.sql.
WITH news_in_window AS (
    SELECT company_website AS url, CAST(publication_date_utc AS DATE) AS day
    FROM crm.news_publications
    WHERE CAST(publication_date_utc AS DATE) <= $1::DATE
      AND CAST(publication_date_utc AS DATE) > $1::DATE - greatest($2::INTEGER, $3::INTEGER)
), news AS (
    SELECT host AS domain, max(day) AS latest
    FROM ({{template "host" "news_in_window"}}) h
    GROUP BY 1
), visits_in_window AS (
    SELECT email
    FROM crm.website_visits
    WHERE CAST(event_date_utc AS DATE) <= $1::DATE
      AND CAST(event_date_utc AS DATE) > $1::DATE - $2::INTEGER
), visits AS (
    SELECT DISTINCT host AS domain
    FROM ({{template "email_host" "visits_in_window"}}) h
), companies AS (
    SELECT id AS company_id,
           lower(btrim(domain, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS domain
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
