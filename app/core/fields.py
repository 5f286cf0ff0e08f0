"""Form fields shared by the screens: selects for the coded columns (the
database CHECKs list the same codes), yes/no boxes, and instants shown and
typed in the hospital's time zone."""

from datetime import datetime

from flask_appbuilder.fieldwidgets import Select2Widget
from wtforms import BooleanField, SelectField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from app.core.timezone import hospital_zone

FORM_CONTROL = {"class": "form-control"}  # Bootstrap's look, as FAB's own fields have it


def code_select(label: str, choices: dict[str, str], *, required: bool = True) -> SelectField:
    options = [SelectChoice(code, f"{code} - {text}" if code != text else code) for code, text in choices.items()]
    # A required code starts empty: a hurried user must choose, not inherit the first option.
    options.insert(0, SelectChoice("", "Unknown" if not required else "Choose..."))
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
