"""A record's fields on its show page, drawn in one pass (issue 22).

FAB's show widget draws each field in Jinja: a macro called, the field's
place among the columns looked up, its formatter looked up and called, the
label and the value finalized and escaped, a fifth of the patient page's
drawing.  Here each group of fields (a fieldset, or all the columns) is one
string of table rows; FAB's widget template (templates/appbuilder/general/
widgets/show.html, FAB's own but for this) places them:

    {{ show_fields(fields, include_columns, value_columns, label_columns, formatters_columns) }}

The rows are what FAB's template printed: the label, then the formatter's
result if the field has one, else the value, escaped, an empty value
(None) as nothing.
"""

from collections.abc import Callable, Mapping, Sequence

from flask import Flask
from markupsafe import Markup, escape

_ROW = '<tr><th class="col-lg-2 col-md-2 col-sm-2">{}</th><td><span style="white-space: pre-line">{}</span></td></tr>'


def show_fields(
    fields: Sequence[str],
    include_columns: Sequence[str],
    value_columns: Sequence,
    label_columns: Mapping[str, object],
    formatters: Mapping[str, Callable],
) -> Markup:
    """The table rows of `fields`: each field's label and value."""
    values = dict(zip(include_columns, value_columns, strict=True))
    rows = []
    for name in fields:
        formatter = formatters.get(name)
        shown = formatter(values[name]) if formatter else values[name]
        rows.append(_ROW.format(_escaped(label_columns.get(name)), _escaped(shown)))
    return Markup("".join(rows))  # noqa: S704 (every label and value escaped above)


def _escaped(value) -> str:
    return "" if value is None else escape(value)


def install_show_fields(app: Flask) -> None:
    app.add_template_global(show_fields, "show_fields")
