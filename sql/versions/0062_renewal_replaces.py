"""Prescriptions: a renewal replaces what it renews (issue 15 point 19).

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-06

After a renewal was signed, the original stayed "signed" beside it: "Renewals
due" listed both (each "1 renewal left"), every new prescription got a
"duplicate therapy" alert per copy, and the patient-record PDF listed the
treatment once per copy.  The rule now lives in the database, whoever signs:
- status 'renewed' and `renewed_by_id`: signing a renewal turns every other
  signed prescription of its chain (the original and its earlier renewals)
  into 'renewed', pointing at the new one, in the same transaction
  (trigger prescriptions_renewal_replaces, after the renewal's own update);
- a renewed prescription is no longer in force: the checks
  (prescription_alerts(), which read only 'signed'), the lists and the
  documents see the live renewal only; the original still counts the
  renewals used (renewal_of_id keeps pointing at it);
- cancelling that renewal puts what it replaced back in force (renewed ->
  signed), unless the cancellation comes from a correction replacing it
  (the correction is then the one in force);
- prescriptions_check_row(): the new transitions (signed -> renewed,
  renewed -> signed as above), renewed_by_id set only that way, and a
  renewed original still takes its renewals' count;
- chains already renewed are brought to the rule: the last signed of each
  chain stays signed, the others become 'renewed' by it.
"""

from alembic import op

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None

