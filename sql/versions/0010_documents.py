"""PDF documents: the hospital's letterhead, certificate templates,
hospitalisation reports and the immutable archive of every document issued.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

- hospital_settings gains the letterhead: name, address, phone, FINESS
  number, logo (bytes and media type, size-capped) and footer text.
- certificate_templates: Jinja text written by administrators (rendered in a
  sandbox, app/documents/certificates.py) and the free fields the doctor
  fills in at issue time.  `version` goes up by itself whenever the text,
  title or fields change, so an archived certificate names the exact version
  it came from (older texts are in the audit).
- hospitalisation_reports: the structured discharge report.
- prescription_items.is_ald: the item is for the patient's long-term
  condition (ALD); such a prescription prints in the two-zone layout.
- documents: every PDF issued, with its bytes, their SHA-256 and size
  (checked by the database itself), who issued it and with which engine.
  Immutable for everyone: no UPDATE, DELETE or TRUNCATE (a trigger, and the
  application's role is granted INSERT and SELECT only).  The bytes are
  masked in the audit (the entry keeps the hash, which proves them).
- document_accesses: the journal of downloads and prints, append-only.

Plain SQL: constraint names matter (app/db_errors.py maps each to a message).
The tables are here; their triggers are in triggers/0010/01_documents_triggers.sql, run once
the tables exist.
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DOCUMENT_KINDS = ("patient_record", "certificate", "prescription", "hospitalisation_report", "audit_history")
LOGO_MEDIA_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
# The upload form says the same (app/documents/logo.py).
LOGO_MAX_BYTES = 512 * 1024

UPGRADE = rf"""
ALTER TABLE hospital_settings
    ADD COLUMN name            text  NOT NULL DEFAULT 'CareTrail Hospital',
    ADD COLUMN address         text,
    ADD COLUMN phone           varchar(16),
    ADD COLUMN finess          varchar(9),
    ADD COLUMN logo            bytea,
    ADD COLUMN logo_media_type text,
    ADD COLUMN footer          text,
    ADD CONSTRAINT hospital_settings_name_check CHECK (name = btrim(name) AND name <> '' AND length(name) <= 200),
    ADD CONSTRAINT hospital_settings_address_check CHECK (length(address) <= 500),
    ADD CONSTRAINT hospital_settings_phone_check CHECK (phone ~ '^\+[1-9][0-9]{{6,14}}$'),
    -- FINESS: nine characters, the first two the département (2A/2B in Corsica).
    ADD CONSTRAINT hospital_settings_finess_check CHECK (finess ~ '^([0-9]{{2}}|2A|2B)[0-9]{{7}}$'),
    ADD CONSTRAINT hospital_settings_logo_check CHECK (
        (logo IS NULL) = (logo_media_type IS NULL)
        AND logo_media_type IN {LOGO_MEDIA_TYPES!r}
        AND octet_length(logo) BETWEEN 1 AND {LOGO_MAX_BYTES}),
    ADD CONSTRAINT hospital_settings_footer_check CHECK (length(footer) <= 500);

CREATE TABLE certificate_templates (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title      text        NOT NULL,
    body       text        NOT NULL,
    -- [{{"name": "rest_days", "label": "Days off", "type": "number", "required": true}}, ...]
    fields     jsonb       NOT NULL DEFAULT '[]',
    version    integer     NOT NULL DEFAULT 1,
    is_active  boolean     NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT certificate_templates_title_key UNIQUE (title),
    CONSTRAINT certificate_templates_title_check CHECK (title = btrim(title) AND title <> '' AND length(title) <= 200),
    CONSTRAINT certificate_templates_body_check CHECK (btrim(body) <> '' AND length(body) <= 20000),
    CONSTRAINT certificate_templates_fields_check CHECK (jsonb_typeof(fields) = 'array'),
    CONSTRAINT certificate_templates_version_check CHECK (version >= 1)
);
COMMENT ON TABLE certificate_templates IS 'Medical certificate texts (sandboxed Jinja) and the fields the doctor fills in';

