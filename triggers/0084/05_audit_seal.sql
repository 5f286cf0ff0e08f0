-- CareTrail audit: tamper evidence (flask audit seal / flask audit verify), release 0084.
--
-- Each sealed entry gets a link: sha256(previous link || canonical content).
-- Changing, deleting or inserting an entry behind the seal breaks the chain
-- at that entry, and audit_verify() names it.  A superuser who rewrites the
-- whole chain consistently is caught only by comparing seal heads with copies
-- kept elsewhere (audit_seals.head; the CLI prints it).
--
-- Safe to run more than once.

-- Content covered by the chain, independent of session settings (time zone,
-- DateStyle): jsonb's text form is canonical.
-- Release 0084 added on_behalf_of: it is appended to the array only when
-- it is set, so an entry without it (every entry sealed before 0084) has
-- the content, hence the link, it was sealed with, and setting, changing
-- or clearing it afterwards breaks the chain at that entry.
CREATE OR REPLACE FUNCTION audit_canonical(e audit_log) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT (jsonb_build_array(
            e.id, to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.txid::text,
            e.statement_id, e.table_name, e.operation, e.row_pk, e.old_row, e.new_row, e.changed_columns,
            e.app_user_id, e.app_username, e.claimed_user, e.db_user, host(e.client_addr), e.application_name, e.request_id, e.reason
        ) || CASE WHEN e.on_behalf_of IS NULL THEN '[]'::jsonb ELSE jsonb_build_array(e.on_behalf_of) END)::text
    $$;

CREATE OR REPLACE FUNCTION audit_next_link(previous bytea, e audit_log) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT public.digest(previous || convert_to(audit_canonical(e), 'UTF8'), 'sha256') $$;

-- Where the chain starts: after the last archived entry, else empty.
CREATE OR REPLACE FUNCTION audit_chain_origin(OUT origin_position bigint, OUT origin_link bytea)
    LANGUAGE sql STABLE
    AS $$
        SELECT coalesce(max(last_position), 0),
               coalesce((SELECT last_link FROM audit_archives ORDER BY last_position DESC NULLS LAST LIMIT 1), ''::bytea)
          FROM audit_archives
    $$;

-- Seal every entry not sealed yet whose transaction has finished.
CREATE OR REPLACE FUNCTION audit_seal() RETURNS audit_seals
    LANGUAGE plpgsql
    SECURITY DEFINER  -- the application role may seal, not write the chain itself
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    snapshot     pg_snapshot := pg_current_snapshot();
    previous     audit_seals;
    link         bytea;
    last_pos     bigint;
    max_id       bigint;
    entry        audit_log;
    sealed_count bigint := 0;
    still_running xid8[];
    result       audit_seals;
BEGIN
    PERFORM pg_advisory_xact_lock(4242002);  -- one sealer at a time
    PERFORM audit_ensure_partitions();
    SELECT * INTO previous FROM audit_seals ORDER BY id DESC LIMIT 1;
    SELECT c.position, c.link INTO last_pos, link FROM audit_chain c ORDER BY c.position DESC LIMIT 1;
    IF last_pos IS NULL THEN
        SELECT origin_position, origin_link INTO last_pos, link FROM audit_chain_origin();
    END IF;
    max_id := coalesce(previous.max_entry_id, (SELECT max(entry_id) FROM audit_chain), -9223372036854775808);

    -- What is not sealed yet: entries of transactions that were running at
    -- the previous seal, or that got their id after it (both through
    -- audit_log_txid_idx); before release 0021's first seal, every entry
    -- above the last sealed id (a scan of the log, once).
    FOR entry IN
        SELECT a.* FROM audit_log a
         WHERE previous.next_xid IS NOT NULL
           AND (a.txid >= previous.next_xid OR a.txid = ANY (previous.pending_xids))
           AND pg_visible_in_snapshot(a.txid, snapshot)
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
        UNION ALL
        SELECT a.* FROM audit_log a
         WHERE previous.next_xid IS NULL
           AND (a.id > max_id OR a.txid = ANY (coalesce(previous.pending_xids, '{}')))
           AND pg_visible_in_snapshot(a.txid, snapshot)
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
         ORDER BY 1
    LOOP
        link := audit_next_link(link, entry);
        INSERT INTO audit_chain (entry_id, link) VALUES (entry.id, link) RETURNING position INTO last_pos;
        max_id := greatest(max_id, entry.id);
        sealed_count := sealed_count + 1;
    END LOOP;

    -- Transactions still running may yet commit entries below max_id.
    SELECT coalesce(array_agg(x), '{}') INTO still_running FROM pg_snapshot_xip(snapshot) AS x;
    INSERT INTO audit_seals (entry_count, last_position, max_entry_id, head, pending_xids, next_xid)
    VALUES (sealed_count, last_pos, max_id, link, still_running, pg_snapshot_xmax(snapshot))
    RETURNING * INTO result;
    RETURN result;
END
$$;

