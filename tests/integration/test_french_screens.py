"""Every screen reads in French when the language is French: each role, with
the demo hospital loaded (patients, appointments, prescriptions,
consultations and vital signs, care tasks) and an alert and a failed job,
visits every page its menu offers and, from each, the first show, edit and
add pages; the visible text must hold none of the English words below.

The words are whole words, case-sensitive, chosen so no French text matches
them ("Patient", "Date", "Actions" are French too; "Temperature" does not
match "Température").  Data typed by people (room names, specialties,
allergies) is data: the words here are the interface's own."""

import re
from html.parser import HTMLParser

import pytest

from app.demo.hospital import seed_demo_data

ROLES = ("admin", "doctor", "nurse", "secretary", "radiologist", "auditor")

ENGLISH = [
    # The slot finder postponing an appointment
    "free slots",
    "Choose the new time",
    "no longer be postponed",
    "to be rebooked",
    # The list's quick search, a patient's deletion
    "Find",
    "At most",
    "rows?",
    # The audit list's toolbar and entries
    "shown",
    "newest first",
    "Same transaction",
    "database role",
    # FAB's generated titles and buttons
    "List",
    "Show",
    "Edit",
    "Add",
    "Record",
    "Search",
    "Save",
    "Delete",
    "Back",
    "Refresh",
    "Next",
    "Previous",
    "Submit",
    "Cancel",
    "Close",
    "Print",
    "Filter",
    "Details",
    "Name",
    "Status",
    "Yes",
    "No",
    "None recorded",
    "Nothing",
    "Loading",
    # statuses
    "Scheduled",
    "Confirmed",
    "Arrived",
    "Cancelled",
    "Completed",
    "Honoured",
    "Missed",
    "Draft",
    "Signed",
    "Pending",
    "Failed",
    "Succeeded",
    "Running",
    "Done",
    "Overdue",
    "Given",
    "Refused",
    "Stopped",
    "Active",
    "Inactive",
    "Expired",
    "Acknowledged",
    "New",
    "Open",
    "Closed",
    # alerts
    "Warning",
    "Critical",
    "Info",
    "changed",
    "created",
    "deleted",
    # days, months
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Tue",
    "Wed",
    "Thu",
    "Fri",
    "Sat",
    "Sun",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Today",
    "Tomorrow",
    "Yesterday",
    "Week",
    "Day",
    # vital signs and the patient
    "Heart rate",
    "Blood pressure",
    "Weight",
    "Height",
    "Temperature",
    "Respiratory rate",
    "Oxygen saturation",
    "Pain",
    "Other",
    "Unknown",
    "Male",
    "Female",
    "Doctor",
    "Nurse",
    "Secretary",
    "Appointment",
    "Appointments",
    "Care tasks?",
    "Alerts",
    "Jobs",
    "Audit log",
    "Welcome",
    "Home",
    # forms and the patient's banner
    "Last name",
    "First name",
    "Phone",
    "Sex",
    "Identity",
    "Address",
    "Postal code",
    "City",
    "Choose",
    "Prescribe",
    "Queued",
    "never",
    "years",
    "months",
    "female",
    "male",
    "French",
    # FAB's list footer ("Nombre de record" in its catalogue) and the merged patient's banner
    "Record Count",
    "Records merged",
    "Your role does not give access",
]
# Data, not the interface: FAB's role names (keys of its permissions) where
# roles are administered, the test users' names, FAB's permission and view
# names (the administrators' security lists read them as the code names them).
ROLE_NAMES = ("Admin", "Doctor", "Nurse", "Secretary", "Radiologist", "Auditor")
ROLE_PAGES = ("/users/", "/roles/", "/groups/", "/delegations/")
PERMISSION_PAGES = ("/permissionviews/", "/viewmenus/", "/permissions/")
TEST_USER = re.compile(r"^(" + "|".join(ROLE_NAMES) + r") Test$")
# A step of the vaccination calendar: reference data imported from app/care/data (English labels, a data
# decision left to whoever maintains the reference), e.g. "Hepatitis B, 2nd dose (4 months)".
VACCINATION_STEP = re.compile(r"^.+(, \d(st|nd|rd|th) dose|booster)\b.*\(\d+[^)]*(years|months)[^)]*\)$")
FAB_PERMISSION = re.compile(r"^(can \w+|menu access) on ")
ALERT_SUMMARY = (
    "secretary changed the blood group of DUBOIS Marie (IPP00000123) from A+"
    " to O- at 23:14 on Sunday 04/10/2026, outside working hours."
)


