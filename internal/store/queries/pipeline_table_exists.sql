-- pipeline_table_exists: whether a table of schema crm exists.
-- Params: $1 table name.
-- Returns: n (0 or 1).
SELECT count(*) AS n
FROM information_schema.tables
WHERE table_schema = 'crm' AND table_name = $1
