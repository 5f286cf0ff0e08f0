-- CareTrail audit: views for people reading the log in psql (docs/audit.md),
-- release 0084: on_behalf_of last (CREATE OR REPLACE VIEW only adds columns at the end).
--
-- Safe to run more than once.

-- One row per changed field: who changed what, when, from what to what.
-- INSERT and DELETE show every field (old or new side empty).
CREATE OR REPLACE VIEW audit_log_readable AS
SELECT a.id AS entry_id,
       a.occurred_at,
       a.txid,
       a.table_name,
       a.row_pk AS record_id,
       a.operation,
       f.field,
       a.old_row -> f.field AS old_value,
       a.new_row -> f.field AS new_value,
       coalesce(a.app_username, a.db_user) AS changed_by,
       a.app_username,
       a.claimed_user,
       a.db_user,
       a.client_addr,
       a.application_name,
       a.request_id,
       a.reason,
       a.on_behalf_of
  FROM audit_log a
 CROSS JOIN LATERAL (
       SELECT unnest(a.changed_columns) AS field WHERE a.operation = 'UPDATE'
       UNION ALL
       SELECT jsonb_object_keys(coalesce(a.new_row, a.old_row)) WHERE a.operation IN ('INSERT', 'DELETE')
 ) AS f;
COMMENT ON VIEW audit_log_readable IS 'audit_log with one row per changed field';

-- History of one kind of record, newest first: filter on record_id.
CREATE OR REPLACE VIEW patient_history AS
SELECT * FROM audit_log_readable WHERE table_name = 'public.patients';
CREATE OR REPLACE VIEW staff_history AS
SELECT * FROM audit_log_readable WHERE table_name = 'public.staff';
CREATE OR REPLACE VIEW room_history AS
SELECT * FROM audit_log_readable WHERE table_name = 'public.rooms';
CREATE OR REPLACE VIEW user_and_role_history AS
SELECT * FROM audit_log_readable WHERE table_name LIKE 'public.ab\_%';
