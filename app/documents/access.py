"""Who may issue and read which kind of document.

The role matrix gives the Document permission (screens and API); this
narrows it per kind, for the screens and the API alike:
- a patient record: whoever cares for or receives the patient;
- a certificate and a hospitalisation report: a doctor (the certificate is
  the issuing doctor's own word); the report's print is also for nurses and
  secretaries (they send discharge letters);
- a prescription: those who may read prescriptions (never secretaries);
- a patient's audit history: administrators and auditors.
Administrators and auditors may read (download) every document issued.
"""

from app.core.errors import DocumentForbidden
from app.security.roles import ADMIN_ROLE

AUDITOR_ROLE = "Auditor"

ISSUERS: dict[str, frozenset[str]] = {
    "patient_record": frozenset({"Doctor", "Nurse", "Secretary"}),
    "certificate": frozenset({"Doctor"}),
    "prescription": frozenset({"Doctor", "Nurse", "Radiologist"}),
    "hospitalisation_report": frozenset({"Doctor", "Nurse", "Secretary"}),
    "audit_history": frozenset({AUDITOR_ROLE}),
}
READ_EVERYTHING = frozenset({ADMIN_ROLE, AUDITOR_ROLE})


def may_issue(roles: frozenset[str], kind: str) -> bool:
    return ADMIN_ROLE in roles or bool(roles & ISSUERS.get(kind, frozenset()))


def may_read(roles: frozenset[str], kind: str) -> bool:
    return bool(roles & READ_EVERYTHING) or may_issue(roles, kind)


def readable_kinds(roles: frozenset[str]) -> list[str]:
    """The kinds this user may list and download (the documents screen filters on it)."""
    return [kind for kind in ISSUERS if may_read(roles, kind)]


def check_may_issue(roles: frozenset[str], kind: str) -> None:
    if kind in ISSUERS and not may_issue(roles, kind):
        raise DocumentForbidden("You may not issue this kind of document.")


def check_may_read(roles: frozenset[str], kind: str) -> None:
    if not may_read(roles, kind):
        raise DocumentForbidden("You may not read this kind of document.")
