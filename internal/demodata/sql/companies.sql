-- Companies, their contacts, and the same contacts as dlt's child table.
INSERT INTO crm.companies
SELECT g_co_id(c), g_address(h1, h2), g_dom(d), g_load(), g_co_dltid(c)
FROM (
    SELECT
        i AS c,
        g_slot_d(i) AS d,
        g_h(g_seed(), i, 'company-address') AS h1,
        g_h(g_seed(), i, 'company-address-2') AS h2
    FROM g_n
    WHERE i < g_nco()
);

INSERT INTO crm.contacts
SELECT
    g_co_id(c),
    g_uuid(hash(g_seed(), j, 'contact-id')),
    getvariable('g_first_cap')[fi + 1],
    getvariable('g_last_cap')[li + 1],
    email,
    g_phone(hp),
    g_load(),
    g_dltid(hash(g_seed(), j, 'contact-dlt'))
FROM g_contact;

-- The child table repeats the contacts, read back in order (rowid is the
-- contact number j: the table was just filled in order, without deletes).
INSERT INTO crm.companies__contacts
SELECT
    id,
    first_name,
    last_name,
    email,
    phone,
    g_co_dltid(g_ct_co(rowid)),
    g_ct_idx(rowid),
    g_dltid(hash(g_seed(), rowid, 'contact-child-dlt'))
FROM crm.contacts;
