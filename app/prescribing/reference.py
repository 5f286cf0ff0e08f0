"""The rules of the drug reference's records (medications, interactions:
written by administrators) and of patient allergies, which must be
recorded so that the checks can use them.

An allergy to a substance the drug reference does not know, or to an ATC
class no medication is in, would never match anything: the checks would
stay silent.  So it is refused with the way out: a known substance, a class,
or (for latex, foods, a drug not in the reference) a description, which
every prescription check then shows as "recorded as text only".
"""

import sqlalchemy as sa

from app.core.actor import Actor
from app.core.errors import ConstraintViolation
from app.core.extensions import db
from app.core.rules import RecordRules
from app.prescribing.models import Medication, PatientAllergy
from app.security.roles import ALLERGIES, DRUG_INTERACTIONS, MEDICATIONS


def check_allergy_agent(allergy: PatientAllergy) -> None:
    """ConstraintViolation unless the substance or class is in the reference."""
    if allergy.substance:
        known = db.session.scalar(
            sa.select(Medication.id).where(Medication.substances.contains([allergy.substance])).limit(1)
        )
        if known is None:
            raise ConstraintViolation(
                "substance",
                f"No medication in the reference contains {allergy.substance!r}: check the spelling (INN, e.g. "
                "amoxicillin), record an ATC class (J01C for penicillins), or describe it in the description.",
            )
    if allergy.atc_code:
        known = db.session.scalar(
            sa.select(Medication.id).where(Medication.atc_code.startswith(allergy.atc_code, autoescape=True)).limit(1)
        )
        if known is None:
            raise ConstraintViolation(
                "atc_code", f"No medication in the reference is in the ATC class {allergy.atc_code}."
            )


class AllergyRules(RecordRules):
    """An allergy is recorded by the signed-in clinician, to a known agent."""

    def save(self, session, actor: Actor, item) -> None:
        if item.id is None:
            item.recorded_by_id = actor.user_id
        super().save(session, actor, item)

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if not deleting:
            check_allergy_agent(item)


ALLERGY_RULES = AllergyRules(ALLERGIES)
MEDICATION_RULES = RecordRules(MEDICATIONS)
DRUG_INTERACTION_RULES = RecordRules(DRUG_INTERACTIONS)
