"""Nursing care, the medication administration record and vaccinations.

Revision ID: 0095
Revises: 0091
Create Date: 2026-12-06

- care_tasks / care_task_checks: what a nurse does for a patient, once or
  every N hours (planned from a prescription line or by hand), and who did
  each occurrence when.  An occurrence is checked once (unique key), and
  only at a time the task plans (trigger).
- medication_administrations: one outcome (given, refused, held) per planned
  dose of a signed prescription line; refused and held need a reason
  (CHECK); a dose is recorded once per slot (unique key) and never given
  twice within its window (exclusion constraint), whoever writes and
  however many nurses write at once.  Records are never changed (trigger).
- vaccines (the reference), vaccination_schedule (the calendar: age-based
  doses and boosters), vaccinations (given doses) and vaccination_reminders
  (one per patient, calendar step and due day: the idempotency key of the
  reminder mail).

The triggers are in triggers/0095/ (installed by install_frozen).
"""

from alembic import op

from app.audit_sql import attach_audit, install_frozen

revision = "0095"
down_revision = "0091"
branch_labels = None
depends_on = None

# The diseases a vaccine protects against (app/care/models.py DISEASES holds the same list).
DISEASES = (
    "diphtheria",
    "tetanus",
    "pertussis",
    "polio",
    "hib",
    "hepatitis_a",
    "hepatitis_b",
    "pneumococcus",
    "meningococcus_b",
    "meningococcus_c",
    "meningococcus_acwy",
    "measles",
    "mumps",
    "rubella",
    "varicella",
    "hpv",
    "influenza",
    "zoster",
    "covid19",
    "rotavirus",
    "rsv",
    "tuberculosis",
    "yellow_fever",
    "typhoid",
    "rabies",
)
DISEASE_ARRAY = "ARRAY[" + ", ".join(f"'{d}'" for d in DISEASES) + "]::text[]"
SITES = ("left_deltoid", "right_deltoid", "left_thigh", "right_thigh", "oral", "intranasal", "other")
SITE_LIST = ", ".join(f"'{s}'" for s in SITES)

