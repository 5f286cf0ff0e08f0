-- Clinical record triggers of migration 0091 (sql/versions/0091_clinical_record.py
-- creates the tables first, then runs this file).
-- Frozen: a later change comes as a new revision's copy (triggers/README.md).

CREATE TRIGGER consultations_touch_updated_at BEFORE UPDATE ON consultations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER patient_problems_touch_updated_at BEFORE UPDATE ON patient_problems
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- Optimistic locking, as the tables of migration 0020 (a draft edited in two places).
CREATE TRIGGER consultations_version BEFORE UPDATE ON consultations
    FOR EACH ROW EXECUTE FUNCTION bump_row_version();
CREATE TRIGGER patient_problems_version BEFORE UPDATE ON patient_problems
    FOR EACH ROW EXECUTE FUNCTION bump_row_version();

-- A consultation's rules, whoever writes (screen, API, psql):
--   INSERT: a draft; its appointment, when given, is the same patient's.
--   a draft changes freely, is deleted, or is signed (signed_at set here);
--   a signed consultation is never changed nor deleted: an addendum amends it.
CREATE OR REPLACE FUNCTION consultations_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'consultation % is signed and cannot be deleted', OLD.id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'consultations_signed_immutable',
                      HINT = 'Add an addendum to it instead.';
        END IF;
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a consultation starts as a draft'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'consultations_starts_as_draft';
        END IF;
    ELSIF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'consultation % is signed and cannot be changed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consultations_signed_immutable',
                  HINT = 'Add an addendum to it instead.';
    ELSIF NEW.status = 'signed' THEN
        NEW.signed_at := now();
    END IF;
    IF NEW.appointment_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.appointment_id IS DISTINCT FROM OLD.appointment_id)
       AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.id = NEW.appointment_id AND a.patient_id = NEW.patient_id) THEN
        RAISE EXCEPTION 'appointment % is not this patient''s', NEW.appointment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consultations_appointment_patient_check';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER consultations_check_row BEFORE INSERT OR UPDATE OR DELETE ON consultations
    FOR EACH ROW EXECUTE FUNCTION consultations_check_row();

-- An addendum is written to a signed consultation, once: never changed nor deleted.
CREATE OR REPLACE FUNCTION consultation_addenda_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'an addendum is never changed nor deleted'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consultation_addenda_immutable';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM consultations c WHERE c.id = NEW.consultation_id AND c.status = 'signed') THEN
        RAISE EXCEPTION 'consultation % is not signed: change the draft itself', NEW.consultation_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consultation_addenda_signed_only';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER consultation_addenda_check_row BEFORE INSERT OR UPDATE OR DELETE ON consultation_addenda
    FOR EACH ROW EXECUTE FUNCTION consultation_addenda_check_row();

-- A signed consultation's diagnoses are frozen with it.  (Deleting a draft
-- cascades to its diagnoses: the consultation is gone by then, so they go.)
CREATE OR REPLACE FUNCTION consultation_diagnoses_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM consultations c
                WHERE c.status = 'signed'
                  AND c.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.consultation_id END,
                               CASE WHEN TG_OP <> 'DELETE' THEN NEW.consultation_id END)) THEN
        RAISE EXCEPTION 'the diagnoses of a signed consultation cannot be changed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consultation_diagnoses_signed_immutable',
                  HINT = 'Add an addendum to the consultation instead.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER consultation_diagnoses_check_row BEFORE INSERT OR UPDATE OR DELETE ON consultation_diagnoses
    FOR EACH ROW EXECUTE FUNCTION consultation_diagnoses_check_row();

-- The unit follows from the kind (the CHECK refuses another); a measurement
-- is not taken in the future (five minutes of clock drift allowed).
CREATE OR REPLACE FUNCTION observations_check_row() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    NEW.unit := coalesce(NEW.unit, observation_unit(NEW.kind));
    IF NEW.measured_at > now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'an observation is not measured in the future'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'observations_measured_at_check';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER observations_check_row BEFORE INSERT OR UPDATE ON observations
    FOR EACH ROW EXECUTE FUNCTION observations_check_row();
