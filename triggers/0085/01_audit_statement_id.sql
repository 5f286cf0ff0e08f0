-- CareTrail audit: statement_id no longer recorded (release 0085).
--
-- The capture functions of release 0085 write 0 in statement_id: the
-- statement that made a change is identified by occurred_at (its start,
-- statement_timestamp()) with txid, and statement_id was that same instant
-- in microseconds.  Entries written before keep their value, and the seal's
-- canonical content (audit_canonical) is unchanged: an entry is hashed with
-- the statement_id it holds, so every link made before still verifies and a
-- statement_id changed later breaks the chain at that entry.  The column
-- stays (NOT NULL, as before): dropping it would lose what older entries
-- were sealed with.
--
-- Safe to run more than once.

COMMENT ON COLUMN audit_log.statement_id IS
    'Until release 0085, the client statement that wrote the entry (its start in microseconds since 1970); 0 since: the statement is occurred_at with txid';
