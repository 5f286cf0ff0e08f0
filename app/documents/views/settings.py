"""The hospital settings screen: the letterhead every document prints (name,
address, phone, FINESS number, footer, logo).  Administrators only.

The logo is checked by its content (app/documents/logo.py), then the
database checks the whole row (hospital_settings_*_check): whatever it
refuses comes back on the field it concerns, and nothing is written.  The
time zone is not edited here: `flask setup` keeps it equal to TIMEZONE.
"""

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FileField, Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.actor import current_actor
from app.core.errors import CareTrailError
from app.core.extensions import db
from app.core.normalize import clean_text, normalize_phone
from app.documents import logo as logo_rules
from app.documents.logo import LOGO_MAX_BYTES
from app.documents.models import HospitalSettings
from app.documents.settings import HOSPITAL_SETTINGS_RULES
from app.records.validators import FormRule, phone_rule
from app.security.roles import HOSPITAL_SETTINGS

FORM_CONTROL = {"class": "form-control"}
# The logo as an image only: nothing in it runs, nothing is fetched.
LOGO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


def _text(value):
    return clean_text(value) if isinstance(value, str) else value


def _multiline(value):
    """Trailing spaces and blank edges removed, lines kept; empty becomes None."""
    if not isinstance(value, str):
        return value
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip() or None


class HospitalSettingsForm(Form):
    name = StringField(
        _l("Hospital name"), validators=[DataRequired(), Length(max=200)], filters=[_text], render_kw=FORM_CONTROL
    )
    address = TextAreaField(
        _l("Address"),
        validators=[Optional(), Length(max=500)],
        filters=[_multiline],
        render_kw={**FORM_CONTROL, "rows": 3},
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), FormRule(phone_rule)],
        filters=[_text],
        description=_l("French or international number; stored as +33…"),
        render_kw=FORM_CONTROL,
    )
    finess = StringField(
        _l("FINESS number"),
        # Checked by the database alone (hospital_settings_finess_check): its message comes back here.
        validators=[Optional()],
        filters=[lambda value: (value or "").replace(" ", "").upper() or None],
        description=_l("9 characters: the département (2A/2B in Corsica) then 7 digits"),
        render_kw=FORM_CONTROL,
    )
    footer = TextAreaField(
        _l("Footer"),
        validators=[Optional(), Length(max=500)],
        filters=[_multiline],
        description=_l("Printed at the bottom of every page (legal mentions, opening hours...)"),
        render_kw={**FORM_CONTROL, "rows": 2},
    )
    logo = FileField(
        _l("New logo"),
        description=_l(
            "PNG, JPEG or SVG, %(kb)s KB at most; leave empty to keep the current one", kb=LOGO_MAX_BYTES // 1024
        ),
        render_kw={"accept": "image/png,image/jpeg,image/svg+xml"},
    )
    remove_logo = BooleanField(_l("Remove the logo"))

    def validate_logo(self, field) -> None:
        upload = request.files.get(field.name)
        if upload is None or not upload.filename:
            field.data = None
            return
        # One byte more than allowed is enough to know it is too big.
        content = upload.stream.read(LOGO_MAX_BYTES + 1)
        try:
            field.media_type = logo_rules.validate_logo(content)
        except CareTrailError as refused:
            raise ValidationError(refused.message) from None
        field.data = content


class HospitalSettingsView(BaseView):
    route_base = "/hospital-settings"
    default_view = "edit"
    class_permission_name = HOSPITAL_SETTINGS
    method_permission_name = {"edit": "write", "logo": "read"}

    @expose("/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        settings = HospitalSettings.current(db.session)
        if settings is None:
            abort(404)
        form = HospitalSettingsForm(formdata=request.form if request.method == "POST" else None, obj=settings)
        if request.method == "POST":
            if form.validate() and self._save(settings, form):
                flash("Hospital settings saved: new documents print them.", "success")
                return redirect(url_for(f"{self.endpoint}.edit"))
            status = 422
        else:
            status = 200
        return self.render_template(
            "pages/hospital_settings.html",
            form=form,
            settings=settings,
            has_logo=settings.logo_media_type is not None,
            logo_max_kb=LOGO_MAX_BYTES // 1024,
        ), status

    @expose("/logo")
    @has_access
    def logo(self):
        settings = HospitalSettings.current(db.session)
        if settings is None or settings.logo is None:
            abort(404)
        return Response(settings.logo, mimetype=settings.logo_media_type, headers=LOGO_HEADERS)

    def _save(self, settings: HospitalSettings, form: HospitalSettingsForm) -> bool:
        """Write the row; a database refusal goes on its field (and nothing is written)."""
        values = {name: form[name].data for name in ("name", "address", "finess", "footer")}
        values["phone"] = normalize_phone(form.phone.data)
        if form.logo.data:
            values.update(logo=form.logo.data, logo_media_type=form.logo.media_type)
        elif form.remove_logo.data:
            values.update(logo=None, logo_media_type=None)
        try:
            HOSPITAL_SETTINGS_RULES.update(db.session, current_actor(), settings, values)
        except CareTrailError as refused:
            field = form._fields.get(refused.field) if getattr(refused, "field", None) else None
            if field is not None:
                field.errors = [*field.errors, refused.message]
            flash(refused.message, "danger")
            return False
        return True
