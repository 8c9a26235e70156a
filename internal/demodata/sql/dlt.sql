-- dlt's bookkeeping tables: one load, one schema version, one pipeline state.
-- The stored schema is built from the catalog, so it always matches the tables
-- (objects assembled with string_agg to fix the key order).
CREATE TEMP TABLE g_dlt AS
WITH cols AS (
    SELECT
        table_name,
        column_index,
        json_object(
            'name', column_name,
            'data_type', CASE
                WHEN data_type = 'VARCHAR' THEN 'text'
                WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp'
                ELSE lower(data_type)
            END,
            'nullable', is_nullable
        ) AS col,
        column_name
    FROM duckdb_columns()
    WHERE schema_name = 'crm'
),
tabs AS (
    SELECT
        table_name,
        json_object(
            'name', table_name,
            'columns', ('{' || string_agg(to_json(column_name)::VARCHAR || ':' || col::VARCHAR, ',' ORDER BY column_index) || '}')::JSON
        ) AS tab
    FROM cols
    GROUP BY table_name
),
doc AS (
    SELECT json_object(
        'version', 2,
        'engine_version', 9,
        'name', 'crm',
        'tables', (SELECT ('{' || string_agg(to_json(table_name)::VARCHAR || ':' || tab::VARCHAR, ',' ORDER BY table_name) || '}')::JSON FROM tabs),
        'settings', json_object('detections', ['iso_timestamp'], 'default_hints', json_object('not_null', ['_dlt_id', '_dlt_load_id']))
    )::VARCHAR AS schema_json
)
SELECT
    schema_json,
    to_base64(unhex(sha256(schema_json))) AS version_hash,
    json_object(
        'pipeline_name', 'crm',
        'dataset_name', 'crm',
        'default_schema_name', 'crm',
        'schema_names', ['crm'],
        '_state_version', 1,
        '_state_engine_version', 4,
        '_local', json_object('first_run', false)
    )::VARCHAR AS state_json
FROM doc;

INSERT INTO crm._dlt_version
SELECT 2, 9, p.loaded_at - INTERVAL 1 SECOND, 'crm', d.version_hash, d.schema_json
FROM g_dlt d, g_p p;

INSERT INTO crm._dlt_loads
SELECT p.load_id, 'crm', 0, p.loaded_at + INTERVAL 2 SECOND, d.version_hash
FROM g_dlt d, g_p p;

INSERT INTO crm._dlt_pipeline_state
SELECT
    1,
    4,
    'crm',
    to_base64(encode(d.state_json)),
    p.loaded_at - INTERVAL 2 SECOND,
    to_base64(unhex(sha256(d.state_json))),
    p.load_id,
    g_dltid(hash(p.seed, 'pipeline-state'))
FROM g_dlt d, g_p p;
