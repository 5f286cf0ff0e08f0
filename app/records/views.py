"""Patient screens.

Deleting a patient goes through a confirmation page (who, what goes with
it, an optional reason kept in the audit) rather than FAB's JavaScript
confirm: the list's and the patient page's delete buttons lead to it.
FAB's own delete route stays as it was (POST with a CSRF token only).
"""

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import Response, current_app, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget, ShowWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Email, Length, Optional

from app.core.actor import Actor, current_actor
from app.core.answers import page_status
from app.core.datamodel import CareTrailInterface
from app.core.db_context import REASON_MAX_LENGTH
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.core.fields import code_select, yes_no
from app.core.formatting import format_date, format_datetime
from app.core.normalize import is_digits
from app.core.views import CareTrailModelView
from app.records.deletion import dependent_rows, why_not_deletable
from app.records.duplicates import likely_duplicates
from app.records.models import (
    BLOOD_GROUPS,
    CONTACT_FIELDS,
    EDITABLE_PATIENT_FIELDS,
    IDENTITY_FIELDS,
    MEDICAL_FIELDS,
    PATIENT_STATUSES,
    PROFESSIONS,
    ROOM_KINDS,
    SEXES,
    STATUS_FIELDS,
    Patient,
    Room,
    Staff,
)
from app.records.page import (
    NOW,
    OWN_USER_ID,
    PATIENT_ID,
    KeptPageReads,
    PageReads,
    PatientSection,
    Reads,
    json_rows,
    loaded,
    page_shape,
)
from app.records.rules import (
    EXPORT_MAX_ROWS,
    PATIENT_RULES,
    ROOM_RULES,
    STAFF_RULES,
    check_may_create_patient,
    check_patient_filters,
    check_patient_input,
    delete_patient,
    duplicate_confirmed,
    merge_patients,
    patient_export_columns,
)
from app.records.validators import (
    NIR_TYPED_MAX_LENGTH,
    FormRule,
    birth_date_rule,
    nir_rule,
    phone_rule,
    room_code_rule,
    rpps_rule,
)
from app.security.glass import get_grant, may_break_the_glass, reading_patient
from app.security.journal import journal_patient_read, journal_patient_reads, reads_journaled_by_the_end
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.policy import READ, knows_roles, may
from app.security.roles import AUDIT, PATIENTS, ROOMS, STAFF

CONFIRM_DUPLICATE = "confirm_duplicate"

PATIENT_LABELS = {
    "mrn": "Hospital no. (IPP)",
    "nir": "NIR (social security no.)",
    "last_name": "Last name",
    "first_name": "First name",
    "birth_name": "Birth name",
    "birth_date": "Date of birth",
    "blood_group": "Blood group",
    "postal_code": "Postal code",
    "emergency_contact_name": "Emergency contact",
    "emergency_contact_phone": "Emergency contact phone",
    "created_at": "Created",
    "updated_at": "Last changed",
    "deceased_on": "Date of death",
    "status_label": "Status",
}


class FilterListedStatus(BaseFilter):
    """The patients list shows the active patients unless a status filter is
    chosen (the links above the list: inactive, deceased, all).  Only the
    list: an inactive or deceased patient's page, edit form and lookups
    are reached as any other."""

    name = "Listed status"
    arg_name = "listed_status"

    def apply(self, query, value):
        if request.endpoint != "PatientView.list" or any(
            name.startswith("_flt_") and name.endswith("_status") for name in request.args
        ):
            return query
        return query.filter(self.model.status == "active")


# Filled by the domains' register(), in DOMAINS' order (app/__init__.py);
# "banner" (app/home) is shown above the others.
PATIENT_SECTIONS: dict[str, PatientSection] = {}
BANNER = "banner"


