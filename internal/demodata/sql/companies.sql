-- Companies, their contacts, and the same contacts as dlt's child table.
INSERT INTO crm.companies
SELECT
    g_co_id(i),
    g_address(g_h(g_seed(), i, 'company-address'), g_h(g_seed(), i, 'company-address-2')),
    g_dom(g_slot_d(i)),
    g_load(),
    g_co_dltid(i)
FROM g_n
WHERE i < g_nco();

INSERT INTO crm.contacts
SELECT
    g_co_id(g_ct_co(i)),
    g_uuid(hash(g_seed(), i, 'contact-id')),
    g_pick('g_first_cap', g_ct_h(i)),
    g_cap(g_ct_last(i)),
    g_ct_email(i),
    g_phone(g_h(g_seed(), i, 'contact-phone')),
    g_load(),
    g_dltid(hash(g_seed(), i, 'contact-dlt'))
FROM g_n
WHERE i < g_nct();

INSERT INTO crm.companies__contacts
SELECT
    g_uuid(hash(g_seed(), i, 'contact-id')),
    g_pick('g_first_cap', g_ct_h(i)),
    g_cap(g_ct_last(i)),
    g_ct_email(i),
    g_phone(g_h(g_seed(), i, 'contact-phone')),
    g_co_dltid(g_ct_co(i)),
    g_ct_idx(i),
    g_dltid(hash(g_seed(), i, 'contact-child-dlt'))
FROM g_n
WHERE i < g_nct();
