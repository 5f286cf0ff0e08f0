"""The clinical summary printed on the patient-record sheet
(app/documents/kinds/patient_record.py): active problems and the last
vital signs, each only when the issuer's role may read it.  Allergies and
current treatments are printed by the sheet itself from prescribing, the
one source of allergies.  `shown` lists the resources printed, kept with
the document so a reader must be allowed as much (app/documents/access.py)."""

from dataclasses import dataclass, field
from decimal import Decimal

from app.clinical import charts
from app.clinical import rules as clinical
from app.clinical.models import Observation, PatientProblem
from app.core.actor import Actor
from app.security.policy import READ, may
from app.security.roles import OBSERVATIONS, PROBLEMS

# Documents are in French, like the forms they replace.
KIND_LABELS_FR = {
    "temperature": "Température",
    "pulse": "Pouls",
    "blood_pressure": "Pression artérielle",
    "respiratory_rate": "Fréquence respiratoire",
    "spo2": "SpO2",
    "weight": "Poids",
    "height": "Taille",
    "pain_score": "Douleur (EVA)",
    "glycaemia": "Glycémie",
}


@dataclass
class ClinicalSummary:
    shown: list[str] = field(default_factory=list)
    problems: list[PatientProblem] | None = None
    latest: dict[str, Observation] | None = None
    bmi: Decimal | None = None
    labels: dict[str, str] = field(default_factory=lambda: KIND_LABELS_FR)


def clinical_summary(session, actor: Actor, patient_id: int) -> ClinicalSummary:
    summary = ClinicalSummary()
    if may(actor, READ, PROBLEMS):
        summary.problems = clinical.patient_problems(session, actor, patient_id, status="active")
        summary.shown.append(PROBLEMS)
    if may(actor, READ, OBSERVATIONS):
        summary.latest = clinical.latest_observations(session, actor, patient_id)
        summary.bmi = charts.latest_bmi(summary.latest)
        summary.shown.append(OBSERVATIONS)
    return summary
