"""Form fields shared by the screens: selects for the coded columns (the
database CHECKs list the same codes) and yes/no boxes."""

from flask_appbuilder.fieldwidgets import Select2Widget
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional


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
