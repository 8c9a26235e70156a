-- Website visits. The visitor's address is 'first.last@domain'; a visit
-- belongs to the company whose domain is the part after '@'. A share
-- (visits_crm) comes from CRM domains, three in four of those from a
-- contact's own address; the rest come from outside the CRM. Dates spread
-- over the ~105 days before as_of, with about 2% after it.
--
-- First one anchor visit per company of these buckets (scenarios in news.sql):
--   0-4, 25-29, 45-49: 0-6 days ago (bucket 0: on as_of itself)
--   30: exactly 7 days ago (outside the window)
--   35-39: 1-7 days after as_of
-- Every other CRM visit is at least 7 days old (or in the future).
INSERT INTO crm.website_visits
WITH anchor AS (
    SELECT *, g_pick('g_first', h // 10) AS fst, g_pick('g_last', h // 10000) AS lst
    FROM (
        SELECT i AS c, g_co_bucket(i) AS bucket, g_slot_d(i) AS d, g_h(g_seed(), i, 'visit-anchor') AS h
        FROM g_n
        WHERE i < g_nco()
    )
    WHERE bucket < 5 OR bucket BETWEEN 25 AND 30 OR bucket BETWEEN 35 AND 39 OR bucket BETWEEN 45 AND 49
)
SELECT
    g_uuid(hash(g_seed(), c, 'visit-anchor-id')),
    g_person_email(fst, lst, g_dom_i1(d), g_dom_i2(d), g_dom_y(d), h // 1000000),
    g_asof() - CASE
        WHEN bucket = 0 THEN 0
        WHEN bucket = 30 THEN 7
        WHEN bucket BETWEEN 35 AND 39 THEN -1 - h % 7
        ELSE h % 7
    END::INTEGER,
    g_load(),
    g_dltid(hash(g_seed(), c, 'visit-anchor-dlt'))
FROM anchor
LIMIT getvariable('g').n_visits;

SET VARIABLE g_filler = (SELECT getvariable('g').n_visits - count(*) FROM crm.website_visits);
SET VARIABLE g_filler_crm = (
    SELECT least(greatest(getvariable('g').visits_crm - count(*), 0), getvariable('g_filler'))
    FROM crm.website_visits
);

-- The rest: from a contact (crm, 3 in 4), from someone else at a CRM
-- company (crm) or from outside the CRM.
INSERT INTO crm.website_visits
WITH r AS (
    SELECT
        (i + 1) * getvariable('g_filler_crm') // getvariable('g_filler')
            > i * getvariable('g_filler_crm') // getvariable('g_filler') AS crm,
        g_h(g_seed(), i, 'visit') AS h1
    FROM g_n
    WHERE i < getvariable('g_filler')
),
h AS (
    SELECT *, g_mix(h1 + 2) AS h2, g_mix(h1 + 3) AS h3, g_mix(h1 + 4) AS h4 FROM r
),
who AS (
    SELECT
        *,
        CASE WHEN crm AND h2 % 4 <> 0 THEN (h2 // 4) % g_nct() END AS contact_j,
        CASE
            WHEN h4 % 50 = 0 THEN -1 - (h4 // 50) % 7
            WHEN crm THEN 7 + (h4 // 50) % 99
            ELSE (h4 // 50) % 106
        END AS days_ago
    FROM h
),
d AS (
    SELECT
        *,
        CASE
            WHEN contact_j IS NOT NULL THEN g_ct_d(contact_j)
            WHEN crm THEN g_slot_d((h2 // 4) % g_nco())
            ELSE g_noise_d(h2 // 4)
        END AS d
    FROM who
),
parts AS (
    SELECT
        *,
        g_dom_i1(d) AS i1,
        g_dom_i2(d) AS i2,
        g_dom_y(d) AS y,
        CASE WHEN contact_j IS NOT NULL THEN g_ct_kind(contact_j) END AS kind,
        getvariable('g_first')[
            CASE WHEN contact_j IS NOT NULL THEN g_ct_fi(contact_j) ELSE h3 // 100 % len(getvariable('g_first')) END + 1
        ] AS fst,
        getvariable('g_last')[
            CASE WHEN contact_j IS NOT NULL THEN g_ct_li(contact_j) ELSE h3 // 100000 % len(getvariable('g_last')) END + 1
        ] AS lst
    FROM d
),
mail AS (
    SELECT
        *,
        CASE
            WHEN contact_j IS NOT NULL THEN
                g_visit_email_of(kind, lst, g_dom_of(i1, i2, y), g_email_of(kind, fst, lst, g_dom_of(i1, i2, y), 0))
            ELSE g_person_email(fst, lst, i1, i2, y, h3 // 100000000)
        END AS email
    FROM parts
)
SELECT
    g_uuid(hash(h1)),
    CASE WHEN contact_j IS NOT NULL AND h3 % 100 < 3 THEN upper(email) ELSE email END,
    g_asof() - days_ago::INTEGER,
    g_load(),
    g_dltid(hash(h1 + 1))
FROM mail;