def is_data(path: str, text: str) -> bool:
    if TEST_USER.match(text) or path.startswith(PERMISSION_PAGES) or text.startswith(("[menu access", "[can ")):
        return True
    if VACCINATION_STEP.match(text):
        return True
    if FAB_PERMISSION.match(text) or (path.startswith("/audit/") and text.startswith(ALERT_SUMMARY[:40])):
        return True  # a permission's name; the audit shows the alert's row as stored
    return path.startswith(ROLE_PAGES) and text in ROLE_NAMES


DENY = re.compile(r"(?<![\w-])(" + "|".join(ENGLISH) + r")(?![\w-])")
ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
SKIPPED = {"script", "style", "template", "noscript"}


class VisibleText(HTMLParser):
    """The text a person reads: element text, button values, placeholders, titles, labels for screen readers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in SKIPPED:
            self.skipping += 1
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ATTRIBUTES:
            if attributes.get(name):
                self.parts.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def read(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


@pytest.fixture
def french_hospital(app, sql_conn):
    with app.app_context():
        seed_demo_data(app.appbuilder, password="Demo-pass-1", patient_count=12)
    # The demo's first patient with a consultation (and its vital signs, prescriptions, care).
    patient = sql_conn.execute("SELECT patient_id FROM consultations ORDER BY id LIMIT 1").fetchone()[0]
    sql_conn.execute(
        "INSERT INTO alerts (rule_code, severity, summary, audit_entry_ids, occurred_at) VALUES"
        " ('off_hours', 'warning', %s, '{1}', now())",
        [ALERT_SUMMARY],
    )
    # An appointment still to be seen: the slot finder in postpone mode lists the free times.
    appointment = sql_conn.execute(
        "SELECT id FROM appointments WHERE status IN ('scheduled', 'confirmed') ORDER BY id LIMIT 1"
    ).fetchone()[0]
    return {"patient": patient, "appointment": appointment}


def pages_of(client, start_pages) -> list[str]:
    """The role's menu pages, then from each its first show, edit and add
    page (and the audit list's first entry, opened on its own page)."""
    home = read(client.get("/").get_data(as_text=True))
    menu = [
        link for link in home.links if link.startswith("/") and not link.startswith(("/lang/", "/logout", "/static"))
    ]
    pages = list(dict.fromkeys(start_pages + menu))
    found = []
    for path in pages:
        answer = client.get(path)
        if answer.status_code != 200 or "text/html" not in answer.content_type:
            continue
        links = read(answer.get_data(as_text=True)).links
        for part in ("/show/", "/edit/", "/add", "/audit/entry/"):
            first = next((h for h in links if h.startswith("/") and part in h and "/api/" not in h), None)
            if first:
                found.append(first)
    return list(dict.fromkeys(pages + found))


@pytest.mark.parametrize("role", ROLES)
def test_every_screen_reads_in_french(client, login, french_hospital, role):
    login(role)
    assert client.get("/lang/fr").status_code == 302
    patient = french_hospital["patient"]
    postpone = f"/find-slot/?postpone={french_hospital['appointment']}"
    delete = f"/patients/delete/{patient}/confirm"  # the administrator's
    start = ["/", f"/patients/show/{patient}", f"/patients/edit/{patient}", delete, "/alerts/", "/jobs/", postpone]
    offenders: dict[str, list[str]] = {}
    visited = []
    for path in pages_of(client, start):
        answer = client.get(path)
        if answer.status_code != 200 or "text/html" not in answer.content_type:
            continue
        visited.append(path)
        for text in read(answer.get_data(as_text=True)).parts:
            if is_data(path, text):
                continue
            for match in DENY.finditer(text):
                offenders.setdefault(match.group(0), []).append(f"{path}: {text[:120]!r}")
    assert len(visited) >= 5, visited
    report = "\n".join(
        f"{word} ({len(where)}): " + " | ".join(list(dict.fromkeys(where))[:12]) for word, where in offenders.items()
    )
    assert not offenders, f"English on French screens as {role} ({len(visited)} pages):\n{report}"


def _msgids(value):
    """The msgids behind a screen string: a lazy string's own and its parameters'; a plain string itself."""
    from flask_babel import LazyString

    if isinstance(value, LazyString):
        args = [a for a in (*value._args, *value._kwargs.values()) if isinstance(a, str | LazyString)]
        for argument in args:
            yield from _msgids(argument)
    elif isinstance(value, str) and value.strip() and any(c.isalpha() for c in value):
        yield value


def screen_strings(appbuilder):
    """What FAB shows of each registered view: titles, column labels and hints, fieldsets, form labels and choices."""
    from flask_appbuilder.api import BaseApi
    from wtforms.fields.core import UnboundField

    for view in appbuilder.baseviews:
        if isinstance(view, BaseApi):  # the API answers with codes and English field names
            continue
        where = type(view).__name__
        for attribute in ("list_title", "show_title", "add_title", "edit_title"):
            for msgid in _msgids(getattr(view, attribute, None)):
                yield where, msgid
        for attribute in ("label_columns", "description_columns"):
            for value in (getattr(view, attribute, None) or {}).values():
                for msgid in _msgids(value):
                    yield where, msgid
        for attribute in ("show_fieldsets", "add_fieldsets", "edit_fieldsets"):
            for title, _fields in getattr(view, attribute, None) or []:
                for msgid in _msgids(title):
                    yield where, msgid
        for form in (getattr(view, "add_form", None), getattr(view, "edit_form", None)):
            for name in dir(form) if form is not None else ():
                field = getattr(form, name, None)
                if not isinstance(field, UnboundField):
                    continue
                texts = [*field.args[:1], field.kwargs.get("label"), field.kwargs.get("description")]
                texts += [
                    getattr(c, "label", None) for c in field.kwargs.get("choices") or [] if not isinstance(c, tuple)
                ]
                texts += [c[1] for c in field.kwargs.get("choices") or [] if isinstance(c, tuple) and len(c) > 1]
                for text in texts:
                    for msgid in _msgids(text):
                        yield where, msgid


def test_every_label_of_every_screen_has_a_french_translation(app):
    """FAB's generated titles, labels, hints, fieldsets and form choices are
    msgids of the catalogue (app/interface/screen_strings.py lists those no
    code writes as a literal): a new column or choice without French fails here."""
    from pathlib import Path

    import flask_appbuilder
    from babel.messages.mofile import read_mo

    from app.interface.translations import read_catalog

    with (Path(flask_appbuilder.__file__).parent / "translations/fr/LC_MESSAGES/messages.mo").open("rb") as handle:
        french = {m.id: m.string for m in read_mo(handle) if m.id and m.string}  # FAB's, loaded first
    french |= {m.id: m.string for m in read_catalog("fr") if m.id and m.string and not m.fuzzy}
    missing = {}
    for where, msgid in screen_strings(app.appbuilder):
        # Codes and acronyms read the same; "%" marks Jinja help for administrators (no gettext); FAB's
        # generated labels of foreign keys ("Doctor Id") name columns no screen shows.
        if msgid in french or re.fullmatch(r"[A-Z0-9 ./+\-()%²]+", msgid) or "%" in msgid:
            continue
        if re.search(r"\b(Id|Fk)$", msgid) or re.fullmatch(r"[a-z_0-9]+", msgid):  # or a code beside its label
            continue
        missing.setdefault(msgid, where)
    assert not missing, f"{len(missing)} screen strings without French: {sorted(missing)}"
