"""The absence form's list of the booked appointments it covers, with a
decision for each: keep it as an exception (with a reason) or mark it to be
rebooked (app/agenda/absences.py decides what is required).

The list appears when a save is refused because the absence covers
appointments with no decision (the rules' AbsenceCoversAppointments lists
them); the choices made are posted back with the form, as
`decisions-<appointment id>` (keep or rebook) and
`decisions-<appointment id>-reason`, and carried to the rules as the
absence's `decisions`.
"""

from markupsafe import Markup
from wtforms import Field

from app.agenda.absences import KEEP, REBOOK
from app.core.normalize import is_digits


class CoveredAppointmentsWidget:
    def __call__(self, field, **kwargs):
        if not field.covered:
            return Markup('<p class="form-control-static text-muted ct-covered-none" id="{}">{}</p>').format(
                field.id, "Booked appointments during the absence are listed here when you save, to decide on each."
            )
        rows = Markup("").join(self._row(field, appointment) for appointment in field.covered)
        return Markup(
            '<table class="table table-condensed ct-covered" id="{id}">'
            '<thead><tr><th scope="col">When</th><th scope="col">Patient</th><th scope="col">Type</th>'
            '<th scope="col">Decision</th></tr></thead><tbody>{rows}</tbody></table>'
        ).format(id=field.id, rows=rows)

    @staticmethod
    def _row(field, appointment: dict) -> Markup:
        name = f"{field.name}-{appointment['id']}"
        decision, reason = (field.data or {}).get(appointment["id"], (None, None))
        return Markup(
            '<tr class="ct-covered-appointment" data-appointment-id="{id}">'
            '<td>{when}</td><td>{patient} <small class="text-muted">{mrn}</small></td><td>{type}</td><td>'
            '<label class="radio-inline"><input type="radio" name="{name}" value="{rebook}"{rebook_checked}>'
            " To be rebooked</label> "
            '<label class="radio-inline"><input type="radio" name="{name}" value="{keep}"{keep_checked}>'
            " Keep (exception), because:</label> "
            '<input type="text" class="form-control input-sm" name="{name}-reason" value="{reason}" maxlength="500"'
            ' aria-label="Why it is kept">'
            "</td></tr>"
        ).format(
            id=appointment["id"],
            when=appointment["when"],
            patient=appointment["patient"],
            mrn=appointment["mrn"],
            type=appointment["type"],
            name=name,
            rebook=REBOOK,
            keep=KEEP,
            rebook_checked=Markup(" checked") if decision == REBOOK else "",
            keep_checked=Markup(" checked") if decision == KEEP else "",
            reason=reason or "",
        )


class CoveredAppointmentsField(Field):
    """{appointment id: (decision, reason)} from the posted choices (None when none)."""

    widget = CoveredAppointmentsWidget()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.covered: list[dict] = []

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data=None, extra_filters=extra_filters)
        self.data = _posted_decisions(formdata, self.name) if formdata else None

    def process_formdata(self, valuelist):
        """Read by process(): one input pair per covered appointment."""


def _posted_decisions(formdata, name: str) -> dict | None:
    prefix = f"{name}-"
    decisions = {}
    for key in formdata:
        suffix = key[len(prefix) :] if key.startswith(prefix) else ""
        if is_digits(suffix) and len(suffix) < 19:
            decisions[int(suffix)] = (formdata.get(key), formdata.get(f"{key}-reason"))
    return decisions or None
