-- 0004 alert deliveries: the delivery ledger of the alert step.
-- One row per message sent, or being sent, on a channel: "key" is a hash of
-- the channel, the contact's address and the as-of date (the idempotency
-- key channels pass on). status: pending (claimed before the send), sent,
-- failed. attempts counts the attempts of finished sends.
CREATE TABLE IF NOT EXISTS crm.alert_deliveries (
    "key" VARCHAR PRIMARY KEY,
    contact_email VARCHAR NOT NULL,
    company_id VARCHAR,
    channel VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);

CREATE INDEX IF NOT EXISTS alert_deliveries_contact_idx ON crm.alert_deliveries (contact_email, channel);
