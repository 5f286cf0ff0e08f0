-- Documents triggers of migration 0010 (sql/versions/0010_documents.py creates
-- the tables first, then runs this file): template versions, updated_at,
-- report authors, and the archive that is never changed nor removed.
-- Frozen: a later change comes as a new revision's copy (triggers/README.md).

-- A changed text is a new version; the version is never set by hand.
CREATE FUNCTION certificate_templates_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.version := 1;
    ELSIF (NEW.title, NEW.body, NEW.fields) IS DISTINCT FROM (OLD.title, OLD.body, OLD.fields) THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER certificate_templates_version BEFORE INSERT OR UPDATE ON certificate_templates
    FOR EACH ROW EXECUTE FUNCTION certificate_templates_version();
CREATE TRIGGER certificate_templates_touch_updated_at BEFORE UPDATE ON certificate_templates
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER hospitalisation_reports_touch_updated_at BEFORE UPDATE ON hospitalisation_reports
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- Only a doctor writes one (same rule as prescribing).
CREATE FUNCTION hospitalisation_reports_check_author() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT public.staff_may_prescribe(NEW.author_id) THEN
        RAISE EXCEPTION 'the author of a hospitalisation report must be an active doctor'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'hospitalisation_reports_author_check';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER hospitalisation_reports_check_author BEFORE INSERT OR UPDATE OF author_id ON hospitalisation_reports
    FOR EACH ROW EXECUTE FUNCTION hospitalisation_reports_check_author();

-- Documents and their journal are never changed nor removed, by anyone.
CREATE FUNCTION documents_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'An issued document is never changed: issue a new one.';
END
$$;
CREATE TRIGGER documents_immutable BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();
CREATE TRIGGER documents_no_truncate BEFORE TRUNCATE ON documents
    FOR EACH STATEMENT EXECUTE FUNCTION documents_refuse_change();
CREATE TRIGGER document_accesses_immutable BEFORE UPDATE OR DELETE ON document_accesses
    FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();
CREATE TRIGGER document_accesses_no_truncate BEFORE TRUNCATE ON document_accesses
    FOR EACH STATEMENT EXECUTE FUNCTION documents_refuse_change();
