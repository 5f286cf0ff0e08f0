-- Prescribing triggers of migration 0009 (sql/versions/0009_prescriptions.py
-- creates the tables and helper functions first, then runs this file):
-- normalisation, updated_at, prescription and item rules.
-- Frozen: a later change comes as a new revision's copy (triggers/README.md).

-- Soft rules applied whatever the door (screen, CSV import, psql): substance
-- names normalised, ATC codes in capitals.  The CHECKs above still refuse
-- what cannot be normalised (no substance at all, a malformed ATC code).
CREATE OR REPLACE FUNCTION medications_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    NEW.substances := normalize_substances(NEW.substances);
    NEW.atc_code := nullif(upper(btrim(NEW.atc_code)), '');
    RETURN NEW;
END
$$;
CREATE TRIGGER medications_normalize BEFORE INSERT OR UPDATE ON medications
    FOR EACH ROW EXECUTE FUNCTION medications_normalize();
CREATE TRIGGER medications_touch_updated_at BEFORE UPDATE ON medications
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE OR REPLACE FUNCTION drug_interactions_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    kind text;
    value text;
BEGIN
    NEW.a_value := CASE NEW.a_kind WHEN 'atc' THEN upper(btrim(NEW.a_value))
                                   ELSE coalesce(normalize_substance(NEW.a_value), NEW.a_value) END;
    NEW.b_value := CASE NEW.b_kind WHEN 'atc' THEN upper(btrim(NEW.b_value))
                                   ELSE coalesce(normalize_substance(NEW.b_value), NEW.b_value) END;
    IF (NEW.a_kind, NEW.a_value) > (NEW.b_kind, NEW.b_value) THEN
        kind := NEW.a_kind;  value := NEW.a_value;
        NEW.a_kind := NEW.b_kind;  NEW.a_value := NEW.b_value;
        NEW.b_kind := kind;  NEW.b_value := value;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER drug_interactions_normalize BEFORE INSERT OR UPDATE ON drug_interactions
    FOR EACH ROW EXECUTE FUNCTION drug_interactions_normalize();
CREATE TRIGGER drug_interactions_touch_updated_at BEFORE UPDATE ON drug_interactions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE OR REPLACE FUNCTION patient_allergies_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    NEW.substance := normalize_substance(NEW.substance);
    NEW.atc_code := nullif(upper(btrim(NEW.atc_code)), '');
    RETURN NEW;
END
$$;
CREATE TRIGGER patient_allergies_normalize BEFORE INSERT OR UPDATE ON patient_allergies
    FOR EACH ROW EXECUTE FUNCTION patient_allergies_normalize();
CREATE TRIGGER patient_allergies_touch_updated_at BEFORE UPDATE ON patient_allergies
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER prescriptions_touch_updated_at BEFORE UPDATE ON prescriptions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER prescription_items_touch_updated_at BEFORE UPDATE ON prescription_items
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The prescription's rules, before each write:
--   INSERT: a draft, by an active doctor; a renewal points at the original,
--     and a renewal or a correction is for the same patient.
--   a draft may change freely, be cancelled (with a reason), or be signed:
--     by an active doctor, with at least one line, and with an override
--     reason when prescription_alerts() finds a contraindication.  Signing a
--     correction cancels the prescription it replaces; signing a renewal
--     takes one renewal from the original (the CHECK on renewals_used refuses
--     the one too many, also when two are signed at once).
--   once signed, nothing changes but: signed -> cancelled (with a reason) or
--     expired (once past valid_until), and the renewal counter going up.
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
CREATE TRIGGER prescriptions_check_row BEFORE INSERT OR UPDATE ON prescriptions
    FOR EACH ROW EXECUTE FUNCTION prescriptions_check_row();

-- Only drafts (and drafts abandoned before signing) may be deleted; a
-- signed prescription stays, cancelled or expired, for the record.
CREATE OR REPLACE FUNCTION prescriptions_check_delete() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN
        RAISE EXCEPTION 'prescription % was signed and cannot be deleted', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescriptions_signed_immutable',
                  HINT = 'Cancel it instead.';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER prescriptions_check_delete BEFORE DELETE ON prescriptions
    FOR EACH ROW EXECUTE FUNCTION prescriptions_check_delete();

-- Lines change only while their prescription is a draft (a line deleted
-- along with its draft prescription finds no prescription any more: fine).
-- A new line names a medication still in the reference.
CREATE OR REPLACE FUNCTION prescription_items_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM prescriptions
                WHERE id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.prescription_id END,
                             CASE WHEN TG_OP <> 'DELETE' THEN NEW.prescription_id END)
                  AND status <> 'draft') THEN
        RAISE EXCEPTION 'the lines of a signed prescription cannot be changed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescription_items_frozen',
                  HINT = 'Write a new prescription that replaces it.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF (TG_OP = 'INSERT' OR NEW.medication_id <> OLD.medication_id)
       AND EXISTS (SELECT 1 FROM medications WHERE id = NEW.medication_id AND NOT is_active) THEN
        RAISE EXCEPTION 'medication % is no longer in use', NEW.medication_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'prescription_items_medication_active';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER prescription_items_check_row BEFORE INSERT OR UPDATE OR DELETE ON prescription_items
    FOR EACH ROW EXECUTE FUNCTION prescription_items_check_row();
