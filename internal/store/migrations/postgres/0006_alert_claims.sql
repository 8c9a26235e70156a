-- 0006 alert claims: which run owns a pending delivery, so that concurrent
-- runs never send the same alert twice (see queries/*/alert_claim.sql).
ALTER TABLE crm.alert_deliveries ADD COLUMN IF NOT EXISTS claimed_by VARCHAR;
