-- The generation parameters, bound from Go, plus offsets derived from the seed.
CREATE TEMP TABLE g_p AS
SELECT
    *,
    (hash(seed, 'dom-off') % dom_m::UBIGINT)::BIGINT AS dom_off,
    (hash(seed, 'bucket-off') % n_co::UBIGINT)::BIGINT AS bk_off,
    (hash(seed, 'kind-off') % 100)::BIGINT AS kind_off,
    (hash(seed, 'url-off') % 100)::BIGINT AS url_off
FROM (
    SELECT
        $1::BIGINT AS seed,
        $2::DATE AS as_of,
        $3::BIGINT AS n_co,
        $4::BIGINT AS n_ct,
        $5::BIGINT AS n_news,
        $6::BIGINT AS n_visits,
        $7::BIGINT AS n_out,
        $8::BIGINT AS news_crm,
        $9::BIGINT AS visits_crm,
        $10::BIGINT AS dom_m,
        $11::BIGINT AS dom_a,
        $12::BIGINT AS bk_a,
        $13::VARCHAR AS load_id,
        $14::TIMESTAMPTZ AS loaded_at
);
