-- pipeline_finish: record how a run ended.
-- Params: $1 run_id, $2 finished_at TIMESTAMP, $3 status, $4 exit_code,
-- $5 steps (JSON text), $6 error (NULL when none).
UPDATE crm.pipeline_runs
SET finished_at = $2::TIMESTAMP, status = $3, exit_code = $4, steps = $5, error = $6
WHERE run_id = $1
