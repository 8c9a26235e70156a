-- pipeline_list: the most recent runs, newest first.
-- Params: $1 limit.
-- Returns: run_id, as_of, triggered_by, started_at, finished_at, status,
-- exit_code, steps, error, host, pid.
SELECT run_id, as_of, triggered_by, started_at, finished_at, status,
       exit_code, steps, error, host, pid
FROM crm.pipeline_runs
ORDER BY started_at DESC, run_id DESC
LIMIT $1