UPGRADE = f"""
CREATE TABLE vaccines (
    id           bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         varchar(20)  NOT NULL,
    name         varchar(200) NOT NULL,
    diseases     text[]       NOT NULL,
    manufacturer varchar(100),
    is_active    boolean      NOT NULL DEFAULT true,
    version      integer      NOT NULL DEFAULT 1,
    created_at   timestamptz  NOT NULL DEFAULT now(),
    updated_at   timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT vaccines_code_key UNIQUE (code),
    CONSTRAINT vaccines_code_check CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{{0,19}}$'),
    CONSTRAINT vaccines_name_check CHECK (btrim(name) <> '' AND name = btrim(name)),
    CONSTRAINT vaccines_diseases_check CHECK (cardinality(diseases) >= 1 AND diseases <@ {DISEASE_ARRAY}),
    CONSTRAINT vaccines_version_check CHECK (version >= 1)
);
COMMENT ON TABLE vaccines IS 'Vaccine reference: products and the diseases each protects against';

CREATE TABLE vaccination_schedule (
    id                   bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                 varchar(40)  NOT NULL,
    disease              varchar(30)  NOT NULL,
    label                varchar(200) NOT NULL,
    due_age_months       integer      NOT NULL,
    until_age_months     integer,
    repeat_every_months  integer,
    tolerance_months     integer      NOT NULL DEFAULT 1,
    overdue_after_months integer      NOT NULL DEFAULT 3,
    is_active            boolean      NOT NULL DEFAULT true,
    version              integer      NOT NULL DEFAULT 1,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT vaccination_schedule_code_key UNIQUE (code),
    CONSTRAINT vaccination_schedule_code_check CHECK (code ~ '^[a-z0-9][a-z0-9_-]{{0,39}}$'),
    CONSTRAINT vaccination_schedule_disease_check CHECK (disease = ANY ({DISEASE_ARRAY})),
    CONSTRAINT vaccination_schedule_label_check CHECK (btrim(label) <> ''),
    CONSTRAINT vaccination_schedule_due_age_check CHECK (due_age_months BETWEEN 0 AND 1800),
    CONSTRAINT vaccination_schedule_until_check CHECK (until_age_months > due_age_months),
    CONSTRAINT vaccination_schedule_repeat_check CHECK (repeat_every_months BETWEEN 1 AND 600),
    CONSTRAINT vaccination_schedule_tolerance_check CHECK (tolerance_months BETWEEN 0 AND 120),
    CONSTRAINT vaccination_schedule_overdue_check CHECK (overdue_after_months BETWEEN 0 AND 120),
    CONSTRAINT vaccination_schedule_version_check CHECK (version >= 1)
);
COMMENT ON TABLE vaccination_schedule IS
    'The vaccination calendar: a dose of a disease due at an age (months), until an age, repeated or not';

CREATE TABLE vaccinations (
    id          bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id  bigint       NOT NULL,
    vaccine_id  bigint       NOT NULL,
    dose_number smallint     NOT NULL DEFAULT 1,
    given_on    date         NOT NULL,
    lot_number  varchar(40)  NOT NULL,
    site        varchar(20)  NOT NULL,
    given_by_id integer,
    notes       varchar(500),
    version     integer      NOT NULL DEFAULT 1,
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT vaccinations_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT vaccinations_vaccine_id_fkey FOREIGN KEY (vaccine_id) REFERENCES vaccines (id),
    CONSTRAINT vaccinations_given_by_id_fkey FOREIGN KEY (given_by_id) REFERENCES ab_user (id) ON DELETE SET NULL,
    CONSTRAINT vaccinations_dose_number_check CHECK (dose_number BETWEEN 1 AND 20),
    CONSTRAINT vaccinations_given_on_check CHECK (given_on <= current_date AND given_on >= DATE '1900-01-01'),
    CONSTRAINT vaccinations_lot_number_check CHECK (btrim(lot_number) <> '' AND lot_number = btrim(lot_number)),
    CONSTRAINT vaccinations_site_check CHECK (site IN ({SITE_LIST})),
    CONSTRAINT vaccinations_notes_length CHECK (length(notes) <= 500),
    CONSTRAINT vaccinations_version_check CHECK (version >= 1)
);
COMMENT ON TABLE vaccinations IS 'Vaccinations given: product, dose number, day, lot, site, who gave it';
CREATE INDEX vaccinations_patient_idx ON vaccinations (patient_id, given_on);

CREATE TABLE vaccination_reminders (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id  bigint      NOT NULL,
    schedule_id bigint      NOT NULL,
    due_on      date        NOT NULL,
    status      varchar(10) NOT NULL DEFAULT 'queued',
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CONSTRAINT vaccination_reminders_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT vaccination_reminders_schedule_id_fkey FOREIGN KEY (schedule_id)
        REFERENCES vaccination_schedule (id) ON DELETE CASCADE,
    CONSTRAINT vaccination_reminders_once_key UNIQUE (patient_id, schedule_id, due_on),
    CONSTRAINT vaccination_reminders_status_check CHECK (status IN ('queued', 'sent', 'skipped', 'cancelled')),
    CONSTRAINT vaccination_reminders_sent_check CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
COMMENT ON TABLE vaccination_reminders IS
    'Due-vaccination reminders: planned once per patient, calendar step and due day';

CREATE TABLE care_tasks (
    id                   bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id           bigint       NOT NULL,
    prescription_item_id bigint,
    description          varchar(200) NOT NULL,
    starts_at            timestamptz  NOT NULL,
    every_hours          smallint,
    ends_at              timestamptz,
    status               varchar(10)  NOT NULL DEFAULT 'active',
    planned_by_id        integer,
    version              integer      NOT NULL DEFAULT 1,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT care_tasks_patient_id_fkey FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT care_tasks_prescription_item_id_fkey FOREIGN KEY (prescription_item_id)
        REFERENCES prescription_items (id),
    CONSTRAINT care_tasks_planned_by_id_fkey FOREIGN KEY (planned_by_id) REFERENCES ab_user (id) ON DELETE SET NULL,
    CONSTRAINT care_tasks_description_check CHECK (btrim(description) <> '' AND description = btrim(description)),
    CONSTRAINT care_tasks_every_hours_check CHECK (every_hours BETWEEN 1 AND 168),
    CONSTRAINT care_tasks_ends_at_check CHECK (ends_at > starts_at),
    CONSTRAINT care_tasks_status_check CHECK (status IN ('active', 'stopped')),
    CONSTRAINT care_tasks_version_check CHECK (version >= 1)
);
COMMENT ON TABLE care_tasks IS 'Nursing care planned for a patient: once, or every N hours from starts_at until ends_at';
CREATE INDEX care_tasks_active_idx ON care_tasks (patient_id) WHERE status = 'active';

CREATE TABLE care_task_checks (
    id           bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    care_task_id bigint       NOT NULL,
    due_at       timestamptz  NOT NULL,
    done_at      timestamptz  NOT NULL DEFAULT now(),
    done_by_id   integer,
    note         varchar(500),
    created_at   timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT care_task_checks_care_task_id_fkey FOREIGN KEY (care_task_id)
        REFERENCES care_tasks (id) ON DELETE CASCADE,
    CONSTRAINT care_task_checks_done_by_id_fkey FOREIGN KEY (done_by_id) REFERENCES ab_user (id) ON DELETE SET NULL,
    CONSTRAINT care_task_checks_once_key UNIQUE (care_task_id, due_at),
    CONSTRAINT care_task_checks_done_at_check CHECK (done_at <= now() + interval '5 minutes'),
    CONSTRAINT care_task_checks_note_length CHECK (length(note) <= 500)
);
COMMENT ON TABLE care_task_checks IS 'Occurrences of care tasks checked off: who, when';

CREATE TABLE medication_administrations (
    id                   bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id           bigint       NOT NULL,
    prescription_item_id bigint       NOT NULL,
    planned_at           timestamptz  NOT NULL,
    dose_window          tstzrange    NOT NULL,
    status               varchar(10)  NOT NULL,
    reason               varchar(500),
    recorded_at          timestamptz  NOT NULL DEFAULT now(),
    recorded_by_id       integer,
    note                 varchar(500),
    CONSTRAINT medication_administrations_patient_id_fkey FOREIGN KEY (patient_id)
        REFERENCES patients (id) ON DELETE CASCADE,
    CONSTRAINT medication_administrations_prescription_item_id_fkey FOREIGN KEY (prescription_item_id)
        REFERENCES prescription_items (id),
    CONSTRAINT medication_administrations_recorded_by_id_fkey FOREIGN KEY (recorded_by_id)
        REFERENCES ab_user (id) ON DELETE SET NULL,
    CONSTRAINT medication_administrations_status_check CHECK (status IN ('given', 'refused', 'held')),
    CONSTRAINT medication_administrations_reason_check CHECK (
        status = 'given' OR (reason IS NOT NULL AND btrim(reason) <> '')),
    CONSTRAINT medication_administrations_reason_length CHECK (length(reason) <= 500),
    CONSTRAINT medication_administrations_note_length CHECK (length(note) <= 500),
    CONSTRAINT medication_administrations_window_check CHECK (
        NOT isempty(dose_window) AND dose_window @> planned_at
        AND upper(dose_window) - lower(dose_window) <= interval '24 hours'),
    CONSTRAINT medication_administrations_slot_key UNIQUE (prescription_item_id, planned_at),
    CONSTRAINT medication_administrations_given_once EXCLUDE USING gist (
        prescription_item_id WITH =, dose_window WITH &&) WHERE (status = 'given')
);
COMMENT ON TABLE medication_administrations IS
    'Medication administration record: one outcome per planned dose of a signed prescription line, never changed';
CREATE INDEX medication_administrations_patient_idx ON medication_administrations (patient_id, planned_at);
"""

VERSIONED = ("vaccines", "vaccination_schedule", "vaccinations", "care_tasks")
TABLES = (
    "vaccines",
    "vaccination_schedule",
    "vaccinations",
    "vaccination_reminders",
    "care_tasks",
    "care_task_checks",
    "medication_administrations",
)


def upgrade():
    op.execute(UPGRADE)
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER {table}_touch_updated_at BEFORE UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION touch_updated_at();"
            f" CREATE TRIGGER {table}_version BEFORE UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION bump_row_version();"
        )
    install_frozen(op, "0095")
    for table in TABLES:
        attach_audit(op, table)


def downgrade():
    # Detaching drops each table's own capture function (release 0021), which dropping the table would not.
    for table in reversed(TABLES):
        op.execute(f"SELECT audit_detach('public.{table}'::regclass)")
    op.execute(f"DROP TABLE IF EXISTS {', '.join(reversed(TABLES))}")
    op.execute("DROP FUNCTION IF EXISTS medication_administrations_check_row()")
    op.execute("DROP FUNCTION IF EXISTS care_task_checks_check_row()")
