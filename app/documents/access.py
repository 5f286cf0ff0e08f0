"""Who may issue and read which kind of document.

The role matrix gives the Document permission (screens and API); this
narrows it per kind, for every door alike (the archive's rules call it,
screens ask it to offer only the buttons that work):
- a patient record: whoever cares for or receives the patient;
- a certificate and a hospitalisation report: a doctor (the certificate is
  the issuing doctor's own word); the report's print is also for nurses
  (never for secretaries: no clinical document, issue 18);
- a prescription: those who may read prescriptions (never secretaries);
- a patient's audit history: administrators and auditors.
Administrators and auditors may read (download) every document issued.
"""

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.core.msgids import N_
from app.security.policy import READ, WRITE, field_groups_of, may
from app.security.roles import ADMIN_ROLE, BREAK_GLASS_ROLE, DOCUMENTS, FIELD_GROUPS, PATIENTS, PRESCRIPTIONS

AUDITOR_ROLE = "Auditor"

ISSUERS: dict[str, frozenset[str]] = {
    "patient_record": frozenset({"Doctor", "Nurse", "Secretary"}),
    "certificate": frozenset({"Doctor"}),
    "prescription": frozenset({"Doctor", "Nurse", "Radiologist"}),
    "hospitalisation_report": frozenset({"Doctor", "Nurse"}),
    "audit_history": frozenset({AUDITOR_ROLE}),
}
READ_EVERYTHING = frozenset({ADMIN_ROLE, AUDITOR_ROLE})


def may_issue(actor: Actor, kind: str) -> bool:
    if not may(actor, WRITE, DOCUMENTS):
        return False
    return actor.is_system or ADMIN_ROLE in actor.roles or bool(actor.roles & ISSUERS.get(kind, frozenset()))


# What a break-the-glass grant lends: the patient's clinical documents, as a
# doctor reads them (not the audit history, which is the auditors').
BREAK_GLASS_KINDS = frozenset({"patient_record", "certificate", "prescription", "hospitalisation_report"})


def may_read(actor: Actor, kind: str) -> bool:
    if not may(actor, READ, DOCUMENTS):
        return False
    if BREAK_GLASS_ROLE in actor.roles and kind in BREAK_GLASS_KINDS:
        return True
    return actor.is_system or bool(actor.roles & READ_EVERYTHING) or may_issue(actor, kind)


def readable_kinds(actor: Actor) -> list[str]:
    """The kinds this user may list and download (the documents screen filters on it)."""
    return [kind for kind in ISSUERS if may_read(actor, kind)]


# Why a kind is refused, where there is more to say than "not this kind".
NOT_ISSUED_BY_YOU = {"certificate": N_("Only a doctor issues a medical certificate.")}


def check_may_issue(actor: Actor, kind: str) -> None:
    """Forbidden unless `actor` may issue this kind (may_issue): what
    issue_document asks before every issue (screens, API, CLI) and what the
    certificate editor asks before it opens."""
    if kind in ISSUERS and not may_issue(actor, kind):
        raise Forbidden(NOT_ISSUED_BY_YOU.get(kind, N_("You may not issue this kind of document.")))


def check_may_read(actor: Actor, kind: str) -> None:
    if not may_read(actor, kind):
        raise Forbidden("You may not read this kind of document.")


def check_may_read_document(actor: Actor, document) -> None:
    """The kind, then for a patient record what it shows (the groups of the
    patient's fields and the treatments its issuer could read, kept with
    it): a secretary does not download the sheet a doctor printed."""
    check_may_read(actor, document.kind)
    if document.kind != "patient_record" or actor.is_system:
        return
    shows = (document.fields or {}).get("shows") or {}
    # A sheet issued before this rule shows everything.
    groups = shows.get("groups", list(FIELD_GROUPS[PATIENTS]))
    treatments = shows.get("treatments", True)
    clinical = shows.get("clinical", [])  # the clinical summary's resources (problems, observations)
    if (
        not set(groups) <= set(field_groups_of(actor, PATIENTS))
        or (treatments and not may(actor, READ, PRESCRIPTIONS))
        or not all(may(actor, READ, resource) for resource in clinical)
    ):
        raise Forbidden("This patient record shows fields your role may not read.")
