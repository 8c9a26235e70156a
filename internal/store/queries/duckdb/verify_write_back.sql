-- verify_write_back: fill crm.valid_emails (emptied before, in the same
-- transaction).
-- Params, lists in step: $1 email, $2 is_email_valid.
INSERT INTO crm.valid_emails (email, is_email_valid)
SELECT unnest($1::VARCHAR[]), unnest($2::BOOLEAN[])