CREATE TABLE hospitalisation_reports (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id          bigint      NOT NULL,
    author_id           bigint      NOT NULL,
    service             text        NOT NULL,
    admitted_on         date        NOT NULL,
    discharged_on       date        NOT NULL,
    reason              text        NOT NULL,
    summary             text        NOT NULL,
    discharge_treatment text,
    follow_up           text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT hospitalisation_reports_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id),
    CONSTRAINT hospitalisation_reports_author_id_fkey FOREIGN KEY (author_id) REFERENCES staff (id),
    CONSTRAINT hospitalisation_reports_service_check CHECK (service = btrim(service) AND service <> '' AND length(service) <= 100),
    CONSTRAINT hospitalisation_reports_dates_check CHECK (discharged_on >= admitted_on),
    CONSTRAINT hospitalisation_reports_reason_check CHECK (btrim(reason) <> '' AND length(reason) <= 2000),
    CONSTRAINT hospitalisation_reports_summary_check CHECK (btrim(summary) <> '' AND length(summary) <= 20000),
    CONSTRAINT hospitalisation_reports_discharge_treatment_check CHECK (length(discharge_treatment) <= 5000),
    CONSTRAINT hospitalisation_reports_follow_up_check CHECK (length(follow_up) <= 5000)
);
CREATE INDEX hospitalisation_reports_patient_idx ON hospitalisation_reports (patient_id, discharged_on DESC);

ALTER TABLE prescription_items ADD COLUMN is_ald boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN prescription_items.is_ald IS 'For the patient''s long-term condition (ALD): printed in the upper zone of the two-zone form';

CREATE TABLE documents (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id           bigint      NOT NULL,
    kind                 text        NOT NULL,
    title                text        NOT NULL,
    template_id          bigint,
    template_version     integer,
    prescription_id      bigint,
    hospitalisation_report_id bigint,
    -- What the issuer typed in (a certificate's free fields), for the record.
    fields               jsonb       NOT NULL DEFAULT '{{}}',
    issued_by_user_id    integer,
    issued_by            text        NOT NULL,
    issued_at            timestamptz NOT NULL DEFAULT now(),
    engine               text        NOT NULL,
    page_count           integer     NOT NULL,
    size_bytes           integer     NOT NULL,
    sha256               bytea       NOT NULL,
    signed_by            text,
    content              bytea       NOT NULL,
    CONSTRAINT documents_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id),
    CONSTRAINT documents_template_id_fkey FOREIGN KEY (template_id) REFERENCES certificate_templates (id),
    CONSTRAINT documents_prescription_id_fkey FOREIGN KEY (prescription_id) REFERENCES prescriptions (id),
    CONSTRAINT documents_hospitalisation_report_id_fkey
        FOREIGN KEY (hospitalisation_report_id) REFERENCES hospitalisation_reports (id),
    CONSTRAINT documents_issued_by_user_id_fkey FOREIGN KEY (issued_by_user_id) REFERENCES ab_user (id),
    CONSTRAINT documents_kind_check CHECK (kind IN {DOCUMENT_KINDS!r}),
    CONSTRAINT documents_title_check CHECK (btrim(title) <> '' AND length(title) <= 300),
    -- What each kind was made from.
    CONSTRAINT documents_source_check CHECK (
        (kind = 'certificate') = (template_id IS NOT NULL AND template_version IS NOT NULL)
        AND (kind = 'prescription') = (prescription_id IS NOT NULL)
        AND (kind = 'hospitalisation_report') = (hospitalisation_report_id IS NOT NULL)),
    CONSTRAINT documents_engine_check CHECK (engine IN ('weasyprint', 'wkhtmltopdf')),
    CONSTRAINT documents_page_count_check CHECK (page_count >= 1),
    -- The database checks the bytes against their size and hash itself.
    CONSTRAINT documents_content_check CHECK (
        size_bytes = octet_length(content) AND sha256 = pg_catalog.sha256(content)
        AND substring(content FROM 1 FOR 5) = '\x255044462d'::bytea)
);
COMMENT ON TABLE documents IS 'Every PDF issued: immutable, bytes checked against their SHA-256';
CREATE INDEX documents_patient_idx ON documents (patient_id, issued_at DESC);
CREATE INDEX documents_issued_at_idx ON documents (issued_at DESC, id DESC);
CREATE INDEX documents_kind_idx ON documents (kind, issued_at DESC);
CREATE INDEX documents_prescription_idx ON documents (prescription_id) WHERE prescription_id IS NOT NULL;

