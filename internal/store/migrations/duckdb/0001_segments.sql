-- 0001 segments: what `segment` writes.
CREATE TABLE IF NOT EXISTS crm.customer_buying_intent (
    company_id VARCHAR,
    buying_intent VARCHAR
);
CREATE TABLE IF NOT EXISTS crm.buying_intent_history (
    as_of DATE,
    company_id VARCHAR,
    buying_intent VARCHAR,
    computed_at TIMESTAMP
);
