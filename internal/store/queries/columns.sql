-- columns: every table and column of schema crm with its type.
-- Returns: table_name, column_name, data_type.
SELECT table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'crm'
