-- segment_copy: write the current segmentation as CSV, ordered by company
-- id, with the header company_id,buying_intent (segment_list's rows).
-- Params: $1 file path.
COPY (SELECT company_id, buying_intent FROM crm.customer_buying_intent ORDER BY company_id)
TO $1 (FORMAT csv, HEADER true, USE_TMP_FILE false)
