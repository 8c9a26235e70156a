-- pipeline_abandon: mark as abandoned the runs still recorded as running.
-- Only called while holding the run lock, so none of them can be alive: their
-- process died before it could record the end.
-- Params: $1 finished_at TIMESTAMP (now), $2 error.
UPDATE crm.pipeline_runs
SET status = 'abandoned', finished_at = $1::TIMESTAMP, error = $2
WHERE status = 'running'