CHECK_ROW = r"""
-- The prescription's rules, before each write:
--   INSERT: a draft, by an active doctor; a renewal points at the original,
--     and a renewal or a correction is for the same patient.
--   a draft may change freely, be cancelled (with a reason), or be signed:
--     by an active doctor, with at least one line, and with an override
--     reason when prescription_alerts() finds a contraindication.  Signing a
--     correction cancels the prescription it replaces; signing a renewal
--     takes one renewal from the original (the CHECK on renewals_used refuses
--     the one too many, also when two are signed at once).
--   once signed, nothing changes but: signed -> cancelled (with a reason),
--     expired (once past valid_until) or renewed (replaced by a signed
--     renewal: prescriptions_renewal_replaces), renewed -> signed again when
--     that renewal is cancelled, and the renewal counter going up.
CREATE OR REPLACE FUNCTION prescriptions_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    -- What may still change on a signed prescription.
    mutable text[] := ARRAY['status', 'cancelled_at', 'cancellation_reason', 'renewals_used', 'renewed_by_id',
                             'updated_at'];
    linked prescriptions;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a prescription starts as a draft'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_starts_as_draft';
        END IF;
        IF NEW.renewal_of_id IS NOT NULL THEN
            SELECT * INTO linked FROM prescriptions WHERE id = NEW.renewal_of_id;
            IF FOUND AND linked.renewal_of_id IS NOT NULL THEN
                NEW.renewal_of_id := linked.renewal_of_id;  -- renewing a renewal renews the original
                SELECT * INTO linked FROM prescriptions WHERE id = NEW.renewal_of_id;
            END IF;
        ELSIF NEW.replaces_id IS NOT NULL THEN
            SELECT * INTO linked FROM prescriptions WHERE id = NEW.replaces_id;
        END IF;
        IF linked.id IS NOT NULL AND linked.patient_id <> NEW.patient_id THEN
            RAISE EXCEPTION 'prescription % is another patient''s', linked.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_link_patient_check';
        END IF;
    ELSIF OLD.status <> 'draft' THEN
        IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
           OR NEW.renewals_used < OLD.renewals_used
           OR (NEW.status = OLD.status AND (NEW.cancelled_at, NEW.cancellation_reason)
                                           IS DISTINCT FROM (OLD.cancelled_at, OLD.cancellation_reason)) THEN
            RAISE EXCEPTION 'prescription % is % and cannot be changed', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_signed_immutable',
                      HINT = 'Write a new prescription that replaces it.';
        END IF;
        IF NEW.status <> OLD.status AND NOT (
            (OLD.status = 'signed' AND NEW.status IN ('cancelled', 'expired', 'renewed'))
            OR (OLD.status = 'renewed' AND NEW.status = 'signed')
        ) THEN
            RAISE EXCEPTION 'a prescription cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_status_transition';
        END IF;
        IF NEW.renewed_by_id IS DISTINCT FROM OLD.renewed_by_id AND NOT (
            -- replaced by a signed renewal of the same original
            (OLD.status = 'signed' AND NEW.status = 'renewed' AND EXISTS (
                SELECT 1 FROM prescriptions r
                 WHERE r.id = NEW.renewed_by_id AND r.status = 'signed' AND r.id <> OLD.id
                   AND r.renewal_of_id = coalesce(OLD.renewal_of_id, OLD.id)))
            -- back in force when the renewal that replaced it is cancelled
            OR (OLD.status = 'renewed' AND NEW.status = 'signed' AND NEW.renewed_by_id IS NULL AND EXISTS (
                SELECT 1 FROM prescriptions r WHERE r.id = OLD.renewed_by_id AND r.status = 'cancelled'))
        ) THEN
            RAISE EXCEPTION 'prescription % is replaced only by a signed renewal of it', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_renewed_by_check';
        END IF;
        IF NEW.status = 'expired' AND OLD.status <> 'expired' AND NEW.valid_until >= current_date THEN
            RAISE EXCEPTION 'prescription % is valid until %', OLD.id, OLD.valid_until
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_not_yet_expired';
        END IF;
        RETURN NEW;
    ELSIF NEW.status = 'expired' THEN
        RAISE EXCEPTION 'a draft cannot expire'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_status_transition';
    ELSIF NEW.renewed_by_id IS NOT NULL THEN
        RAISE EXCEPTION 'a draft is not replaced by a renewal'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_renewed_by_check';
    ELSIF (NEW.replaces_id, NEW.renewal_of_id) IS DISTINCT FROM (OLD.replaces_id, OLD.renewal_of_id) THEN
        RAISE EXCEPTION 'what a prescription replaces or renews is set when it is created'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_links_fixed';
    END IF;

    -- A draft being written (INSERT or UPDATE), cancelled or signed.
    IF (TG_OP = 'INSERT' OR NEW.prescriber_id <> OLD.prescriber_id OR NEW.status = 'signed')
       AND NOT staff_may_prescribe(NEW.prescriber_id) THEN
        RAISE EXCEPTION 'staff member % is not an active doctor', NEW.prescriber_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_prescriber_check';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'signed' THEN
        IF NOT EXISTS (SELECT 1 FROM prescription_items WHERE prescription_id = NEW.id) THEN
            RAISE EXCEPTION 'prescription % has no line', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_items_required';
        END IF;
        NEW.signed_at := now();
        NEW.prescribed_on := current_date;  -- the document is dated the day it is signed
        IF NEW.override_reason IS NULL AND EXISTS (
            SELECT 1 FROM prescription_alerts(
                NEW.patient_id,
                ARRAY(SELECT medication_id FROM prescription_items WHERE prescription_id = NEW.id ORDER BY position),
                NEW.replaces_id, NEW.renewal_of_id, NEW.id
            ) AS alert WHERE alert.severity = 'contraindicated'
        ) THEN
            RAISE EXCEPTION 'prescription % has a contraindication and no override reason', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_override_required',
                      HINT = 'Give the reason for prescribing despite the contraindication (override_reason).';
        END IF;
        IF NEW.replaces_id IS NOT NULL THEN
            UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(),
                   cancellation_reason = format('Replaced by prescription %s', NEW.id)
             WHERE id = NEW.replaces_id AND status = 'signed';
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prescription % is not signed (any more) and cannot be replaced', NEW.replaces_id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_replaces_check';
            END IF;
        END IF;
        IF NEW.renewal_of_id IS NOT NULL THEN
            UPDATE prescriptions SET renewals_used = renewals_used + 1
             WHERE id = NEW.renewal_of_id AND status IN ('signed', 'expired', 'renewed');
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prescription % is not signed and cannot be renewed', NEW.renewal_of_id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_renewal_of_check';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
"""

