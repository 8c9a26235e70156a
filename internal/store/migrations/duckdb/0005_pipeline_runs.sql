-- 0005 pipeline runs: the audit trail of pipeline runs (intentalert run and
-- serve), one row per run. steps is a JSON array of the steps' outcomes:
-- name, status, exit code, start, duration and counts.
CREATE TABLE IF NOT EXISTS crm.pipeline_runs (
    run_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    triggered_by VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,
    exit_code INTEGER,
    steps VARCHAR,
    error VARCHAR,
    host VARCHAR,
    pid INTEGER
);
