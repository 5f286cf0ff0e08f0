"""Demo care data: the vaccine reference and the French vaccination
calendar (reference data, loaded through the same importers as a
hospital's files, app/care/data/), and, on patients the demo creates in
this run only, a flu vaccination given last autumn and a care task every
8 hours.  Idempotent: the imports add the missing rows only (a row
someone changed stays as they left it), and the records go only with
patients just created."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.care.models import CareTask, Vaccination, Vaccine
from app.care.reference_import import import_calendar, import_vaccines
from app.core.actor import SYSTEM
from app.records.models import Patient


@dataclass
class CareSummary:
    vaccines: int = 0
    calendar_steps: int = 0
    vaccinations: int = 0
    care_tasks: int = 0

    def __str__(self) -> str:
        return (
            f"{self.vaccines} vaccine(s), {self.calendar_steps} calendar step(s), "
            f"{self.vaccinations} vaccination(s), {self.care_tasks} care task(s) added"
        )


def seed_demo_care(session, created: list[Patient]) -> CareSummary:
    """`created`: the patients this run of the demo created.  Flushes; the caller commits."""
    summary = CareSummary()
    summary.vaccines = import_vaccines(session, SYSTEM, commit=False, keep_existing=True).added
    summary.calendar_steps = import_calendar(session, SYSTEM, commit=False, keep_existing=True).added
    flu = session.scalar(sa.select(Vaccine).where(Vaccine.code == "FLU"))
    session.flush()
    for patient in created[:3]:
        if flu is not None:
            session.add(
                Vaccination(
                    patient=patient,
                    vaccine=flu,
                    given_on=_last_october(),
                    lot_number="DEMO-FLU-01",
                    site="left_deltoid",
                    notes="DEMO vaccination",
                )
            )
            summary.vaccinations += 1
    for patient in created[3:5]:
        starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=10)
        session.add(CareTask(patient=patient, description="DEMO: check the dressing", starts_at=starts, every_hours=8))
        summary.care_tasks += 1
    session.flush()
    return summary


def _last_october() -> date:
    today = date.today()
    year = today.year if today.month >= 11 else today.year - 1
    return date(year, 10, 15)
