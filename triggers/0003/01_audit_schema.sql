-- CareTrail audit: tables.
--
-- Every INSERT, UPDATE, DELETE and TRUNCATE on every application table is
-- written here by PostgreSQL itself (triggers/audit_capture.sql), whoever
-- runs it: a screen, the API, a CLI command, a background job or a DBA in
-- psql.  See docs/audit.md for how to read it.
--
-- Safe to run more than once (every statement is idempotent).

-- Partitioned by month: old months can be exported and detached without
-- touching recent ones (flask audit archive), and time-range questions only
-- read the months they need.
CREATE TABLE IF NOT EXISTS audit_log (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at      timestamptz NOT NULL DEFAULT statement_timestamp(),
    txid             xid8        NOT NULL DEFAULT pg_current_xact_id(),
    statement_id     bigint      NOT NULL,
    table_name       text        NOT NULL,
    operation        text        NOT NULL,
    row_pk           text,
    old_row          jsonb,
    new_row          jsonb,
    changed_columns  text[],
    app_user_id      integer,
    app_username     text,
    claimed_user     text,
    db_user          text        NOT NULL DEFAULT session_user,
    client_addr      inet,
    application_name text,
    request_id       text,
    reason           text,
    CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    CONSTRAINT audit_log_rows_check CHECK (
        CASE operation
            WHEN 'INSERT' THEN old_row IS NULL AND new_row IS NOT NULL
            WHEN 'UPDATE' THEN old_row IS NOT NULL AND new_row IS NOT NULL AND cardinality(changed_columns) > 0
            WHEN 'DELETE' THEN old_row IS NOT NULL AND new_row IS NULL
            ELSE old_row IS NULL AND new_row IS NULL
        END
    )
) PARTITION BY RANGE (occurred_at);

COMMENT ON TABLE audit_log IS 'Every row change of every application table, written by triggers; append-only';
COMMENT ON COLUMN audit_log.occurred_at IS 'When the statement that made the change started';
COMMENT ON COLUMN audit_log.txid IS 'Transaction id (pg_current_xact_id()): entries of one transaction share it';
COMMENT ON COLUMN audit_log.statement_id IS 'The client statement that wrote the entry (its start, in microseconds since 1970); with txid it groups the rows of one statement';
COMMENT ON COLUMN audit_log.table_name IS 'Schema-qualified table name, e.g. public.patients';
COMMENT ON COLUMN audit_log.row_pk IS 'Primary key of the changed row, as text';
COMMENT ON COLUMN audit_log.old_row IS 'The whole row before the change (masked columns show as "[masked]")';
COMMENT ON COLUMN audit_log.new_row IS 'The whole row after the change (masked columns show as "[masked]")';
COMMENT ON COLUMN audit_log.changed_columns IS 'UPDATE only: the columns whose value changed';
COMMENT ON COLUMN audit_log.app_user_id IS 'CareTrail user (ab_user.id) who acted, NULL outside the application';
COMMENT ON COLUMN audit_log.claimed_user IS 'A CareTrail user claimed by a session that is not the application''s role (anyone can SET caretrail.user_id): recorded, not trusted; app_user_id/app_username stay empty';
COMMENT ON COLUMN audit_log.db_user IS 'Database role of the session (session_user)';
COMMENT ON COLUMN audit_log.client_addr IS 'Address of the end user (HTTP client) as told by the app, else of the database client';

-- The questions people ask, each index-backed (EXPLAIN in docs/audit.md).
-- Every index costs on every audited write (bench/audit_overhead), so: three
-- btrees, one GIN on the small changed_columns arrays, and BRIN indexes for
-- what grows with time (entries are appended in id and time order, which is
-- what BRIN needs, at almost no write cost).  No primary key: a unique index
-- on a partitioned table must include occurred_at, and would be a fourth
-- btree; ids come from an identity column, and audit_verify() reports any
-- duplicate.
CREATE INDEX IF NOT EXISTS audit_log_record_idx ON audit_log (table_name, row_pk, id);
CREATE INDEX IF NOT EXISTS audit_log_user_time_idx ON audit_log (app_username, occurred_at);
CREATE INDEX IF NOT EXISTS audit_log_txid_idx ON audit_log (txid);
CREATE INDEX IF NOT EXISTS audit_log_time_brin ON audit_log USING brin (occurred_at);
CREATE INDEX IF NOT EXISTS audit_log_id_brin ON audit_log USING brin (id);
CREATE INDEX IF NOT EXISTS audit_log_changed_columns_idx ON audit_log USING gin (changed_columns);

-- Columns whose values never reach the log: their value is replaced by
-- "[masked]", while a change to them still shows in changed_columns.
CREATE TABLE IF NOT EXISTS audit_masked_columns (
    table_name  text NOT NULL,
    column_name text NOT NULL,
    PRIMARY KEY (table_name, column_name)
);
COMMENT ON TABLE audit_masked_columns IS 'Secrets kept out of audit_log (e.g. password hashes)';
INSERT INTO audit_masked_columns (table_name, column_name) VALUES
    ('public.ab_user', 'password'),
    ('public.ab_register_user', 'password'),
    ('public.ab_register_user', 'registration_hash'),
    ('public.ab_api_key', 'key_hash'),
    ('public.ab_api_key', 'lookup_hash')
ON CONFLICT DO NOTHING;

-- The hash chain (flask audit seal / verify, triggers/audit_seal.sql):
-- link(n) = sha256(link(n-1) || canonical content of the n-th sealed entry).
-- Entries are sealed in id order, except that an entry of a transaction still
-- running at seal time is sealed by a later seal (audit_seals.pending_xids).
CREATE TABLE IF NOT EXISTS audit_chain (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id bigint NOT NULL UNIQUE,
    link     bytea  NOT NULL
);
COMMENT ON TABLE audit_chain IS 'Hash-chain link of each sealed audit_log entry, in sealing order';

CREATE TABLE IF NOT EXISTS audit_seals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sealed_at     timestamptz NOT NULL DEFAULT now(),
    entry_count   bigint NOT NULL,
    last_position bigint,
    max_entry_id  bigint,
    head          bytea,
    pending_xids  xid8[] NOT NULL DEFAULT '{}',
    sealed_by     text   NOT NULL DEFAULT session_user
);
COMMENT ON TABLE audit_seals IS 'Chain head after each seal; copy heads off-site to detect a rewrite of the whole chain';
COMMENT ON COLUMN audit_seals.pending_xids IS 'Transactions running at seal time: their entries may still appear below max_entry_id';

-- Months exported and detached by flask audit archive; the chain resumes from
-- last_link, so the remaining entries stay verifiable.
CREATE TABLE IF NOT EXISTS audit_archives (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partition_name  text        NOT NULL UNIQUE,
    range_start     timestamptz NOT NULL,
    range_end       timestamptz NOT NULL,
    entry_count     bigint      NOT NULL,
    last_position   bigint,
    last_link       bytea,
    export_file     text        NOT NULL,
    export_sha256   text        NOT NULL,
    archived_at     timestamptz NOT NULL DEFAULT now(),
    archived_by     text        NOT NULL DEFAULT session_user
);
