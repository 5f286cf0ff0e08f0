-- CareTrail audit: tables (release 0021).
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
    reason           text
) PARTITION BY RANGE (occurred_at);

-- No CHECK constraint on audit_log, on purpose.  Each audited row is an
-- INSERT statement of its own (the row trigger's), and PostgreSQL 15 reads
-- back and plans a table's CHECK expressions at every INSERT statement: the
-- two rules below cost about 155,000 instructions per audited row, more than
-- the whole copy of the row (counted with callgrind: docs/audit.md, "Where the time goes").
-- The rules still hold: audit_capture() is the only writer (privileges keep
-- everyone else out), it builds every entry this way, and audit_verify()
-- reports any entry that breaks them ("malformed").
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_operation_check;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_rows_check;

CREATE OR REPLACE FUNCTION audit_entry_is_well_formed(operation text, old_row jsonb, new_row jsonb,
                                                      changed_columns text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT coalesce(CASE operation
            WHEN 'INSERT' THEN old_row IS NULL AND new_row IS NOT NULL
            WHEN 'UPDATE' THEN old_row IS NOT NULL AND new_row IS NOT NULL AND cardinality(changed_columns) > 0
            WHEN 'DELETE' THEN old_row IS NOT NULL AND new_row IS NULL
            WHEN 'TRUNCATE' THEN old_row IS NULL AND new_row IS NULL
        END, false)
    $$;
COMMENT ON FUNCTION audit_entry_is_well_formed(text, jsonb, jsonb, text[]) IS
    'The shape of every entry: rows present as the operation implies, an UPDATE lists its changed columns';

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

-- The patient an entry belongs to: the patient_id of the row (appointments,
-- prescriptions...), NULL for rows without one (a patient's own row is found
-- by table_name and row_pk).  Written by the capture functions from the row
-- itself; audit_verify() reports an entry whose patient_id disagrees with
-- its row ("malformed").  Release 0021 replaced the expression index of
-- earlier releases by this column and a plain partial btree on it: cheaper
-- at every audited write (a generated column measured dearer than either:
-- PostgreSQL prepares its expression at every INSERT statement).
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS patient_id text;
COMMENT ON COLUMN audit_log.patient_id IS 'The patient_id of the changed row, if it has one (copied from the row)';

-- The questions people ask, each index-backed (EXPLAIN in docs/audit.md).
-- Every index costs on every audited write (bench/audit_instructions), so:
-- four btrees (record, user, transaction, and time for the newest-first
-- keyset pages of the audit screens and API), one GIN on the small
-- changed_columns arrays of UPDATE entries, and a partial btree that only
-- rows belonging to a patient (appointments, prescriptions...) pay for.  No
-- BRIN on id any more (release 0021): the seal finds the entries it has
-- not sealed yet through the transaction index (audit_seals.next_xid).  No
-- primary key: a unique index on a partitioned table must include
-- occurred_at, and would be a fifth btree; ids come from an identity
-- column, and audit_verify() reports any duplicate.
CREATE INDEX IF NOT EXISTS audit_log_record_idx ON audit_log (table_name, row_pk, id);
CREATE INDEX IF NOT EXISTS audit_log_user_time_idx ON audit_log (app_username, occurred_at);
CREATE INDEX IF NOT EXISTS audit_log_txid_idx ON audit_log (txid);
CREATE INDEX IF NOT EXISTS audit_log_time_idx ON audit_log (occurred_at, id);
DROP INDEX IF EXISTS audit_log_time_brin;
DROP INDEX IF EXISTS audit_log_id_brin;
DROP INDEX IF EXISTS audit_log_patient_idx;
-- app/audit/search.py asks for patient_id IS NOT NULL AND patient_id = ...
CREATE INDEX IF NOT EXISTS audit_log_patient_id_idx ON audit_log (patient_id, occurred_at, id)
    WHERE patient_id IS NOT NULL;
-- Only UPDATE entries have changed columns: INSERT and DELETE entries stay
-- out of the GIN index (about 14,000 instructions per audited INSERT or
-- DELETE, bench/audit_instructions).  A query on changed_columns @> ... still
-- uses it: the planner knows the operator implies IS NOT NULL.  Until
-- migration 0011 the index covered every entry; it is rebuilt partial here.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('public.audit_log_changed_columns_idx')
                                        AND indpred IS NULL) THEN
        DROP INDEX public.audit_log_changed_columns_idx;
    END IF;
END
$$;
CREATE INDEX IF NOT EXISTS audit_log_changed_columns_idx ON audit_log USING gin (changed_columns)
    WHERE changed_columns IS NOT NULL;

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
-- Release 0021: the first transaction id not yet assigned when the seal
-- took its snapshot.  An entry the seal did not cover belongs to a
-- transaction of pending_xids or to one with an id >= next_xid: the next
-- seal finds them all through audit_log_txid_idx.
ALTER TABLE audit_seals ADD COLUMN IF NOT EXISTS next_xid xid8;
COMMENT ON COLUMN audit_seals.next_xid IS 'xmax of the seal''s snapshot: entries not sealed yet have txid >= it, or in pending_xids';
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
