-- 0002 window indexes: make the time-window queries read only the rows
-- inside the windows, not the whole history, on the export's tables. The
-- export may be loaded after this migration ran (init replaces its tables),
-- so init runs this migration's statements again after loading; here each
-- index is made only when its table exists.
DO $$
BEGIN
    IF to_regclass('crm.news_publications') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS news_publications_date_idx ON crm.news_publications (publication_date_utc);
    END IF;
    IF to_regclass('crm.website_visits') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS website_visits_date_idx ON crm.website_visits (event_date_utc);
    END IF;
    IF to_regclass('crm.outreach_emails') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS outreach_emails_date_idx ON crm.outreach_emails (sent_date_utc);
        CREATE INDEX IF NOT EXISTS outreach_emails_to_idx ON crm.outreach_emails (lower(btrim("to")));
    END IF;
    IF to_regclass('crm.contacts') IS NOT NULL THEN
        CREATE INDEX IF NOT EXISTS contacts_email_idx ON crm.contacts (lower(btrim(email)));
        CREATE INDEX IF NOT EXISTS contacts_company_idx ON crm.contacts (company_id);
    END IF;
END
$$;
