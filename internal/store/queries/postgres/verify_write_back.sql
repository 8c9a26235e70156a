-- verify_write_back: fill crm.valid_emails (emptied before, in the same
-- transaction).
-- Params, arrays in step: $1 email, $2 is_email_valid.
INSERT INTO crm.valid_emails (email, is_email_valid)
SELECT email, is_email_valid
FROM unnest($1::text[], $2::boolean[]) AS rows(email, is_email_valid)
