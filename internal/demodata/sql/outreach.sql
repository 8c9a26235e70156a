-- Outreach emails from the business development team to contacts: threads
-- of 2-5 emails a few days apart ('Subject', then 'Re: Subject'), over the
-- ~4 months before as_of, a few in the future. Every "to" is a contact's
-- address (a few in another letter case).
--
-- First one anchor email to the first contact of each HIGH company:
--   bucket 0: 0-13 days ago           (recently contacted: no alert)
--   bucket 1: exactly 14 days ago     (outside the 14-day window: alert)
--   bucket 2: exactly 13 days ago     (inside the window: no alert)
--   bucket 3: 1-7 days after as_of    (future, does not count: alert)
--   bucket 4: 0-13 days ago, "to" in upper case (no alert when compared properly)
-- Threads to contacts of HIGH companies end at least 14 days before as_of.
INSERT INTO crm.outreach_emails
WITH high AS (
    SELECT
        i AS c,
        (i * g_nct() + g_nco() - 1) // g_nco() AS j,
        g_co_bucket(i) AS bucket,
        g_h(g_seed(), i, 'outreach-anchor') AS h
    FROM g_n
    WHERE i < g_nco() AND g_co_bucket(i) < 5
),
contact AS (
    SELECT *, g_ct_kind(j) AS kind, g_ct_fi(j) AS fi, g_ct_li(j) AS li, g_ct_d(j) AS d
    FROM high
    WHERE j < g_nct() AND g_ct_co(j) = c
),
mail AS (
    SELECT
        *,
        g_email_of(
            kind, getvariable('g_first')[fi + 1], getvariable('g_last')[li + 1], g_dom(d), g_ct_h(j) // 1000
        ) AS email
    FROM contact
)
SELECT
    g_uuid(hash(g_seed(), j, 'outreach-anchor-id')),
    CASE WHEN bucket = 4 THEN upper(email) ELSE email END,
    g_pick('g_team', h // 7),
    g_pick('g_subject', h // 1000),
    g_asof() - CASE bucket
        WHEN 1 THEN 14
        WHEN 2 THEN 13
        WHEN 3 THEN -1 - h % 7
        ELSE h % 14
    END::INTEGER,
    g_load(),
    g_dltid(hash(g_seed(), j, 'outreach-anchor-dlt'))
FROM mail
LIMIT getvariable('g').n_out;

-- The rest: threads. Rows come in blocks of 14 holding four threads of 2, 3,
-- 4 and 5 emails (in an order drawn per block), so row i finds its thread
-- (b * 4 + t) and its place m in it by arithmetic.
SET VARIABLE g_filler = (SELECT getvariable('g').n_out - count(*) FROM crm.outreach_emails);

INSERT INTO crm.outreach_emails
WITH r AS (
    SELECT
        i // 14 AS b,
        i % 14 AS o,
        g_pick('g_thread_lens', g_h(g_seed(), i // 14, 'thread-block')) AS lens,
        g_h(g_seed(), i, 'outreach') AS hr
    FROM g_n
    WHERE i < getvariable('g_filler')
),
lens AS (
    SELECT b, o, hr, lens // 1000 AS l1, lens // 100 % 10 AS l2, lens // 10 % 10 AS l3 FROM r
),
place AS (
    SELECT *, CASE WHEN o < l1 THEN 0 WHEN o < l1 + l2 THEN 1 WHEN o < l1 + l2 + l3 THEN 2 ELSE 3 END AS t
    FROM lens
),
thread AS (
    SELECT
        *,
        o - CASE t WHEN 0 THEN 0 WHEN 1 THEN l1 WHEN 2 THEN l1 + l2 ELSE l1 + l2 + l3 END AS m,
        CASE t WHEN 0 THEN l1 WHEN 1 THEN l2 WHEN 2 THEN l3 ELSE 14 - l1 - l2 - l3 END AS len,
        g_h(g_seed(), b * 4 + t, 'thread') AS ht
    FROM place
),
recipient AS (
    SELECT
        *,
        g_ct_sendable(ht % g_nct()) AS j,
        3 + (ht // 100000) % 7 AS gap,
        g_pick('g_subject', ht // 1000000) AS subject,
        g_mix(ht) AS ht2
    FROM thread
),
contact AS (
    SELECT
        *,
        g_ct_kind(j) AS kind,
        g_ct_fi(j) AS fi,
        g_ct_li(j) AS li,
        g_ct_d(j) AS d,
        CASE
            WHEN g_co_bucket(g_ct_co(j)) < 5 THEN 14 + ht2 % 100
            WHEN ht2 % 50 = 0 THEN -1 - (ht2 // 50) % 7
            ELSE (ht2 // 50) % 110
        END AS end_ago
    FROM recipient
),
mail AS (
    SELECT
        *,
        g_email_of(
            kind, getvariable('g_first')[fi + 1], getvariable('g_last')[li + 1], g_dom(d), g_ct_h(j) // 1000
        ) AS email
    FROM contact
)
SELECT
    g_uuid(hash(hr)),
    CASE
        WHEN hr % 100 = 0 THEN upper(email)
        WHEN hr % 100 < 3 THEN g_cap(email)
        ELSE email
    END,
    g_pick('g_team', hr // 100),
    CASE WHEN m = 0 THEN subject ELSE 'Re: ' || subject END,
    g_asof() - (end_ago + (len - 1 - m) * gap)::INTEGER,
    g_load(),
    g_dltid(hash(hr + 1))
FROM mail;