UPGRADE = (
    r"""
ALTER TABLE prescriptions
    ADD COLUMN renewed_by_id bigint
        CONSTRAINT prescriptions_renewed_by_id_fkey REFERENCES prescriptions (id),
    DROP CONSTRAINT prescriptions_status_check,
    ADD CONSTRAINT prescriptions_status_check CHECK (status IN ('draft', 'signed', 'cancelled', 'expired', 'renewed')),
    DROP CONSTRAINT prescriptions_signed_at_check,
    ADD CONSTRAINT prescriptions_signed_at_check CHECK (
        (status = 'draft' AND signed_at IS NULL)
        OR (status IN ('signed', 'expired', 'renewed') AND signed_at IS NOT NULL)
        OR status = 'cancelled'
    ),
    ADD CONSTRAINT prescriptions_renewed_check CHECK ((status = 'renewed') = (renewed_by_id IS NOT NULL));
COMMENT ON COLUMN prescriptions.renewed_by_id IS
    'The signed renewal that replaced this prescription (status renewed), set by prescriptions_renewal_replaces';
CREATE INDEX prescriptions_renewed_by_idx ON prescriptions (renewed_by_id) WHERE renewed_by_id IS NOT NULL;
"""
    + CHECK_ROW
    + r"""
CREATE OR REPLACE FUNCTION prescriptions_renewal_replaces() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF OLD.status = 'draft' AND NEW.status = 'signed' AND NEW.renewal_of_id IS NOT NULL THEN
        -- The new renewal is the one in force: the rest of its chain is replaced.
        UPDATE prescriptions SET status = 'renewed', renewed_by_id = NEW.id
         WHERE status = 'signed' AND id <> NEW.id
           AND (id = NEW.renewal_of_id OR renewal_of_id = NEW.renewal_of_id);
    ELSIF OLD.status = 'signed' AND NEW.status = 'cancelled'
          AND NOT EXISTS (SELECT 1 FROM prescriptions c WHERE c.replaces_id = NEW.id) THEN
        -- A renewal cancelled (not corrected): what it replaced is in force again.
        UPDATE prescriptions SET status = 'signed', renewed_by_id = NULL
         WHERE renewed_by_id = NEW.id AND status = 'renewed';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER prescriptions_renewal_replaces AFTER UPDATE OF status ON prescriptions
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION prescriptions_renewal_replaces();

-- Chains renewed before this rule: the last signed one stays in force.
WITH live AS (
    SELECT DISTINCT ON (coalesce(renewal_of_id, id)) coalesce(renewal_of_id, id) AS root, id
      FROM prescriptions
     WHERE status = 'signed'
     ORDER BY coalesce(renewal_of_id, id), signed_at DESC, id DESC
)
UPDATE prescriptions p SET status = 'renewed', renewed_by_id = live.id
  FROM live
 WHERE p.status = 'signed' AND p.id <> live.id AND coalesce(p.renewal_of_id, p.id) = live.root
   AND live.id <> live.root;
"""
)

