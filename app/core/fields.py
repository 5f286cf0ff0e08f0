"""Form fields shared by the screens: selects for the coded columns (the
database CHECKs list the same codes), yes/no boxes, and instants shown and
typed in the hospital's time zone."""

import re
from datetime import date, datetime

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_babel import LazyString, gettext, lazy_gettext
from markupsafe import Markup
from wtforms import BooleanField, SelectField
from wtforms.fields import DateField, DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import html_params

from app.core.formatting import format_date
from app.core.timezone import hospital_zone

FORM_CONTROL = {"class": "form-control"}  # Bootstrap's look, as FAB's own fields have it


def _code_and_label(code: str, text) -> LazyString | str:
    """ "F - Female", "F - Féminin": the label read in each request's language."""
    if str(code) == str(text):
        return code
    return LazyString(_code_dash_label, code, text)


def _code_dash_label(code: str, text) -> str:
    return f"{code} - {gettext(text) if isinstance(text, str) else text}"


def code_select(label: str, choices: dict[str, str], *, required: bool = True) -> SelectField:
    options = [SelectChoice(code, _code_and_label(code, text)) for code, text in choices.items()]
    # A required code starts empty: a hurried user must choose, not inherit the first option.
    options.insert(0, SelectChoice("", lazy_gettext("Unknown") if not required else lazy_gettext("Choose...")))
    return SelectField(
        label,
        choices=options,
        validators=[DataRequired()] if required else [Optional()],
        widget=Select2Widget(),
        # An empty choice means "not known": stored as NULL, never "".
        filters=[lambda value: value or None],
    )


def yes_no(label: str, *, default: bool) -> BooleanField:
    """A box for a NOT NULL boolean column.  FAB would make the column's own
    field required, i.e. impossible to leave unticked (a room could never be
    taken out of use): here an unticked box is a plain no."""
    return BooleanField(label, default=default)


class LocalDateTimeField(DateTimeLocalField):
    """<input type="datetime-local">, shown and read as the hospital's local time."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            moment = self.data.astimezone(hospital_zone()) if self.data.tzinfo else self.data
            return moment.strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, datetime) and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=hospital_zone())


class LocalDateField(DateField):
    """A date as people type it in the user's language: 17/05/1985 (also
    17.05.1985, 17-05-1985) or ISO 1985-05-17, shown as the language writes
    it (app/core/formatting.py).  A two-digit year (17/05/85) is refused with
    a message rather than guessed: 1985 or 2085 matters for a birth date."""

    TYPED = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", list(self.TYPED))
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return format_date(self.data) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist):
        typed = " ".join(valuelist or []).strip()
        if not typed:
            self.data = None
            return
        if re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}", typed):
            self.data = None
            raise ValueError(f"Type the year in full: {typed[:-2]}19{typed[-2:]} or {typed[:-2]}20{typed[-2:]}.")
        for pattern in self.strptime_format:
            try:
                self.data = datetime.strptime(typed, pattern).date()
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError("Not a date: type it as 17/05/1985.")


class LocalDatePickerWidget:
    """FAB's date picker, showing the value as typed or as the language
    writes it (FAB's own prints the raw date: 1985-03-12, and drops what was
    typed when it is refused)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("name", field.name)
        return Markup(
            '<div class="input-group date appbuilder_date" data-provide="datepicker">'
            '<span class="input-group-addon"><i class="fa fa-calendar cursor-hand"></i></span>'
            '<input class="form-control" {}>'
            "</div>"
        ).format(Markup(html_params(type="text", value=field._value(), autocomplete="off", **kwargs)))  # noqa: S704 (html_params escapes)
