"""Certificates: the shipped templates take typed values (issue 15 point 16).

Revision ID: 0061
Revises: 0020
Create Date: 2026-12-06

The doctor's values are now checked by type before a certificate is
archived (app/documents/certificates.py): a yes/no field is a real answer,
and a date may have to fall on or after another.  The two templates shipped
by 0010 that needed it are updated, ONLY if nobody changed them since (same
title, text and fields as shipped): an administrator's own wording is left
exactly as it is.
- "Certificat ... pratique sportive": "competition" was free text matched
  against "oui" (typing "Oui" or "yes" silently dropped it): now a yes/no.
- "Avis d'arrêt de travail": the end date may not come before the start
  ("du 10/12/2026 au 05/12/2026" was printed and archived for good).
"""

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0020"
branch_labels = None
depends_on = None

SPORT = "Certificat médical de non contre-indication à la pratique sportive"
SPORT_BODY_0010 = (
    "Je soussigné(e), {{ doctor.name }}, certifie avoir examiné ce jour {{ patient.civility }} "
    "{{ patient.first_name }} {{ patient.last_name }}, né(e) le {{ patient.birth_date }}, et n'avoir constaté aucun "
    "signe clinique contre-indiquant la pratique de : {{ values.sport }}"
    '{% if values.competition == "oui" %}, y compris en compétition{% endif %}.'
)
SPORT_BODY = SPORT_BODY_0010.replace('{% if values.competition == "oui" %}', "{% if values.competition %}")
SPORT_FIELDS_0010 = (
    '[{"name": "sport", "label": "Sport(s)", "type": "text", "required": true},'
    ' {"name": "competition", "label": "En compétition (oui / non)", "type": "text", "required": false}]'
)
SPORT_FIELDS = (
    '[{"name": "sport", "label": "Sport(s)", "type": "text", "required": true},'
    ' {"name": "competition", "label": "En compétition", "type": "yesno", "required": false}]'
)
SICK_LEAVE = "Avis d'arrêt de travail"
SICK_LEAVE_FIELDS_0010 = (
    '[{"name": "start_date", "label": "Du", "type": "date", "required": true},'
    ' {"name": "end_date", "label": "Au (inclus)", "type": "date", "required": true},'
    ' {"name": "outings", "label": "Sorties (autorisées, libres...)", "type": "text", "required": false}]'
)
SICK_LEAVE_FIELDS = (
    '[{"name": "start_date", "label": "Du", "type": "date", "required": true},'
    ' {"name": "end_date", "label": "Au (inclus)", "type": "date", "required": true, "not_before": "start_date"},'
    ' {"name": "outings", "label": "Sorties (autorisées, libres...)", "type": "text", "required": false}]'
)

# Changed only while exactly as shipped; jsonb compares the fields whatever their spacing.
UPDATE = sa.text(
    "UPDATE certificate_templates SET body = :new_body, fields = CAST(:new_fields AS jsonb)"
    " WHERE title = :title AND body = :old_body AND fields = CAST(:old_fields AS jsonb)"
)
UPDATE_FIELDS = sa.text(
    "UPDATE certificate_templates SET fields = CAST(:new_fields AS jsonb)"
    " WHERE title = :title AND fields = CAST(:old_fields AS jsonb)"
)


def upgrade():
    op.execute(
        UPDATE.bindparams(
            title=SPORT, old_body=SPORT_BODY_0010, new_body=SPORT_BODY, old_fields=SPORT_FIELDS_0010,
            new_fields=SPORT_FIELDS,
        )
    )  # fmt: skip
    op.execute(
        UPDATE_FIELDS.bindparams(title=SICK_LEAVE, old_fields=SICK_LEAVE_FIELDS_0010, new_fields=SICK_LEAVE_FIELDS)
    )


def downgrade():
    op.execute(
        UPDATE.bindparams(
            title=SPORT, old_body=SPORT_BODY, new_body=SPORT_BODY_0010, old_fields=SPORT_FIELDS,
            new_fields=SPORT_FIELDS_0010,
        )
    )  # fmt: skip
    op.execute(
        UPDATE_FIELDS.bindparams(title=SICK_LEAVE, old_fields=SICK_LEAVE_FIELDS, new_fields=SICK_LEAVE_FIELDS_0010)
    )