def add_patient_section(
    name: str,
    template: str,
    build: Callable[[int, Actor, dict], object],
    reads: Callable[[sa.BindParameter, Actor], Reads],
    params: Callable[[int, datetime], dict] | None = None,
) -> None:
    """Show a domain's section on the patient's page (idempotent: every app
    registers the same); what it reads goes with the page's one statement
    (app/records/page.py: the patient as PATIENT_ID, the time as NOW)."""
    PATIENT_SECTIONS[name] = PatientSection(template, build, reads, params)


# Each user's statement of the patient's page (app.extensions[<this>]).
KEPT_PAGE_READS = "caretrail_patient_page_reads"


def page_reads_for(actor: Actor) -> PageReads:
    """The page's statement for this user: kept for every user of the same
    roles while those are the matrix's (code: what they may read changes
    only with the code); built at each page for a role made by hand in the
    screens, whose permissions the database holds and an administrator may
    change."""

    def build() -> dict:
        reads = {name: section.reads(PATIENT_ID, actor) for name, section in PATIENT_SECTIONS.items()}
        return {**reads, "records": {"related": related_records(PATIENT_ID)}}

    if not knows_roles(actor.roles):
        return PageReads(build())
    kept = current_app.extensions.setdefault(KEPT_PAGE_READS, KeptPageReads())
    return kept.get((page_shape(actor), tuple(PATIENT_SECTIONS)), build)


def related_records(patient_id) -> sa.ScalarSelect:
    """The record this one was merged into, and those merged into it (JSON rows)."""
    merged_into_id = sa.select(Patient.merged_into_id).where(Patient.id == patient_id).scalar_subquery()
    return json_rows(
        sa.select(Patient).where(sa.or_(Patient.merged_into_id == patient_id, Patient.id == merged_into_id)),
        Patient.id,
    )


class PatientListWidget(ListWidget):
    template = "pages/patient_list_widget.html"


class PatientShowWidget(ShowWidget):
    template = "pages/patient_show_widget.html"


