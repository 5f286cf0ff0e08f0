"""Certificate templates: written by administrators, read by the doctors who
issue certificates from them.

Saving checks the text first (app/documents/certificates.py renders it in
its sandbox with sample values): a broken template is refused with its
line ("line 3: ...") on the body field, and nothing is saved.  The fields
the doctor fills in are a JSON list, checked likewise.  The version is the
database's (it goes up by itself when the text changes).  A template that
was used by a certificate is never deleted (the archive names it):
deactivate it instead.
"""

import json

from wtforms import StringField, TextAreaField

from app.core.datamodel import CareTrailInterface
from app.core.fields import yes_no
from app.core.timezone import local_time
from app.core.views import CareTrailModelView
from app.documents.certificates import TEMPLATE_RULES
from app.documents.models import CertificateTemplate
from app.security.roles import CERTIFICATE_TEMPLATES

FIELDS_EXAMPLE = (
    '[{"name": "start_date", "label": "Du", "type": "date", "required": true},\n'
    ' {"name": "end_date", "label": "Au", "type": "date", "required": true, "not_before": "start_date"},\n'
    ' {"name": "outings", "label": "Sorties autorisées", "type": "yesno", "required": false}]'
)
BODY_HELP = (
    "Jinja text, rendered in a sandbox. Available: patient.last_name, .first_name, .birth_name, .birth_date, "
    ".age, .sex, .civility, .mrn; doctor.name, .first_name, .last_name, .specialty, .rpps; hospital.name, "
    ".address, .phone, .finess; today; and each field below as values.<name>, e.g. {{ values.start_date }}."
)


class JsonListField(TextAreaField):
    """A JSON list typed as text; a text that is not JSON is a field error."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return json.dumps(self.data if self.data is not None else [], indent=1, ensure_ascii=False)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() or "[]"
        try:
            self.data = json.loads(text)
        except ValueError as bad:
            self.data = None
            raise ValueError(f"Not valid JSON (line {bad.lineno}, column {bad.colno}): {bad.msg}.") from None


class ReadOnlyField(StringField):
    """Shown, never written back (the database keeps the version)."""

    def populate_obj(self, obj, name):
        pass


class CertificateTemplateView(CareTrailModelView):
    datamodel = CareTrailInterface(CertificateTemplate, rules=TEMPLATE_RULES)
    class_permission_name = CERTIFICATE_TEMPLATES
    route_base = "/certificate-templates"
    list_title = "Certificate templates"
    show_title = "Certificate template"
    add_title = "New certificate template"
    edit_title = "Edit certificate template"

    list_columns = ["title", "version", "is_active", "updated_at"]
    order_columns = ["title", "version", "updated_at"]
    base_order = ("title", "asc")
    search_columns = ["title", "is_active"]
    show_columns = ["title", "body", "fields", "version", "is_active", "created_at", "updated_at"]
    add_columns = ["title", "body", "fields", "is_active"]
    edit_columns = ["title", "version", "body", "fields", "is_active"]
    label_columns = {
        "body": "Text",
        "fields": "Fields the doctor fills in",
        "is_active": "Active",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "title": "As doctors see it when they pick a certificate, e.g. Sick note (arrêt de travail)",
        "body": BODY_HELP,
        "fields": "A JSON list; each field has a name, a label, a type (text, multiline, date, number or yesno) "
        "and whether it is required; a date may have to fall on or after an earlier date field "
        '("not_before": "start_date"). A yesno field is true or false: write {% if values.name %}, it prints '
        "oui or non. Example: " + FIELDS_EXAMPLE,
        "is_active": "Untick to stop offering it (certificates already issued keep it)",
        "version": "Goes up by itself each time the title, text or fields change",
    }
    formatters_columns = {
        "updated_at": local_time,
        "created_at": local_time,
        "fields": lambda fields: (
            ", ".join(
                f"{f.get('label', f.get('name'))} ({f.get('type', 'text')}{', required' if f.get('required') else ''})"
                for f in fields or ()
                if isinstance(f, dict)
            )
            or "none"
        ),
    }
    add_form_extra_fields = {
        "body": TextAreaField("Text", render_kw={"class": "form-control", "rows": 14, "spellcheck": "true"}),
        "fields": JsonListField("Fields the doctor fills in", render_kw={"class": "form-control", "rows": 6}),
        "is_active": yes_no("Active", default=True),
    }
    edit_form_extra_fields = {
        **add_form_extra_fields,
        "version": ReadOnlyField("Version", render_kw={"class": "form-control", "readonly": True}),
    }
