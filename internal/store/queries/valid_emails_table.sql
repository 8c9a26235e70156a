-- valid_emails_table: the table verification writes back to, made by the
-- write-back itself so that its absence means verification never ran.
CREATE TABLE IF NOT EXISTS crm.valid_emails (
    email VARCHAR,
    is_email_valid BOOLEAN
);
