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
CREATE TEMP MACRO g_ct_first(j) AS g_pick('g_first', g_ct_h(j));
-- Contacts of one company have different last names (so different addresses).
CREATE TEMP MACRO g_ct_last(j) AS g_pick('g_last', g_h(g_seed(), g_ct_co(j), 'contact-last') + 37 * g_ct_idx(j));
-- The address of a contact by kind; the common case is tested first, so
-- the arguments are mostly evaluated once.
CREATE TEMP MACRO g_email_of(kind, first, last, dom, h) AS
    CASE
        WHEN kind >= 15 THEN last || '.' || last || '@' || dom
        ELSE CASE kind
            WHEN 0 THEN NULL
            WHEN 1 THEN ''
            WHEN 2 THEN last || '.' || last || '.' || dom
            WHEN 3 THEN last || '.' || last || '@@' || dom
            WHEN 4 THEN last || '.' || last || '@' || dom || '.'
            WHEN 5 THEN 'info@' || dom
            WHEN 6 THEN 'sales@' || dom
            WHEN 7 THEN last || '.' || last || '@mailinator.com'
            WHEN 8 THEN last || '.' || last || '@' || g_pick('g_disposable', h)
            WHEN 9 THEN first || '.' || last || '@' || dom
            WHEN 10 THEN g_cap(last) || '.' || g_cap(last) || '@' || g_dom_mixed(dom)
            WHEN 11 THEN g_cap(last) || '.' || g_cap(last) || '@' || dom
            WHEN 12 THEN last || '.' || last || '@' || upper(dom)
            WHEN 13 THEN upper(last || '.' || last || '@' || dom)
            ELSE g_cap(last) || '.' || g_cap(last) || '@' || g_cap(dom)
        END
    END;
CREATE TEMP MACRO g_ct_dom(j) AS g_dom(g_slot_d(g_ct_co(j)));
CREATE TEMP MACRO g_ct_plain(j) AS g_ct_last(j) || '.' || g_ct_last(j) || '@' || g_ct_dom(j);
CREATE TEMP MACRO g_ct_email(j) AS
    g_email_of(g_ct_kind(j), g_ct_first(j), g_ct_last(j), g_ct_dom(j), g_ct_h(j) // 1000000);
-- The address a contact browses the website with: their own when it is a
-- personal one at the company's domain, else the plain one.
CREATE TEMP MACRO g_ct_visit_email(j) AS
    CASE WHEN g_ct_kind(j) IN (0, 1, 2, 3, 4, 7, 8) THEN g_ct_plain(j) ELSE g_ct_email(j) END;
-- A contact the team can email, near j: kinds 0-4 have no usable address;
-- then j - 1 has kind 63-67 (or is forced plain), which has one.
CREATE TEMP MACRO g_ct_sendable(j) AS CASE WHEN g_ct_kind(j) < 5 THEN j - 1 ELSE j END;
