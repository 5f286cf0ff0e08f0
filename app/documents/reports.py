"""The rules of hospitalisation reports (comptes rendus d'hospitalisation):
written by doctors, read by nurses and secretaries (who send the discharge
letter).

A doctor writes only their own reports: the author of a new one is the
signed-in doctor, whatever was posted, and someone else's report is read,
not edited (the same rule as prescriptions, app/prescribing/access.py).
Administrators name the author.  The database checks the author is an
active doctor (hospitalisation_reports_author_check).
"""

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.rules import RecordRules
from app.documents.models import HospitalisationReport
from app.prescribing.access import is_admin, own_doctor_id
from app.security.policy import WRITE, may
from app.security.roles import HOSPITALISATION_REPORTS

NOT_YOURS = "You may only change your own hospitalisation reports."


def may_write_report(session, actor: Actor, report: HospitalisationReport) -> bool:
    if not may(actor, WRITE, HOSPITALISATION_REPORTS):
        return False
    return is_admin(actor) or actor.is_system or own_doctor_id(session, actor) == report.author_id


def check_may_write_report(session, actor: Actor, report: HospitalisationReport) -> None:
    """Forbidden unless `actor` may change this report (an administrator, or
    its author: may_write_report).  What every change asks first (REPORT_RULES,
    on save and delete) and what the editor asks before it opens."""
    if not may_write_report(session, actor, report):
        raise Forbidden(NOT_YOURS)


class ReportRules(RecordRules):
    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if item.id is not None:
            check_may_write_report(session, actor, _stored(session, item))
        if deleting or is_admin(actor) or actor.is_system:
            return
        own = own_doctor_id(session, actor)
        if own is None:
            raise Forbidden("Only a doctor (or an administrator) writes hospitalisation reports.")
        item.author_id = own  # a doctor is always the author of what they write


def _stored(session, item) -> HospitalisationReport:
    """The report as stored (its author before the form changed it)."""
    from sqlalchemy import select

    author = session.scalar(select(HospitalisationReport.author_id).where(HospitalisationReport.id == item.id))
    return HospitalisationReport(id=item.id, author_id=author)


REPORT_RULES = ReportRules(HOSPITALISATION_REPORTS)
