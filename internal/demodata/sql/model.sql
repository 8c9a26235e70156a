-- The fictitious CRM as pure functions of a row number: company c and
-- contact j are never stored in a temporary table, every table computes what
-- it needs from the numbers (so all inserts stream, in order, in parallel).
SET VARIABLE g = (SELECT g_p FROM g_p);

-- Row numbers, materialised once: range() is a single-threaded source, a
-- table is scanned in parallel.
SET VARIABLE g_rows = (SELECT greatest(n_co, n_ct, n_news, n_visits, n_out) FROM g_p);
CREATE TEMP TABLE g_n AS
SELECT range AS i
FROM range(getvariable('g_rows'));

CREATE TEMP MACRO g_seed() AS getvariable('g').seed;
CREATE TEMP MACRO g_asof() AS getvariable('g').as_of;
CREATE TEMP MACRO g_load() AS getvariable('g').load_id;
CREATE TEMP MACRO g_nco() AS getvariable('g').n_co;
CREATE TEMP MACRO g_nct() AS getvariable('g').n_ct;

-- Domains. Pool slots [0, n_co) are the CRM companies, [n_co, dom_m) are
-- domains outside the CRM; slot -> domain number is a bijection, and domain
-- numbers -> labels is one-to-one, so no two domains are the same.
CREATE TEMP MACRO g_slot_d(x) AS
    (x * getvariable('g').dom_a + getvariable('g').dom_off) % getvariable('g').dom_m;
CREATE TEMP MACRO g_noise_d(h) AS g_slot_d(g_nco() + h % (getvariable('g').dom_m - g_nco()));

-- Company c. bucket (0-99, spread evenly over the companies) is the
-- buying-intent scenario the activity tables give it as of as_of:
-- 0-4 HIGH, 5-39 MEDIUM, 40-99 LOW (details in news.sql, visits.sql and
-- outreach.sql).
CREATE TEMP MACRO g_co_bucket(c) AS
    ((c * getvariable('g').bk_a + getvariable('g').bk_off) % g_nco()) * 100 // g_nco();
CREATE TEMP MACRO g_co_id(c) AS g_uuid(hash(g_seed(), c, 'company-id'));
CREATE TEMP MACRO g_co_dltid(c) AS g_dltid(hash(g_seed(), c, 'company-dlt'));

-- Contact j belongs to company j * n_co // n_ct (1 or 2 contacts each with
-- the export's proportions) and is its idx-th contact.
CREATE TEMP MACRO g_ct_co(j) AS j * g_nco() // g_nct();
CREATE TEMP MACRO g_ct_idx(j) AS j - (g_ct_co(j) * g_nct() + g_nco() - 1) // g_nco();
-- kind (0-99, spread evenly) decides the contact's address:
--   0 NULL, 1 empty, 2 no '@', 3 '@@', 4 trailing dot, 5 info@, 6 sales@,
--   7-8 disposable domain, 9 first.last@, 10-14 mixed case, else last.last@.
-- Contact 0 and the first contact of a HIGH company are always plain (99).
CREATE TEMP MACRO g_ct_kind(j) AS
    CASE
        WHEN j = 0 OR (g_ct_idx(j) = 0 AND g_co_bucket(g_ct_co(j)) < 5) THEN 99
        ELSE (j * 37 + getvariable('g').kind_off) % 100
    END;
CREATE TEMP MACRO g_ct_h(j) AS g_h(g_seed(), j, 'contact');
-- Names are indexes into g_first / g_last (and their capitalised copies).
CREATE TEMP MACRO g_ct_fi(j) AS g_ct_h(j) % len(getvariable('g_first'));
-- Contacts of one company have different last names (so different addresses).
CREATE TEMP MACRO g_ct_li(j) AS
    (g_h(g_seed(), g_ct_co(j), 'contact-last') + 37 * g_ct_idx(j)) % len(getvariable('g_last'));
-- Domain number of the contact's company.
CREATE TEMP MACRO g_ct_d(j) AS g_slot_d(g_ct_co(j));

-- The address of a contact from its kind, names and company domain. Like
-- every macro with a CASE here, call it on columns, not on expressions: a
-- CASE re-evaluates expression arguments in every branch, so queries compute
-- the inputs one subquery level below.
CREATE TEMP MACRO g_email_of(kind, fst, lst, dom, h) AS
    CASE
        WHEN kind >= 15 THEN concat(lst, '.', lst, '@', dom)
        ELSE CASE kind
            WHEN 0 THEN NULL
            WHEN 1 THEN ''
            WHEN 2 THEN concat(lst, '.', lst, '.', dom)
            WHEN 3 THEN concat(lst, '.', lst, '@@', dom)
            WHEN 4 THEN concat(lst, '.', lst, '@', dom, '.')
            WHEN 5 THEN 'info@' || dom
            WHEN 6 THEN 'sales@' || dom
            WHEN 7 THEN concat(lst, '.', lst, '@mailinator.com')
            WHEN 8 THEN concat(lst, '.', lst, '@', g_pick('g_disposable', h))
            WHEN 9 THEN concat(fst, '.', lst, '@', dom)
            WHEN 10 THEN concat(g_cap(lst), '.', g_cap(lst), '@', g_dom_mixed(dom))
            WHEN 11 THEN concat(g_cap(lst), '.', g_cap(lst), '@', dom)
            WHEN 12 THEN concat(lst, '.', lst, '@', upper(dom))
            WHEN 13 THEN upper(concat(lst, '.', lst, '@', dom))
            ELSE concat(g_cap(lst), '.', g_cap(lst), '@', g_cap(dom))
        END
    END;
-- The address a contact browses the website with: their own when it is a
-- personal one at the company's domain, else the plain one.
CREATE TEMP MACRO g_visit_email_of(kind, lst, dom, email) AS
    CASE WHEN kind IN (0, 1, 2, 3, 4, 7, 8) THEN concat(lst, '.', lst, '@', dom) ELSE email END;
-- A contact the team can email, near j: kinds 0-4 have no usable address;
-- then j - 1 has kind 63-67 (or is forced plain), which has one.
CREATE TEMP MACRO g_ct_sendable(j) AS CASE WHEN g_ct_kind(j) < 5 THEN j - 1 ELSE j END;

-- All contacts, one row per contact j: the columns an address needs come
-- one level below the address (see g_email_of).
CREATE TEMP VIEW g_contact AS
SELECT *, g_email_of(kind, fst, lst, dom, h) AS email
FROM (
    SELECT
        *,
        getvariable('g_first')[fi + 1] AS fst,
        getvariable('g_last')[li + 1] AS lst,
        g_dom(d) AS dom
    FROM (
        SELECT
            i AS j,
            g_ct_co(i) AS c,
            g_ct_idx(i) AS idx,
            g_ct_kind(i) AS kind,
            g_ct_fi(i) AS fi,
            g_ct_li(i) AS li,
            g_ct_d(i) AS d,
            g_ct_h(i) // 1000 AS h,
            g_h(g_seed(), i, 'contact-phone') AS hp
        FROM g_n
        WHERE i < g_nct()
    )
);