CREATE TABLE document_accesses (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint      NOT NULL,
    action      text        NOT NULL,
    user_id     integer,
    username    text,
    client_addr inet,
    accessed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT document_accesses_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents (id),
    CONSTRAINT document_accesses_user_id_fkey FOREIGN KEY (user_id) REFERENCES ab_user (id),
    CONSTRAINT document_accesses_action_check CHECK (action IN ('download', 'print', 'verify'))
);
COMMENT ON TABLE document_accesses IS 'Who downloaded or printed which document, when (append-only)';
CREATE INDEX document_accesses_document_idx ON document_accesses (document_id, accessed_at);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caretrail_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON documents, document_accesses FROM caretrail_app;
    END IF;
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE ON documents, document_accesses FROM PUBLIC;

-- The PDF bytes stay out of the audit (its entry keeps the SHA-256).
INSERT INTO audit_masked_columns (table_name, column_name) VALUES ('public.documents', 'content')
ON CONFLICT DO NOTHING;
"""

DOWNGRADE = r"""
DELETE FROM audit_masked_columns WHERE table_name = 'public.documents';
DROP TABLE IF EXISTS document_accesses;
DROP TABLE IF EXISTS documents;
DROP FUNCTION IF EXISTS documents_refuse_change();
ALTER TABLE prescription_items DROP COLUMN IF EXISTS is_ald;
DROP TABLE IF EXISTS hospitalisation_reports;
DROP FUNCTION IF EXISTS hospitalisation_reports_check_author();
DROP TABLE IF EXISTS certificate_templates;
DROP FUNCTION IF EXISTS certificate_templates_version();
ALTER TABLE hospital_settings
    DROP COLUMN IF EXISTS name, DROP COLUMN IF EXISTS address, DROP COLUMN IF EXISTS phone,
    DROP COLUMN IF EXISTS finess, DROP COLUMN IF EXISTS logo, DROP COLUMN IF EXISTS logo_media_type,
    DROP COLUMN IF EXISTS footer;
"""

# Starting texts; administrators edit them (Documents > Certificate templates).
DEFAULT_CERTIFICATES = r"""
INSERT INTO certificate_templates (title, body, fields) VALUES
('Certificat médical de non contre-indication à la pratique sportive',
'Je soussigné(e), {{ doctor.name }}, certifie avoir examiné ce jour {{ patient.civility }} {{ patient.first_name }} {{ patient.last_name }}, né(e) le {{ patient.birth_date }}, et n''avoir constaté aucun signe clinique contre-indiquant la pratique de : {{ values.sport }}{% if values.competition == "oui" %}, y compris en compétition{% endif %}.',
'[{"name": "sport", "label": "Sport(s)", "type": "text", "required": true},
  {"name": "competition", "label": "En compétition (oui / non)", "type": "text", "required": false}]'),
('Avis d''arrêt de travail',
'Je soussigné(e), {{ doctor.name }}, certifie que l''état de santé de {{ patient.civility }} {{ patient.first_name }} {{ patient.last_name }}, né(e) le {{ patient.birth_date }}, nécessite un arrêt de travail du {{ values.start_date }} au {{ values.end_date }} inclus.{% if values.outings %}
Sorties : {{ values.outings }}.{% endif %}',
'[{"name": "start_date", "label": "Du", "type": "date", "required": true},
  {"name": "end_date", "label": "Au (inclus)", "type": "date", "required": true},
  {"name": "outings", "label": "Sorties (autorisées, libres...)", "type": "text", "required": false}]'),
('Certificat de présence',
'Je soussigné(e), {{ doctor.name }}, certifie que {{ patient.civility }} {{ patient.first_name }} {{ patient.last_name }} s''est présenté(e) à {{ hospital.name }} le {{ values.visit_date }}{% if values.hours %} ({{ values.hours }}){% endif %}.',
'[{"name": "visit_date", "label": "Date", "type": "date", "required": true},
  {"name": "hours", "label": "Horaires (ex. de 9 h à 11 h)", "type": "text", "required": false}]');
"""

AUDITED_TABLES = ("certificate_templates", "hospitalisation_reports", "documents", "document_accesses")


def upgrade():
    op.execute(UPGRADE)
    install_frozen(op, "0010")
    for table in AUDITED_TABLES:
        attach_audit(op, table)
    op.execute(DEFAULT_CERTIFICATES)


def downgrade():
    op.execute(DOWNGRADE)
