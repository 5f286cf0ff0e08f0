"""Strings FAB shows that are not written as gettext calls: menu names,
column labels and hints, page titles.  One extractor finds them for
`pybabel extract` (babel.cfg), and translate_screens() translates them at
start-up, so a new screen's labels land in the catalogue (and the test
that every msgid has a French translation, tests/unit/test_translations.py)
without anyone wrapping each label by hand.

Menu names stay plain strings: FAB keys its permissions on them; only
their labels are translated.
"""

import ast
import re

from flask_babel import lazy_gettext
from wtforms.fields.core import UnboundField

LABELLED_ATTRIBUTES = {"label_columns", "description_columns"}
TITLE_ATTRIBUTES = {"list_title", "show_title", "add_title", "edit_title"}
FIELDSET_ATTRIBUTES = {"show_fieldsets", "add_fieldsets", "edit_fieldsets"}
MENU_CALLS = {"add_view", "add_link", "add_separator"}
MENU_KEYWORDS = {"category", "label", "category_label"}
MENU_CONSTANT = re.compile(r"^[A-Z_]+_(MENU|CATEGORY)$")
# Messages shown on screens: flash("..."), and refusals whose literal message
# the error page shows (translated there, app/core/answers.py; the API keeps English).
MESSAGE_CALLS = {"flash", "BadInput", "Forbidden", "NotFound", "Conflict", "StaleRecord", "TooLarge", "Unavailable"}
SECOND_ARGUMENT_CALLS = {"ConstraintViolation"}


def extract_screen_strings(fileobj, keywords, comment_tags, options):
    """Babel extraction method for app/**.py (babel.cfg): Babel's own python
    extraction (gettext calls), plus the screen strings above.  One method
    per file: Babel runs only the first section that matches a file."""
    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for lineno, text in _strings_of(node):
            if text.strip():
                yield lineno, "gettext", text, []


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strings_of(node):
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        if names & LABELLED_ATTRIBUTES and isinstance(node.value, ast.Dict):
            for value in node.value.values:
                if _literal(value) is not None:
                    yield value.lineno, value.value
        is_title = names & TITLE_ATTRIBUTES or any(MENU_CONSTANT.match(name) for name in names)
        if is_title and node.value is not None and _literal(node.value) is not None:
            yield node.value.lineno, node.value.value
    elif isinstance(node, ast.Call) and _called(node) in MESSAGE_CALLS | SECOND_ARGUMENT_CALLS:
        position = 1 if _called(node) in SECOND_ARGUMENT_CALLS else 0
        if len(node.args) > position and _literal(node.args[position]) is not None:
            yield node.args[position].lineno, node.args[position].value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MENU_CALLS:
        if len(node.args) >= 2 and _literal(node.args[1]) is not None:
            yield node.args[1].lineno, node.args[1].value
        for keyword in node.keywords:
            if keyword.arg in MENU_KEYWORDS and _literal(keyword.value) is not None:
                yield keyword.value.lineno, keyword.value.value


def _called(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def translate_flashes(app) -> None:
    """Flashed messages read in the user's language when the catalogue has them."""
    from flask import get_flashed_messages
    from flask_babel import gettext

    def translated(with_categories=False, category_filter=()):
        messages = get_flashed_messages(with_categories=with_categories, category_filter=category_filter)
        if with_categories:
            return [(category, _translate(message, gettext)) for category, message in messages]
        return [_translate(message, gettext) for message in messages]

    app.jinja_env.globals["get_flashed_messages"] = translated


def _translate(message, gettext):
    return gettext(message) if isinstance(message, str) and message and "%" not in message else message


def translate_screens(appbuilder) -> None:
    """Every registered screen's menu labels, column labels, hints, titles, fieldsets and form labels
    through gettext (lazily: each request reads them in its own language)."""
    for item in appbuilder.menu.get_list():
        _translate_menu_item(item)
    for view in appbuilder.baseviews:
        for attribute in LABELLED_ATTRIBUTES:
            labels = getattr(view, attribute, None)
            if isinstance(labels, dict):
                setattr(view, attribute, {key: _lazy(value) for key, value in labels.items()})
        for attribute in TITLE_ATTRIBUTES:
            title = getattr(view, attribute, None)
            if isinstance(title, str):
                setattr(view, attribute, _lazy(title))
        for attribute in ("add_form", "edit_form", "search_form"):
            form = getattr(view, attribute, None)
            if form is not None:
                translate_form_labels(form)  # FAB renders field.label.text as it is
        for attribute in FIELDSET_ATTRIBUTES:
            fieldsets = getattr(view, attribute, None)
            if isinstance(fieldsets, list):
                setattr(view, attribute, [(_lazy(title), fields) for title, fields in fieldsets])


def _translate_menu_item(item) -> None:
    if item.name != "-":  # a separator
        item.label = _lazy(str(item.label or item.name))
    for child in item.childs or []:
        _translate_menu_item(child)


def _lazy(text):
    return lazy_gettext(text) if isinstance(text, str) and text and "%" not in text else text


def lazy_label(text):
    """A screen string read in each request's language (a msgid of the catalogue); other values as they are."""
    return lazy_gettext(text) if isinstance(text, str) and text.strip() and "%" not in text else text


def translate_form_labels(form) -> None:
    """The labels and hints of a form's fields (FAB's generated ones and a
    view's extra fields) through the catalogue: FAB renders field.label.text
    and field.description as they are."""
    for name in dir(form):
        field = getattr(form, name, None)
        if not isinstance(field, UnboundField):
            continue
        if field.args and isinstance(field.args[0], str):
            field.args = (lazy_label(field.args[0]), *field.args[1:])
        if isinstance(field.kwargs.get("label"), str):
            field.kwargs["label"] = lazy_label(field.kwargs["label"])
        if isinstance(field.kwargs.get("description"), str):
            field.kwargs["description"] = lazy_label(field.kwargs["description"])