-- Re-compute the chain; one row per problem, first problem first.
--   modified  the entry's content no longer matches its link
--   deleted   a sealed entry is gone
--   inserted  an entry sits behind the seal without being sealed, or shares
--             its id with another: when the id is sealed, the copy the
--             chain does not vouch for is named (its partition, row address
--             and content), the one it vouches for is not reported
--   malformed an entry breaks the entry rules (audit_entry_is_well_formed),
--             or its patient_id is not its row's: not written by a capture function
CREATE OR REPLACE FUNCTION audit_verify()
    RETURNS TABLE (problem text, entry_id bigint, chain_position bigint, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    link      bytea;     -- the link before the position being checked
    expected  bytea;
    chained   record;
    entry     audit_log;
    latest    audit_seals;
    at_position bigint;  -- the position being checked (several rows when its id is duplicated)
    stored    bytea;     -- its stored link
    vouched   audit_log; -- the copy whose content matches the stored link
    copies    integer;
    strays    jsonb := '[]';  -- copies of a sealed id the chain does not vouch for
BEGIN
    SELECT origin_link INTO link FROM audit_chain_origin();
    -- One pass over the chain joined to the log (no lookup per entry); an id
    -- held by two entries gives two rows at one position, both checked
    -- against the same previous link.
    FOR chained IN
        SELECT c.position, c.entry_id, c.link, a AS entry, a.id IS NOT NULL AS present,
               a.tableoid::regclass::text AS part, a.ctid::text AS address
          FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.entry_id
         ORDER BY c.position
    LOOP
        IF at_position IS DISTINCT FROM chained.position THEN
            IF at_position IS NOT NULL THEN
                RETURN QUERY SELECT * FROM audit_verify_position(at_position, copies, vouched, strays);
                link := stored;  -- carry on from the stored link to find further problems
            END IF;
            at_position := chained.position; stored := chained.link;
            copies := 0; vouched := NULL; strays := '[]';
        END IF;
        IF NOT chained.present THEN
            problem := 'deleted'; entry_id := chained.entry_id; chain_position := chained.position;
            detail := 'sealed entry is missing from audit_log';
            RETURN NEXT;
            CONTINUE;
        END IF;
        copies := copies + 1;
        entry := chained.entry;
        expected := audit_next_link(link, entry);
        IF expected = chained.link AND vouched.id IS NULL THEN
            vouched := entry;
        ELSE
            strays := strays || jsonb_build_array(jsonb_build_object(
                'entry', to_jsonb(entry), 'part', chained.part, 'address', chained.address));
        END IF;
    END LOOP;
    IF at_position IS NOT NULL THEN
        RETURN QUERY SELECT * FROM audit_verify_position(at_position, copies, vouched, strays);
    END IF;

    RETURN QUERY
        SELECT 'malformed'::text, a.id, NULL::bigint,
               format('%s entry on %s row %s breaks the entry rules', a.operation, a.table_name, a.row_pk)
          FROM audit_log a
         WHERE NOT audit_entry_is_well_formed(a.operation, a.old_row, a.new_row, a.changed_columns)
            OR a.patient_id IS DISTINCT FROM coalesce(a.new_row, a.old_row) ->> 'patient_id'
         ORDER BY a.id;

    -- Two entries with one id that is not sealed: the chain vouches for
    -- neither (sealed ids are sorted out above).
    RETURN QUERY
        SELECT 'inserted'::text, a.id, NULL::bigint,
               format('%s entries share id %s, which is not sealed: the chain vouches for none of them (%s)',
                      count(*), a.id,
                      string_agg(format('%s on %s row %s at %s in %s %s', a.operation, a.table_name, a.row_pk,
                                        a.occurred_at, a.tableoid::regclass, a.ctid), '; ' ORDER BY a.occurred_at))
          FROM audit_log a
         WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
         GROUP BY a.id HAVING count(*) > 1 ORDER BY a.id;

    SELECT * INTO latest FROM audit_seals ORDER BY id DESC LIMIT 1;
    IF latest.id IS NOT NULL THEN
        RETURN QUERY
            SELECT 'inserted'::text, a.id, NULL::bigint,
                   format('%s on %s row %s is behind seal %s but not sealed', a.operation, a.table_name, a.row_pk, latest.id)
              FROM audit_log a
             WHERE a.id <= latest.max_entry_id
               AND NOT (a.txid = ANY (latest.pending_xids))
               AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
             ORDER BY a.id;
    END IF;
END
$$;

-- The problems of one chain position: its entries (one, or several sharing
-- an id), the one whose content matches the stored link (if any) and the others.
CREATE OR REPLACE FUNCTION audit_verify_position(at_position bigint, copies integer, vouched audit_log,
                                                 strays jsonb)
    RETURNS TABLE (problem text, entry_id bigint, chain_position bigint, detail text)
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
    AS $$
        -- One entry, not matching: it was modified.
        SELECT 'modified', (s -> 'entry' ->> 'id')::bigint, at_position,
               format('%s %s on %s row %s no longer matches its seal', s -> 'entry' ->> 'operation',
                      s -> 'entry' ->> 'id', s -> 'entry' ->> 'table_name', s -> 'entry' ->> 'row_pk')
          FROM jsonb_array_elements(strays) AS s
         WHERE copies = 1
        UNION ALL
        -- Several entries with this sealed id: each one the chain does not vouch for is named.
        SELECT CASE WHEN vouched.id IS NULL THEN 'modified' ELSE 'inserted' END,
               (s -> 'entry' ->> 'id')::bigint, at_position,
               format('%s on %s row %s at %s (%s, row %s) shares sealed id %s; %s',
                      s -> 'entry' ->> 'operation', s -> 'entry' ->> 'table_name', s -> 'entry' ->> 'row_pk',
                      s -> 'entry' ->> 'occurred_at', s ->> 'part', s ->> 'address', s -> 'entry' ->> 'id',
                      CASE WHEN vouched.id IS NULL
                           THEN 'no copy matches the seal (the sealed entry was modified too)'
                           ELSE format('the chain vouches for the other: %s on %s row %s at %s', vouched.operation,
                                       vouched.table_name, vouched.row_pk, vouched.occurred_at) END)
          FROM jsonb_array_elements(strays) AS s
         WHERE copies > 1
    $$;
