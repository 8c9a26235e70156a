-- News publications. A share of the rows (news_crm) is about CRM companies,
-- the rest about domains outside the CRM. Dates spread over the three years
-- before as_of, with about 1% after it (future rows must not count).
--
-- First one anchor row per company of buckets 0-49, which gives the company
-- its buying-intent scenario:
--   0-4   HIGH: news 0-6 days ago (bucket 0: exactly 6, the window's edge)
--   5-24  MEDIUM: news 8-29 days ago (bucket 5: exactly 29)
--   25-29 MEDIUM: news exactly 7 days ago, visit 0-6 days ago (not HIGH)
--   30-39 MEDIUM: news 0-6 days ago, no visit in the window (35-39: a future one)
--   40-44 LOW: news exactly 30 days ago (outside the window)
--   45-49 LOW: news 1-7 days after as_of, visit 0-6 days ago
--   50-99 LOW: old news only
-- Every other CRM news row is at least 30 days old (or in the future), so it
-- changes no tier.
INSERT INTO crm.news_publications
WITH anchor AS (
    SELECT
        i AS c,
        g_co_bucket(i) AS bucket,
        g_slot_d(i) AS d,
        (i * 41 + getvariable('g').url_off) % 100 AS kind,
        g_h(g_seed(), i, 'news-anchor') AS h,
        g_h(g_seed(), i, 'news-anchor-url') AS hu
    FROM g_n
    WHERE i < g_nco() AND g_co_bucket(i) < 50
)
SELECT
    g_uuid(hash(g_seed(), c, 'news-anchor-id')),
    g_headline(h // 1000),
    g_url(g_dom_i1(d), g_dom_i2(d), g_dom_y(d), hu, kind),
    g_asof() - CASE
        WHEN bucket = 0 THEN 6
        WHEN bucket < 5 THEN h % 7
        WHEN bucket = 5 THEN 29
        WHEN bucket < 25 THEN 8 + h % 22
        WHEN bucket < 30 THEN 7
        WHEN bucket < 40 THEN h % 7
        WHEN bucket < 45 THEN 30
        ELSE -1 - h % 7
    END::INTEGER,
    g_load(),
    g_dltid(hash(g_seed(), c, 'news-anchor-dlt'))
FROM anchor
LIMIT getvariable('g').n_news;

-- The rest: filler rows, news_crm of them (less the anchors) about CRM
-- companies, spread evenly through the table.
SET VARIABLE g_filler = (SELECT getvariable('g').n_news - count(*) FROM crm.news_publications);
SET VARIABLE g_filler_crm = (
    SELECT least(greatest(getvariable('g').news_crm - count(*), 0), getvariable('g_filler'))
    FROM crm.news_publications
);

INSERT INTO crm.news_publications
WITH r AS (
    SELECT
        (i + 1) * getvariable('g_filler_crm') // getvariable('g_filler')
            > i * getvariable('g_filler_crm') // getvariable('g_filler') AS crm,
        (i * 37 + getvariable('g').url_off) % 100 AS kind,
        g_h(g_seed(), i, 'news') AS h1
    FROM g_n
    WHERE i < getvariable('g_filler')
),
h AS (
    SELECT *, g_mix(h1 + 2) AS h2, g_mix(h1 + 3) AS h3, g_mix(h1 + 4) AS h4 FROM r
),
d AS (
    SELECT
        *,
        CASE WHEN crm THEN g_slot_d(h2 % g_nco()) ELSE g_noise_d(h2) END AS d,
        CASE
            WHEN h4 % 100 = 0 THEN -1 - (h4 // 100) % 7
            WHEN crm THEN 30 + (h4 // 100) % 1066
            ELSE (h4 // 100) % 1096
        END AS days_ago
    FROM h
),
parts AS (
    SELECT *, g_dom_i1(d) AS i1, g_dom_i2(d) AS i2, g_dom_y(d) AS y FROM d
)
SELECT
    g_uuid(hash(h1)),
    g_headline(h4 // 1000000),
    g_url(i1, i2, y, h3, kind),
    g_asof() - days_ago::INTEGER,
    g_load(),
    g_dltid(hash(h1 + 1))
FROM parts;