class PatientView(CareTrailModelView):
    datamodel = CareTrailInterface(Patient, rules=PATIENT_RULES)
    class_permission_name = PATIENTS
    # Columns, fieldsets, filters and forms narrowed to the user's field groups.
    fields_resource = PATIENTS
    method_permission_name = {
        **METHOD_PERMISSION_MAP,
        "confirm_delete": "delete",
        "merge": "delete",
        "export_csv": "read",
    }
    route_base = "/patients"
    show_template = "pages/patient_show.html"
    edit_template = "pages/patient_edit.html"
    list_template = "pages/person_list.html"
    list_widget = PatientListWidget
    show_widget = PatientShowWidget
    extra_args = {
        "quick_search_placeholder": _l("Find a patient: name, hospital number (IPP) or NIR"),
        "export_endpoint": "PatientView.export_csv",
    }

    list_title = "Patients"
    show_title = "Patient"
    add_title = "New patient"
    edit_title = "Edit patient"

    list_columns = ["mrn", "last_name", "first_name", "birth_date", "sex", "phone", "city", "status_label"]
    order_columns = ["mrn", "last_name", "first_name", "birth_date", "city"]
    base_order = ("last_name", "asc")
    base_filters = [["status", FilterListedStatus, None]]
    search_columns = ["last_name", "first_name", "birth_name", "mrn", "nir", "birth_date", "city", "phone", "status"]
    label_columns = PATIENT_LABELS
    # Dates and instants as the hospital reads them, not Python's raw values.
    formatters_columns = {
        "birth_date": format_date,
        "deceased_on": format_date,
        "created_at": format_datetime,
        "updated_at": format_datetime,
        # Codes stored, words shown in the user's language.
        "sex": lambda code: SEXES.get(code, code or ""),
        "status": lambda code: PATIENT_STATUSES.get(code, code or ""),
    }
    extra_args = {
        **extra_args,
        # Links above the list (templates/pages/person_list.html): FAB's "equal" (2) and "not equal" (5) filters.
        "status_links": [
            (_l("Active"), None),
            (_l("Inactive"), "_flt_2_status=inactive"),
            (_l("Deceased"), "_flt_2_status=deceased"),
            (_l("All"), "_flt_5_status=-"),
        ],
    }

    show_fieldsets = [
        ("Identity", {"fields": ["mrn", *IDENTITY_FIELDS]}),
        ("Contact", {"fields": CONTACT_FIELDS}),
        ("Medical", {"fields": MEDICAL_FIELDS}),
        ("Status", {"fields": STATUS_FIELDS}),
        # Not "Record": that msgid is the verb of the clinical forms' buttons ("Enregistrer").
        ("Record details", {"fields": ["created_at", "updated_at"], "expanded": False}),
    ]
    edit_columns = EDITABLE_PATIENT_FIELDS
    add_columns = [*EDITABLE_PATIENT_FIELDS, CONFIRM_DUPLICATE]
    edit_fieldsets = [
        ("Identity", {"fields": IDENTITY_FIELDS}),
        ("Contact", {"fields": CONTACT_FIELDS}),
        ("Medical", {"fields": MEDICAL_FIELDS}),
        ("Status", {"fields": STATUS_FIELDS}),
    ]
    add_fieldsets = [*edit_fieldsets, ("Duplicates", {"fields": [CONFIRM_DUPLICATE]})]
    description_columns = {
        "status": "Inactive: no longer followed here; deceased: with the date of death (no new appointment)."
        " A patient whose documents or prescriptions are kept is marked so instead of being deleted.",
        "deceased_on": "Only for a deceased patient",
        "nir": "15 characters, spaces allowed: 1 85 05 78 006 084 91",
        "phone": "French or international number; stored as +33…",
        "birth_name": "Name at birth, when different (nom de naissance)",
    }
    validators_columns = {
        "birth_date": [FormRule(birth_date_rule)],
        "phone": [FormRule(phone_rule)],
        "emergency_contact_phone": [FormRule(phone_rule)],
        "email": [Optional(), Email()],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        # Not FAB's generated field: its length is the stored one (15), which
        # cut the spaced form people type (and the hint shows) in the browser.
        "nir": StringField(
            PATIENT_LABELS["nir"],
            validators=[Optional(), Length(max=NIR_TYPED_MAX_LENGTH), FormRule(nir_rule)],
            filters=[lambda value: value or None],
        ),
        "sex": code_select("Sex", SEXES),
        "status": SelectField(
            "Status",
            choices=list(PATIENT_STATUSES.items()),
            default="active",
            validators=[Optional()],
            widget=Select2Widget(),
        ),
        "blood_group": code_select("Blood group", {g: g for g in BLOOD_GROUPS}, required=False),
    }
    add_form_extra_fields = {
        **add_form_extra_fields,
        CONFIRM_DUPLICATE: BooleanField(
            "Not a duplicate",
            description="Tick only after a likely duplicate was shown, once you know this is another person.",
        ),
    }

    def record_label(self, item) -> str:
        return item.full_name

    def _add(self):
        """A new patient like one already recorded is saved only once the
        user ticked "Not a duplicate" (the rules warn otherwise); a role
        that may not register a patient gets no form."""
        check_may_create_patient(current_actor())
        confirmed = request.method == "POST" and request.form.get(CONFIRM_DUPLICATE) in ("y", "on", "true", "1")
        with duplicate_confirmed(confirmed):
            return super()._add()

    def check_input(self, names: set[str]) -> None:
        check_patient_input(current_actor(), names, PATIENT_LABELS)

    def check_filters(self, names: set[str]) -> None:
        check_patient_filters(current_actor(), names)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The patient's page, read under the user's break-the-glass grant on
        this patient when one is active (app/security/glass.py)."""
        if not is_digits(str(pk)):
            return super().show(pk)
        # The read is journaled while the page draws the record (app/core/sent_ahead.py).
        with reading_patient(db.session, int(pk)), reads_journaled_by_the_end():
            return super().show(pk)

    def _show(self, pk):
        """FAB's page, journaled as a read of the record."""
        widgets = super()._show(pk)
        journal_patient_read(db.session, current_actor(), int(pk), "view", door="screen")
        return widgets

    def show_extras(self, pk) -> dict:
        """Each domain's section of the record and the banner, built for the
        signed-in user from one statement; the record it was merged into,
        and those merged into it."""
        actor, patient_id, now = current_actor(), int(pk), datetime.now(UTC)
        params = {PATIENT_ID.key: patient_id, NOW.key: now, OWN_USER_ID.key: actor.own_records_user_id}
        for section in PATIENT_SECTIONS.values():
            params.update(section.params(patient_id, now) if section.params else {})
        read = page_reads_for(actor).read(db.session, params)
        sections = {name: section.built(patient_id, actor, read[name]) for name, section in PATIENT_SECTIONS.items()}
        banner = sections.pop(BANNER, None)
        related = loaded(Patient, read["records"]["related"])
        return {
            "banner": banner.data if banner else None,
            "break_glass": get_grant(db.session, actor.break_glass_id) if actor.break_glass_id else None,
            "may_break_glass": actor.break_glass_id is None and may_break_the_glass(actor),
            "sections": list(sections.values()),
            "merged_into": next((p for p in related if p.merged_into_id != patient_id), None),
            "merged_here": [p for p in related if p.merged_into_id == patient_id],
        }

    @expose("/merge/<int:pk>", methods=["GET", "POST"])
    @has_access
    def merge(self, pk: int):
        """Merge this patient into another record (administrators): the likely
        duplicates are offered, any other is named by its hospital number."""
        patient = self.datamodel.get(pk, self._base_filters)
        if patient is None:
            flash(gettext("Patient #%(n)s does not exist.", n=pk), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        reason, error, typed = "", None, ""
        if request.method == "POST":
            reason, typed = request.form.get("reason", ""), request.form.get("into_mrn", "").strip().upper()
            keep_id = request.form.get("into", "")
            if not is_digits(keep_id) and typed:
                keep_id = str(db.session.scalar(sa.select(Patient.id).where(Patient.mrn == typed)) or "")
            try:
                if not is_digits(keep_id):
                    raise ConstraintViolation("into", "Choose the record to keep, or type its hospital number.")
                keep = db.session.get(Patient, int(keep_id))
                who = f"{patient.full_name} ({patient.mrn})"
                merge_patients(db.session, current_actor(), pk, int(keep_id), reason=reason)
            except CareTrailError as problem:
                error = problem
            else:
                flash(
                    gettext(
                        "Patient %(name)s merged into %(kept)s (%(mrn)s).", name=who, kept=keep.full_name, mrn=keep.mrn
                    ),
                    "success",
                )
                return redirect(url_for(f"{self.endpoint}.show", pk=int(keep_id)))
        return self.render_template(
            "pages/patient_merge.html",
            patient=patient,
            candidates=likely_duplicates(db.session, patient, limit=10),
            reason=reason,
            typed=typed,
            reason_max_length=REASON_MAX_LENGTH,
            error=error.message if error else None,
        ), page_status(error)

    @expose("/export.csv")
    @has_access
    def export_csv(self):
        """The list as filtered on screen, as CSV: the columns the user may
        read only, each patient exported journaled as an export."""
        self._check_list_arguments()
        get_filter_args(self._filters)
        actor = current_actor()
        columns = patient_export_columns(actor)
        _count, patients = self.datamodel.query(
            self._filters.get_joined_filters(self._base_filters), *self.base_order, page=0, page_size=EXPORT_MAX_ROWS
        )
        journal_patient_reads(db.session, actor, [patient.id for patient in patients], "export", door="screen")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for patient in patients:
            writer.writerow("" if getattr(patient, name) is None else getattr(patient, name) for name in columns)
        response = Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="patients-{date.today():%Y%m%d}.csv"'
        return response

    @expose("/delete/<int:pk>/confirm", methods=["GET", "POST"])
    @has_access
    def confirm_delete(self, pk: int):
        """Who is deleted and what goes with it; the POST deletes, with the
        reason stamped on every audit entry of the transaction (cascades too)."""
        patient = self.datamodel.get(pk, self._base_filters)
        if patient is None:
            flash(gettext("Patient #%(n)s does not exist (already deleted?).", n=pk), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        reason, error = "", None
        if request.method == "POST":
            reason = request.form.get("reason", "")
            try:
                who = delete_patient(db.session, current_actor(), patient, reason=reason)
            except CareTrailError as problem:
                error = problem
            else:
                flash(self._deleted_message(who), "success")
                return redirect(url_for(f"{self.endpoint}.list"))
        return self.render_template(
            "pages/patient_delete.html",
            patient=patient,
            dependents=dependent_rows(pk),
            kept_by_law=why_not_deletable(pk),
            reason=reason,
            reason_max_length=REASON_MAX_LENGTH,
            error=error.message if error else None,
        ), page_status(error)

    def _deleted_message(self, who: str) -> Markup:
        if not may(current_actor(), READ, AUDIT):
            return Markup("Patient {} deleted.").format(who)
        return Markup('Patient {} deleted. It can be restored from <a href="{}">Audit → Deleted patients</a>.').format(
            who, url_for("DeletedPatientsView.index")
        )


STAFF_COLUMNS = ["last_name", "first_name", "profession", "specialty", "rpps", "email", "phone", "is_active", "user"]


class StaffView(CareTrailModelView):
    datamodel = CareTrailInterface(Staff, rules=STAFF_RULES)
    class_permission_name = STAFF
    route_base = "/staff"
    list_template = "pages/person_list.html"
    extra_args = {"quick_search_placeholder": _l("Find a staff member by name")}

    list_title = "Staff"
    show_title = "Staff member"
    add_title = "New staff member"
    edit_title = "Edit staff member"

    list_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "phone", "is_active"]
    order_columns = ["last_name", "first_name", "profession", "specialty"]
    base_order = ("last_name", "asc")
    search_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    show_columns = [*STAFF_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = STAFF_COLUMNS
    label_columns = {
        "last_name": "Last name",
        "first_name": "First name",
        "rpps": "RPPS number",
        "is_active": "Active",
        "user": "Login",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "rpps": "11 digits (Répertoire partagé des professionnels de santé)",
        "user": "The CareTrail login of this person, if any",
        "is_active": "Untick when the person leaves: past appointments and prescriptions keep their name",
    }
    validators_columns = {
        "rpps": [FormRule(rpps_rule)],
        "phone": [FormRule(phone_rule)],
        "email": [Optional(), Email()],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "profession": code_select("Profession", PROFESSIONS),
        "is_active": yes_no("Active", default=True),
    }


ROOM_COLUMNS = ["code", "name", "kind", "is_active"]


class RoomView(CareTrailModelView):
    datamodel = CareTrailInterface(Room, rules=ROOM_RULES)
    class_permission_name = ROOMS
    route_base = "/rooms"

    list_title = "Rooms"
    show_title = "Room"
    add_title = "New room"
    edit_title = "Edit room"

    list_columns = ["code", "name", "kind", "is_active"]
    order_columns = ["code", "name", "kind"]
    base_order = ("code", "asc")
    search_columns = ["code", "name", "kind", "is_active"]
    show_columns = [*ROOM_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = ROOM_COLUMNS
    label_columns = {"is_active": "Active", "created_at": "Created", "updated_at": "Last changed"}
    description_columns = {
        "code": "Short unique code shown on schedules, e.g. CONS-1",
        "is_active": "Untick to stop booking it: past appointments keep it",
    }
    validators_columns = {"code": [FormRule(room_code_rule)]}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": code_select("Kind", ROOM_KINDS),
        "is_active": yes_no("Active", default=True),
    }