# The rules' function as it was before this revision (0009's), put back by the downgrade.
CHECK_ROW_BEFORE = r"""
CREATE OR REPLACE FUNCTION prescriptions_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    -- What may still change on a signed prescription.
    mutable text[] := ARRAY['status', 'cancelled_at', 'cancellation_reason', 'renewals_used', 'updated_at'];
    linked prescriptions;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a prescription starts as a draft'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_starts_as_draft';
        END IF;
        IF NEW.renewal_of_id IS NOT NULL THEN
            SELECT * INTO linked FROM prescriptions WHERE id = NEW.renewal_of_id;
            IF FOUND AND linked.renewal_of_id IS NOT NULL THEN
                NEW.renewal_of_id := linked.renewal_of_id;  -- renewing a renewal renews the original
                SELECT * INTO linked FROM prescriptions WHERE id = NEW.renewal_of_id;
            END IF;
        ELSIF NEW.replaces_id IS NOT NULL THEN
            SELECT * INTO linked FROM prescriptions WHERE id = NEW.replaces_id;
        END IF;
        IF linked.id IS NOT NULL AND linked.patient_id <> NEW.patient_id THEN
            RAISE EXCEPTION 'prescription % is another patient''s', linked.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_link_patient_check';
        END IF;
    ELSIF OLD.status <> 'draft' THEN
        IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
           OR NEW.renewals_used < OLD.renewals_used
           OR (NEW.status = OLD.status AND (NEW.cancelled_at, NEW.cancellation_reason)
                                           IS DISTINCT FROM (OLD.cancelled_at, OLD.cancellation_reason)) THEN
            RAISE EXCEPTION 'prescription % is % and cannot be changed', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_signed_immutable',
                      HINT = 'Write a new prescription that replaces it.';
        END IF;
        IF NEW.status <> OLD.status AND NOT (OLD.status = 'signed' AND NEW.status IN ('cancelled', 'expired')) THEN
            RAISE EXCEPTION 'a prescription cannot go from % to %', OLD.status, NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_status_transition';
        END IF;
        IF NEW.status = 'expired' AND OLD.status <> 'expired' AND NEW.valid_until >= current_date THEN
            RAISE EXCEPTION 'prescription % is valid until %', OLD.id, OLD.valid_until
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_not_yet_expired';
        END IF;
        RETURN NEW;
    ELSIF NEW.status = 'expired' THEN
        RAISE EXCEPTION 'a draft cannot expire'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_status_transition';
    ELSIF (NEW.replaces_id, NEW.renewal_of_id) IS DISTINCT FROM (OLD.replaces_id, OLD.renewal_of_id) THEN
        RAISE EXCEPTION 'what a prescription replaces or renews is set when it is created'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_links_fixed';
    END IF;

    -- A draft being written (INSERT or UPDATE), cancelled or signed.
    IF (TG_OP = 'INSERT' OR NEW.prescriber_id <> OLD.prescriber_id OR NEW.status = 'signed')
       AND NOT staff_may_prescribe(NEW.prescriber_id) THEN
        RAISE EXCEPTION 'staff member % is not an active doctor', NEW.prescriber_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_prescriber_check';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'signed' THEN
        IF NOT EXISTS (SELECT 1 FROM prescription_items WHERE prescription_id = NEW.id) THEN
            RAISE EXCEPTION 'prescription % has no line', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_items_required';
        END IF;
        NEW.signed_at := now();
        NEW.prescribed_on := current_date;  -- the document is dated the day it is signed
        IF NEW.override_reason IS NULL AND EXISTS (
            SELECT 1 FROM prescription_alerts(
                NEW.patient_id,
                ARRAY(SELECT medication_id FROM prescription_items WHERE prescription_id = NEW.id ORDER BY position),
                NEW.replaces_id, NEW.renewal_of_id, NEW.id
            ) AS alert WHERE alert.severity = 'contraindicated'
        ) THEN
            RAISE EXCEPTION 'prescription % has a contraindication and no override reason', NEW.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_override_required',
                      HINT = 'Give the reason for prescribing despite the contraindication (override_reason).';
        END IF;
        IF NEW.replaces_id IS NOT NULL THEN
            UPDATE prescriptions SET status = 'cancelled', cancelled_at = now(),
                   cancellation_reason = format('Replaced by prescription %s', NEW.id)
             WHERE id = NEW.replaces_id AND status = 'signed';
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prescription % is not signed (any more) and cannot be replaced', NEW.replaces_id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_replaces_check';
            END IF;
        END IF;
        IF NEW.renewal_of_id IS NOT NULL THEN
            UPDATE prescriptions SET renewals_used = renewals_used + 1
             WHERE id = NEW.renewal_of_id AND status IN ('signed', 'expired');
            IF NOT FOUND THEN
                RAISE EXCEPTION 'prescription % is not signed and cannot be renewed', NEW.renewal_of_id
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_renewal_of_check';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
"""

DOWNGRADE = r"""
DROP TRIGGER IF EXISTS prescriptions_renewal_replaces ON prescriptions;
DROP FUNCTION IF EXISTS prescriptions_renewal_replaces();
ALTER TABLE prescriptions DISABLE TRIGGER prescriptions_check_row;
UPDATE prescriptions SET status = 'signed', renewed_by_id = NULL WHERE status = 'renewed';
ALTER TABLE prescriptions ENABLE TRIGGER prescriptions_check_row;
ALTER TABLE prescriptions
    DROP CONSTRAINT prescriptions_renewed_check,
    DROP CONSTRAINT prescriptions_status_check,
    ADD CONSTRAINT prescriptions_status_check CHECK (status IN ('draft', 'signed', 'cancelled', 'expired')),
    DROP CONSTRAINT prescriptions_signed_at_check,
    ADD CONSTRAINT prescriptions_signed_at_check CHECK (
        (status = 'draft' AND signed_at IS NULL) OR (status IN ('signed', 'expired') AND signed_at IS NOT NULL)
        OR status = 'cancelled'
    ),
    DROP COLUMN renewed_by_id;
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
    op.execute(CHECK_ROW_BEFORE)
