-- The exact schema of the dlt-loaded CRM export (schema crm): column names,
-- order, types and NOT NULL constraints as in the real file.
CREATE SCHEMA crm;

CREATE TABLE crm._dlt_version (
    version BIGINT NOT NULL,
    engine_version BIGINT NOT NULL,
    inserted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    schema_name VARCHAR NOT NULL,
    version_hash VARCHAR NOT NULL,
    "schema" VARCHAR NOT NULL
);

CREATE TABLE crm._dlt_loads (
    load_id VARCHAR NOT NULL,
    schema_name VARCHAR,
    status BIGINT NOT NULL,
    inserted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    schema_version_hash VARCHAR
);

CREATE TABLE crm._dlt_pipeline_state (
    version BIGINT NOT NULL,
    engine_version BIGINT NOT NULL,
    pipeline_name VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    version_hash VARCHAR,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.companies (
    id VARCHAR,
    address VARCHAR,
    "domain" VARCHAR,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.contacts (
    company_id VARCHAR,
    id VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.companies__contacts (
    id VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    _dlt_parent_id VARCHAR NOT NULL,
    _dlt_list_idx BIGINT NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.news_publications (
    id VARCHAR,
    headline VARCHAR,
    company_website VARCHAR,
    publication_date_utc DATE,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.website_visits (
    id VARCHAR,
    email VARCHAR,
    event_date_utc DATE,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);

CREATE TABLE crm.outreach_emails (
    id VARCHAR,
    "to" VARCHAR,
    "from" VARCHAR,
    subject VARCHAR,
    sent_date_utc DATE,
    _dlt_load_id VARCHAR NOT NULL,
    _dlt_id VARCHAR NOT NULL
);
