-- alert_select: the contacts of HIGH companies to alert on one channel as of
-- a date, and the reason each of the others is left out.
-- Params: $1 as_of DATE, $2 outreach window in days, $3 evidence window in
-- days (the HIGH window), $4 channel, $5 cooldown in days.
-- Returns one row per distinct address (trimmed, lower-cased) among the
-- contacts of companies that are HIGH in crm.customer_buying_intent, plus
-- one row per such contact without an address, ordered by company_id and
-- contact_email:
--   reason            NULL: alert; else the first that applies of
--                     'no_address', 'invalid', 'not_verified',
--                     'recent_outreach', 'already_sent', 'cooldown'
--   contact_email, first_name, last_name, phone, duplicates (other contact
--   rows with this address), company_id, domain, address,
--   visit_date, visitor (latest visit inside the evidence window),
--   news_date, headline, news_url (latest news inside the evidence window),
--   outreach_date, outreach_from, outreach_subject (latest outreach on or
--   before as_of; NULL: never contacted).
--
-- Rules: an address is valid when crm.valid_emails holds it (compared
-- trimmed and lower-cased) and every verdict for it is true; it is not
-- verified when no row has a verdict. Recent outreach is an email to the
-- address with as_of - N < sent_date <= as_of (later outreach does not
-- count). already_sent: the ledger has this channel's message for this
-- address and as_of as sent. cooldown: the ledger has, for this channel and
-- address, a message sent (or left pending by a killed run of another
-- as_of) whose as_of lies within the cooldown of this one:
-- |as_of' - as_of| < cooldown days. Dates and white space follow
-- segment.sql and internal/normalize.
WITH high AS (
    SELECT DISTINCT company_id
    FROM crm.customer_buying_intent
    WHERE company_id IS NOT NULL
      AND upper(btrim(buying_intent)) = 'HIGH'
), contact AS (
    SELECT ct.company_id, ct.id, ct.first_name, ct.last_name, ct.phone,
           lower(btrim(ct.email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS email
    FROM crm.contacts ct
    JOIN high h ON h.company_id = ct.company_id
), addressed AS (
    SELECT *
    FROM (
        SELECT c.*,
               row_number() OVER (PARTITION BY c.email ORDER BY c.company_id, c.id NULLS LAST, c.last_name NULLS LAST, c.first_name NULLS LAST, c.phone NULLS LAST) AS pick,
               count(*) OVER (PARTITION BY c.email) - 1 AS duplicates
        FROM contact c
        WHERE c.email <> ''
    ) x
    WHERE pick = 1
), company AS (
    SELECT c.id AS company_id, c.domain, c.address,
           lower(btrim(c.domain, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS host
    FROM crm.companies c
    JOIN high h ON h.company_id = c.id
), news_in_window AS (
    SELECT CAST(publication_date_utc AS DATE) AS day, headline, company_website AS url
    FROM crm.news_publications
    WHERE CAST(publication_date_utc AS DATE) <= $1::DATE
      AND CAST(publication_date_utc AS DATE) > $1::DATE - $3::INTEGER
), news AS (
    SELECT host, day, headline, url
    FROM (
        SELECT n.host, n.day, n.headline, n.url, row_number() OVER (PARTITION BY n.host ORDER BY n.day DESC, n.headline NULLS LAST, n.url NULLS LAST) AS pick
        FROM ({{template "host" "news_in_window"}}) n
        WHERE n.host IN (SELECT host FROM company)
    ) x
    WHERE pick = 1
), visits_in_window AS (
    SELECT CAST(event_date_utc AS DATE) AS day, email, btrim(email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS visitor
    FROM crm.website_visits
    WHERE CAST(event_date_utc AS DATE) <= $1::DATE
      AND CAST(event_date_utc AS DATE) > $1::DATE - $3::INTEGER
), visits AS (
    SELECT host, day, visitor
    FROM (
        SELECT v.host, v.day, v.visitor, row_number() OVER (PARTITION BY v.host ORDER BY v.day DESC, v.visitor NULLS LAST) AS pick
        FROM ({{template "email_host" "visits_in_window"}}) v
        WHERE v.host IN (SELECT host FROM company)
    ) x
    WHERE pick = 1
), company_one AS (
    -- One row per company id: a duplicated id shows the row with evidence.
    SELECT *
    FROM (
        SELECT c.company_id, c.domain, c.address,
               v.day AS visit_day, v.visitor, n.day AS news_day, n.headline, n.url,
               row_number() OVER (PARTITION BY c.company_id
                                  ORDER BY (v.day IS NOT NULL AND n.day IS NOT NULL) DESC, c.host NULLS LAST, c.address NULLS LAST) AS pick
        FROM company c
        LEFT JOIN visits v ON v.host = nullif(c.host, '')
        LEFT JOIN news n ON n.host = nullif(c.host, '')
    ) x
    WHERE pick = 1
), verdict AS (
    SELECT lower(btrim(email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS email,
           bool_and(CAST(is_email_valid AS BOOLEAN)) AS valid
    FROM crm.valid_emails
    WHERE email IS NOT NULL
    GROUP BY 1
), outreach AS (
    SELECT lower(btrim(o."to", ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) AS email,
           CAST(o.sent_date_utc AS DATE) AS day, o."from" AS sender, o.subject, o.id
    FROM crm.outreach_emails o
    WHERE CAST(o.sent_date_utc AS DATE) <= $1::DATE
      AND lower(btrim(o."to", ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))) IN (SELECT email FROM addressed)
), recent AS (
    SELECT DISTINCT email
    FROM outreach
    WHERE day > $1::DATE - $2::INTEGER
), last_outreach AS (
    SELECT email, day, sender, subject
    FROM (
        SELECT o.*, row_number() OVER (PARTITION BY o.email ORDER BY o.day DESC, o.sender NULLS LAST, o.subject NULLS LAST, o.id NULLS LAST) AS pick
        FROM outreach o
    ) x
    WHERE pick = 1
), ledger AS (
    SELECT contact_email AS email,
           bool_or(status = 'sent' AND as_of = $1::DATE) AS sent_today,
           bool_or((status = 'sent' OR (status = 'pending' AND as_of <> $1::DATE))
                   AND as_of > $1::DATE - $5::INTEGER
                   AND as_of < $1::DATE + $5::INTEGER) AS cooling
    FROM crm.alert_deliveries
    WHERE channel = $4
    GROUP BY contact_email
)
SELECT
    CASE
        WHEN v.valid = false THEN 'invalid'
        WHEN v.valid IS NULL THEN 'not_verified'
        WHEN r.email IS NOT NULL THEN 'recent_outreach'
        WHEN l.sent_today THEN 'already_sent'
        WHEN l.cooling THEN 'cooldown'
    END AS reason,
    a.email AS contact_email, a.first_name, a.last_name, a.phone, a.duplicates,
    a.company_id, co.domain, co.address,
    to_char(co.visit_day, 'YYYY-MM-DD') AS visit_date, co.visitor,
    to_char(co.news_day, 'YYYY-MM-DD') AS news_date, co.headline, co.url AS news_url,
    to_char(lo.day, 'YYYY-MM-DD') AS outreach_date, lo.sender AS outreach_from, lo.subject AS outreach_subject
FROM addressed a
LEFT JOIN company_one co ON co.company_id = a.company_id
LEFT JOIN verdict v ON v.email = a.email
LEFT JOIN recent r ON r.email = a.email
LEFT JOIN ledger l ON l.email = a.email
LEFT JOIN last_outreach lo ON lo.email = a.email
UNION ALL
SELECT
    'no_address', NULL, c.first_name, c.last_name, c.phone, 0,
    c.company_id, co.domain, co.address,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM contact c
LEFT JOIN company_one co ON co.company_id = c.company_id
WHERE c.email IS NULL OR c.email = ''
ORDER BY company_id, contact_email NULLS LAST, last_name NULLS LAST, first_name NULLS LAST
