"""The NIR agrees with the patient's sex and date of birth (INSEE rules).

Revision ID: 0031
Revises: 0021
Create Date: 2026-12-06

- nir_is_valid(): the month of birth is 01-12, or a pseudo-month when it is
  unknown: 20-42 (born abroad, incomplete civil status) or 50-99
  (incomplete registration); 43-49 are no month at all;
- patients_nir_sex_check: sex digit 1, 3, 7 for a man, 2, 4, 8 for a woman
  (3/4: born abroad, being registered; 7/8: provisional numbers); sex X is
  never contradicted;
- patients_nir_birth_check: for a registered number (sex digit 1 or 2), the
  year (2 digits) is that of the date of birth, and the month too when it is
  a real month (01-12); provisional numbers (3, 4, 7, 8) are not checked.
Rows written before this migration that break a new rule keep their place
(the constraints are then left NOT VALID, named in a NOTICE): the rule holds
for every new row and every change, so such a patient's next edit asks for
the NIR, sex or date of birth to be corrected.  app/records/nir.py says the
same in Python, for the forms' and the API's messages.
"""

from alembic import op

revision = "0031"
down_revision = "0021"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION nir_is_valid(nir text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT nir ~ '^[1-478][0-9]{2}(0[1-9]|1[0-2]|[23][0-9]|4[0-2]|[5-9][0-9])(2[AB]|[0-9]{2})[0-9]{8}$'
           AND 97 - (replace(replace(substr(nir, 1, 13), '2A', '19'), '2B', '18')::numeric % 97)
               = substr(nir, 14, 2)::int
    $$;

CREATE OR REPLACE FUNCTION nir_agrees_with_sex(nir text, sex text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT nir IS NULL OR sex IS NULL
            OR NOT ((sex = 'M' AND left(nir, 1) IN ('2', '4', '8'))
                 OR (sex = 'F' AND left(nir, 1) IN ('1', '3', '7')))
    $$;
COMMENT ON FUNCTION nir_agrees_with_sex(text, text) IS
    'NIR sex digit 1/3/7 a man, 2/4/8 a woman; sex X is never contradicted';

CREATE OR REPLACE FUNCTION nir_agrees_with_birth_date(nir text, birth_date date) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT nir IS NULL OR birth_date IS NULL
            OR left(nir, 1) NOT IN ('1', '2')
            OR substr(nir, 2, 4) !~ '^[0-9]{4}$'
            OR (substr(nir, 2, 2)::int = extract(year FROM birth_date)::int % 100
                AND (substr(nir, 4, 2)::int NOT BETWEEN 1 AND 12
                     OR substr(nir, 4, 2)::int = extract(month FROM birth_date)::int))
    $$;
COMMENT ON FUNCTION nir_agrees_with_birth_date(text, date) IS
    'A registered NIR (1/2) gives the year of birth, and the month unless a pseudo-month (20-42, 50-99)';

ALTER TABLE patients
    ADD CONSTRAINT patients_nir_sex_check CHECK (nir_agrees_with_sex(nir, sex)) NOT VALID,
    ADD CONSTRAINT patients_nir_birth_check CHECK (nir_agrees_with_birth_date(nir, birth_date)) NOT VALID;

DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['patients_nir_sex_check', 'patients_nir_birth_check'] LOOP
        BEGIN
            EXECUTE format('ALTER TABLE patients VALIDATE CONSTRAINT %I', name);
        EXCEPTION WHEN check_violation THEN
            RAISE NOTICE '% left NOT VALID: existing patients break it (fixed at their next edit)', name;
        END;
    END LOOP;
END
$$;
"""

DOWNGRADE = r"""
ALTER TABLE patients DROP CONSTRAINT IF EXISTS patients_nir_birth_check,
                     DROP CONSTRAINT IF EXISTS patients_nir_sex_check;
DROP FUNCTION IF EXISTS nir_agrees_with_birth_date(text, date);
DROP FUNCTION IF EXISTS nir_agrees_with_sex(text, text);
CREATE OR REPLACE FUNCTION nir_is_valid(nir text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT nir ~ '^[1-478][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{8}$'
           AND 97 - (replace(replace(substr(nir, 1, 13), '2A', '19'), '2B', '18')::numeric % 97)
               = substr(nir, 14, 2)::int
    $$;
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(DOWNGRADE)
