-- CareTrail audit: restore from the log (release 0085: the logged rows are json, read as jsonb here;
-- release 0122: a transaction's entries read once, not one lookup by id per entry).
--
--   SELECT audit_restore(1234, 'before');            -- the row as it was before entry 1234
--   SELECT audit_restore(1234, 'after');             -- the row as entry 1234 left it
--   SELECT audit_restore(1234, 'transaction');       -- undo every change of 1234's transaction
--   SELECT audit_restore(1234, 'before', true, 'wrong patient merged');  -- force, own reason
--
-- SECURITY INVOKER: it writes with the caller's own privileges, and what it
-- writes is captured by the ordinary audit triggers, attributed to the caller,
-- with reason 'restore of audit entry N' (or the caller's reason).
--
-- Refusals (SQLSTATE): P0002 no such entry; CT001 a TRUNCATE (no rows to put
-- back); CT002 the table no longer exists; CT003 unknown mode.  A constraint
-- the restored row breaks (a NIR now used by another patient) raises the
-- usual error and, the caller's transaction aborting, nothing is half-restored.
--
-- Safe to run more than once.

-- The row of one entry put back in the 'before' or 'after' state.  Returns
-- what it did (or would overwrite): {"entry_id", "table", "row_pk", "action":
-- "update"|"insert"|"delete"|"none", "changes": {col: {"from", "to"}},
-- "conflict": {col: {"current", "restored"}} or null}.
CREATE OR REPLACE FUNCTION audit_restore_row(entry audit_log, mode text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    target_table regclass := to_regclass(entry.table_name);
    snapshot     jsonb := coalesce(entry.new_row::jsonb, entry.old_row::jsonb);  -- carries the key
    masked       text[];
    key_columns  text[];
    restorable   text[];
    target       jsonb;
    reference    jsonb;  -- the row right after the entry (NULL after a DELETE)
    live         jsonb;
    key_match    text;
    changes      jsonb := '{}';
    conflict     jsonb := '{}';
    col          text;
    action       text := 'none';
BEGIN
    IF entry.operation = 'TRUNCATE' THEN
        RAISE EXCEPTION 'audit entry % is a TRUNCATE: there are no rows to put back', entry.id USING ERRCODE = 'CT001';
    END IF;
    IF target_table IS NULL THEN
        RAISE EXCEPTION 'audit entry %: table % no longer exists', entry.id, entry.table_name USING ERRCODE = 'CT002';
    END IF;

    SELECT coalesce(array_agg(m.column_name), '{}') INTO masked
      FROM audit_masked_columns m WHERE m.table_name = entry.table_name;
    SELECT array_agg(a.attname::text ORDER BY k.ord) INTO key_columns
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = target_table AND i.indisprimary;
    -- What can be put back: columns in both the snapshot and today's table,
    -- except the key (it finds the row), generated columns, masked secrets
    -- (their value was never logged), updated_at and version (set by their own triggers).
    SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') INTO restorable
      FROM pg_attribute a
     WHERE a.attrelid = target_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND snapshot ? a.attname
       AND a.attname <> ALL (key_columns) AND a.attname <> ALL (masked) AND a.attname NOT IN ('updated_at', 'version');

    -- Snapshots were rendered in the writer's session (time zone...): read
    -- them back through the row type so they compare with the live row.
    EXECUTE format('SELECT to_jsonb(jsonb_populate_record(NULL::%s, $1)), to_jsonb(jsonb_populate_record(NULL::%s, $2))',
                   target_table, target_table)
       INTO target, reference
      USING CASE mode WHEN 'before' THEN entry.old_row::jsonb ELSE entry.new_row::jsonb END - masked,
            entry.new_row::jsonb - masked;
    IF (mode = 'before' AND entry.old_row IS NULL) OR (mode = 'after' AND entry.new_row IS NULL) THEN
        target := NULL;
    END IF;
    IF entry.new_row IS NULL THEN
        reference := NULL;
    END IF;

    SELECT string_agg(format('t.%I = (jsonb_populate_record(NULL::%s, $1)).%I', k, target_table, k), ' AND ')
      INTO key_match FROM unnest(key_columns) AS k;
    EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE %s FOR UPDATE', target_table, key_match)
       INTO live USING snapshot;

    -- A newer change that the restore would overwrite is a conflict.
    IF live IS NULL AND reference IS NOT NULL AND target IS NOT NULL THEN
        conflict := jsonb_build_object('(row)', jsonb_build_object('current', 'deleted since', 'restored', 're-inserted'));
    ELSIF live IS NOT NULL THEN
        FOREACH col IN ARRAY restorable LOOP
            IF live -> col IS DISTINCT FROM coalesce(reference -> col, 'null')
               AND live -> col IS DISTINCT FROM coalesce(target -> col, 'null') THEN
                conflict := conflict || jsonb_build_object(col, jsonb_build_object('current', live -> col,
                                                                                   'restored', target -> col));
            END IF;
        END LOOP;
        IF reference IS NULL AND target IS NULL THEN
            -- The entry deleted the row, restoring 'after' deletes it again:
            -- a row re-created since is a newer change.
            conflict := jsonb_build_object('(row)', jsonb_build_object('current', 'exists again', 'restored', 'deleted'));
        END IF;
    END IF;

    IF target IS NULL THEN
        IF live IS NOT NULL THEN
            EXECUTE format('DELETE FROM %s t WHERE %s', target_table, key_match) USING snapshot;
            action := 'delete';
        END IF;
    ELSIF live IS NULL THEN
        EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%s, $1) r',
                       target_table,
                       (SELECT string_agg(format('%I', c), ', ') FROM unnest(key_columns || restorable) AS c),
                       (SELECT string_agg(format('r.%I', c), ', ') FROM unnest(key_columns || restorable) AS c),
                       target_table)
            USING (CASE mode WHEN 'before' THEN entry.old_row::jsonb ELSE entry.new_row::jsonb END) - masked;
        action := 'insert';
        SELECT coalesce(jsonb_object_agg(c, jsonb_build_object('from', NULL, 'to', target -> c)), '{}')
          INTO changes FROM unnest(restorable) AS c;
    ELSE
        SELECT coalesce(jsonb_object_agg(c, jsonb_build_object('from', live -> c, 'to', target -> c)), '{}')
          INTO changes FROM unnest(restorable) AS c WHERE live -> c IS DISTINCT FROM coalesce(target -> c, 'null');
        IF changes <> '{}' THEN
            EXECUTE format('UPDATE %s t SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%s, $2) r) WHERE %s',
                           target_table,
                           (SELECT string_agg(format('%I', c), ', ') FROM jsonb_object_keys(changes) AS c),
                           (SELECT string_agg(format('r.%I', c), ', ') FROM jsonb_object_keys(changes) AS c),
                           target_table, key_match)
                USING snapshot, target;
            action := 'update';
        END IF;
    END IF;

    RETURN jsonb_build_object('entry_id', entry.id, 'table', entry.table_name, 'row_pk', entry.row_pk,
                              'action', action, 'changes', changes,
                              'conflict', CASE WHEN conflict = '{}' THEN NULL ELSE conflict END);
END
$$;

CREATE OR REPLACE FUNCTION audit_restore(entry_id bigint, mode text, force boolean DEFAULT false,
                                         reason text DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    entry           audit_log;
    step            audit_log;
    pending         audit_log[];
    waiting         audit_log[];
    outcome         jsonb;
    actions         jsonb := '[]';
    conflicts       jsonb := '[]';
    status          text;
    previous_reason text := coalesce(current_setting('caretrail.reason', true), '');
    -- Since release 0085 the application says who acts in one setting
    -- (caretrail.context): the restore's reason goes into it too.
    previous_context text := coalesce(current_setting('caretrail.context', true), '');
    context         audit_context;
    restore_reason  text;
BEGIN
    IF mode IS NULL OR mode NOT IN ('before', 'after', 'transaction') THEN
        RAISE EXCEPTION 'unknown restore mode %: before, after or transaction', mode USING ERRCODE = 'CT003';
    END IF;
    SELECT * INTO entry FROM audit_log a WHERE a.id = entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no audit entry %', entry_id USING ERRCODE = 'P0002';
    END IF;
    restore_reason := coalesce(nullif(btrim(reason), ''), 'restore of audit entry ' || entry_id);
    PERFORM set_config('caretrail.reason', restore_reason, true);
    IF previous_context <> '' THEN
        context := previous_context::audit_context;
        context.reason := restore_reason;
        PERFORM set_config('caretrail.context', context::text, true);
    END IF;
    BEGIN
        IF mode = 'transaction' THEN
            -- Newest first, so each row goes back through its own states in
            -- reverse.  A cascade logs a parent's deletion before or after
            -- its children's (trigger order), so a step a foreign key refuses
            -- waits for the next pass, once its parent is back; a pass with
            -- no progress at all raises the refusal itself.  The entries are
            -- read once, whole, through the txid index (release 0085 read each
            -- again by its id: every partition, some 6 ms an entry at 4.8M).
            SELECT array_agg(a ORDER BY a.id DESC) INTO pending FROM audit_log a WHERE a.txid = entry.txid;
            LOOP
                waiting := '{}';
                FOREACH step IN ARRAY pending LOOP
                    IF cardinality(waiting) < cardinality(pending) - 1 THEN
                        BEGIN
                            outcome := audit_restore_row(step, 'before');
                        EXCEPTION WHEN foreign_key_violation THEN
                            waiting := waiting || step;
                            CONTINUE;
                        END;
                    ELSE
                        outcome := audit_restore_row(step, 'before');  -- the last hope: let it raise
                    END IF;
                    actions := actions || jsonb_build_array(outcome - 'conflict');
                    IF outcome -> 'conflict' <> 'null' THEN
                        conflicts := conflicts || jsonb_build_array(jsonb_build_object(
                            'entry_id', step.id, 'table', step.table_name, 'row_pk', step.row_pk,
                            'fields', outcome -> 'conflict'));
                    END IF;
                END LOOP;
                EXIT WHEN cardinality(waiting) = 0;
                pending := waiting;
            END LOOP;
        ELSE
            outcome := audit_restore_row(entry, mode);
            actions := jsonb_build_array(outcome - 'conflict');
            IF outcome -> 'conflict' <> 'null' THEN
                conflicts := jsonb_build_array(jsonb_build_object(
                    'entry_id', entry.id, 'table', entry.table_name, 'row_pk', entry.row_pk,
                    'fields', outcome -> 'conflict'));
            END IF;
        END IF;
        IF jsonb_array_length(conflicts) > 0 AND NOT force THEN
            RAISE EXCEPTION 'conflict' USING ERRCODE = 'CT409';  -- undoes this block only
        END IF;
        status := CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(actions) a WHERE a ->> 'action' <> 'none')
                       THEN 'restored' ELSE 'unchanged' END;
    EXCEPTION WHEN SQLSTATE 'CT409' THEN
        status := 'conflict';
    END;
    PERFORM set_config('caretrail.reason', previous_reason, true);
    PERFORM set_config('caretrail.context', previous_context, true);
    RETURN jsonb_build_object('status', status, 'mode', mode, 'entry_id', entry_id,
                              'actions', actions, 'conflicts', conflicts);
END
$$;
