-- 0003 email verifications: the cache and audit trail of verification.
-- crm.email_verifications is the cache and audit trail, one row per address
-- per check. (crm.valid_emails, the write-back, is made by the write-back
-- itself, so that its absence still means verification never ran.)
CREATE TABLE IF NOT EXISTS crm.email_verifications (
    email VARCHAR NOT NULL,        -- trimmed and lower-cased
    verdict VARCHAR NOT NULL,      -- valid, invalid, catch-all, unknown or do-not-mail
    sub_status VARCHAR NOT NULL,   -- the provider's detail, '' when none
    provider VARCHAR NOT NULL,     -- zerobounce, abstractapi, offline or csv
    checked_at TIMESTAMP NOT NULL, -- when the answer arrived, UTC
    credits INTEGER NOT NULL,      -- credits the check cost
    raw JSON                       -- the provider's answer for this address
);

CREATE INDEX IF NOT EXISTS email_verifications_email_idx ON crm.email_verifications (email, checked_at);
