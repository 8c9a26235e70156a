-- pipeline_start: record that a run has started.
-- Params: $1 run_id, $2 as_of DATE, $3 triggered_by, $4 started_at TIMESTAMP,
-- $5 host, $6 pid.
INSERT INTO crm.pipeline_runs (run_id, as_of, triggered_by, started_at, status, host, pid)
VALUES ($1, $2::DATE, $3, $4::TIMESTAMP, 'running', $5, $6)
