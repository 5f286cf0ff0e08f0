"""Base screen class: writes go through the domain's rules, refusals land
on the form field they concern, and an edit made from an out-of-date form
is refused rather than lost.

FAB's own add/edit catch every exception, flash its text (raw SQL for a
constraint error) and redirect, losing what the user typed.  Here a
refusal re-displays the form with the message under the field.  Each edit
form carries the version of the record it was opened at (a hidden field):
when someone else saved the record meanwhile, the save is refused with who
changed it, when, and each of their values beside the one typed
(app/core/versions.py); the form then carries the new version, so saving
again, after checking, goes through.
"""

import re

from flask import abort, flash, g, has_request_context, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext, lazy_gettext
from wtforms import HiddenField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, Optional

from app.core.actor import current_actor
from app.core.datamodel import LIST_SHOWS_RELATED, MAY_ESTIMATE_COUNT
from app.core.errors import BadInput, CareTrailError, StaleRecord
from app.core.fields import LocalDateField, LocalDatePickerWidget
from app.core.formatting import format_date, format_datetime
from app.core.models import text_limits
from app.core.normalize import is_digits
from app.core.search_widget import CachedSearchWidget
from app.core.versions import version_of
from app.interface.catalogue import lazy_label, translate_form_labels
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.policy import grouped_fields, readable_fields, writable_fields

OPENED_VERSION = "opened_version"
# What an empty optional relation reads in its select (FAB's blank choice
# has no text, so the browser showed its value, "__None").
NO_CHOICE = "(none)"
MAX_PAGE_NUMBER = 1_000_000


def _opened_version(form) -> int | None:
    raw = form[OPENED_VERSION].data if OPENED_VERSION in form else None
    return int(raw) if raw and is_digits(str(raw)) else None


FILTER_ARGUMENT = re.compile(r"^_flt_\d+_(\w+)$")
# A view's column lists narrowed to what the signed-in user may read, and
# its form's columns to what they may write (views with a `fields_resource`).
READ_NARROWED = ("list_columns", "show_columns", "show_fieldsets", "search_columns", "order_columns")
WRITE_NARROWED = ("add_columns", "edit_columns", "add_fieldsets", "edit_fieldsets")


def narrow(columns, allowed: frozenset[str], known: frozenset[str]):
    """A column list, or FAB's fieldsets, without the known columns not allowed."""
    if not columns:
        return columns
    if isinstance(columns[0], tuple):  # fieldsets: [(title, {"fields": [...]}), ...]
        kept = []
        for title, options in columns:
            fields = [name for name in options.get("fields", []) if name not in known or name in allowed]
            if fields:
                kept.append((title, {**options, "fields": fields}))
        return kept
    return [name for name in columns if name not in known or name in allowed]


class FieldNarrowed:
    """A view attribute (a column list or fieldsets) that, inside a request,
    holds only the fields the signed-in user may read (or write): FAB reads
    these attributes for every list, page, form and search widget, so one
    attribute serves them all.  Outside a request (FAB building the view at
    start-up) it is the whole list."""

    def __init__(self, name: str, default, *, write: bool):
        self.name, self.default, self.write = name, default, write

    def __get__(self, view, owner=None):
        if view is None:
            return self.default
        full = view.__dict__.get(f"_full_{self.name}", self.default)
        if not has_request_context():
            return full
        actor = current_actor()
        allowed = (writable_fields if self.write else readable_fields)(actor, view.fields_resource)
        return narrow(full, allowed, grouped_fields(view.fields_resource))

    def __set__(self, view, value):
        view.__dict__[f"_full_{self.name}"] = value


class RequestFilters:
    """A view's `_filters`, one per request.  FAB keeps one Filters object
    per view and every list, form and export refills it from the request's
    arguments (get_filter_args clears it first): shared by a worker's
    threads, one user's search could be applied to another user's list
    running at the same moment.  Inside a request each view gets its own,
    held in g, built as FAB builds it (for the columns the user may search);
    outside one, FAB's."""

    def __get__(self, view, owner=None):
        if view is None:
            return self
        if not has_request_context():
            return view.__dict__.get("_fab_filters")
        per_view = g.setdefault("ct_view_filters", {})
        if id(view) not in per_view:
            per_view[id(view)] = view.datamodel.get_filters(view.search_columns)
        return per_view[id(view)]

    def __set__(self, view, value):
        view.__dict__["_fab_filters"] = value


def yes_or_no(value) -> str:
    return "" if value is None else gettext("Yes") if value else gettext("No")


class CareTrailModelView(ModelView):
    method_permission_name = METHOD_PERMISSION_MAP
    page_size = 25
    search_widget = CachedSearchWidget  # its blank parts built once (app/core/search_widget.py)
    _filters = RequestFilters()  # one per request: FAB's is shared by the threads
    # An optional relation's empty choice, by column ("room": "No room"); NO_CHOICE otherwise.
    blank_choice_labels: dict[str, str] = {}
    # A resource with field groups (app/security/roles.py, FIELD_GROUPS):
    # its columns and forms are narrowed to the signed-in user's groups.
    fields_resource: str | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.fields_resource is None:
            return
        for names, write in ((READ_NARROWED, False), (WRITE_NARROWED, True)):
            for name in names:
                if not isinstance(cls.__dict__.get(name), FieldNarrowed):
                    setattr(cls, name, FieldNarrowed(name, getattr(cls, name), write=write))

    def check_input(self, names: set[str]) -> None:
        """Refuse a form posting fields the user may not write (views with
        field groups ask their domain's rules)."""

    def check_filters(self, names: set[str]) -> None:
        """Refuse a filter or an order on fields the user may not read."""

    def _narrow_form(self, form) -> None:
        """Drop the fields the user may not write from the form; posting one
        anyway is refused (check_input), not silently ignored."""
        if self.fields_resource is None:
            return
        known = grouped_fields(self.fields_resource)
        hidden = {name for name in form._fields if name in known} - writable_fields(
            current_actor(), self.fields_resource
        )
        if request.method == "POST":
            self.check_input({name for name in request.form if name in known})
        for name in hidden:
            del form[name]

    def _init_titles(self):
        """FAB's generated titles ("List Patients", "Show Patient") through the
        catalogue: "List %(name)s" with the prettified model name, itself a msgid."""
        own = {name: getattr(self, name) for name in ("list_title", "show_title", "add_title", "edit_title")}
        super()._init_titles()
        # The model's name is a msgid of app/interface/fab_strings.py.
        name = lazy_gettext(self._prettify_name(self.datamodel.model_name))
        generated = {
            "list_title": lazy_gettext("List %(name)s", name=name),
            "show_title": lazy_gettext("Show %(name)s", name=name),
            "add_title": lazy_gettext("Add %(name)s", name=name),
            "edit_title": lazy_gettext("Edit %(name)s", name=name),
        }
        for attribute, title in generated.items():
            if not own[attribute]:
                setattr(self, attribute, title)
        self.title = self.list_title

    def _init_properties(self):
        super()._init_properties()
        # A yes/no column reads "Yes" or "No" on lists and show pages, not
        # Python's True and False; a view's own formatter still wins.
        shown = (*self.list_columns, *self.show_columns)
        booleans = {column for column in shown if self.datamodel.is_boolean(column)}
        # Dates and instants read one way per language (app/core/formatting.py),
        # not Python's 2026-12-06 07:35:27.770291+01:00.
        instants = {column for column in shown if self.datamodel.is_datetime(column)}
        days = {column for column in shown if self.datamodel.is_date(column)}
        self.formatters_columns = {
            **dict.fromkeys(booleans, yes_or_no),
            **dict.fromkeys(days, format_date),
            **dict.fromkeys(instants, format_datetime),
            **self.formatters_columns,
        }

    def _init_forms(self):
        # FAB gives description_columns to the fields it generates only: a
        # field of add/edit_form_extra_fields (a select, a yes/no box) would
        # lose the hint written for its column.
        self._use_local_date_fields()
        limits = text_limits(self.datamodel.obj) if hasattr(self.datamodel.obj, "__table__") else {}
        for extra_fields in (self.add_form_extra_fields or {}, self.edit_form_extra_fields or {}):
            for name, field in extra_fields.items():
                if name in self.description_columns:
                    field.kwargs.setdefault("description", self.description_columns[name])
                if name in limits and not any(isinstance(v, Length) for v in field.kwargs.get("validators") or []):
                    field.kwargs["validators"] = [*(field.kwargs.get("validators") or []), Length(max=limits[name])]
        # A free-text column's length (FAB bounds only varchar columns).
        self.validators_columns = {
            **{name: [Length(max=most)] for name, most in limits.items()},
            **{
                name: [*validators, *([Length(max=limits[name])] if name in limits else [])]
                for name, validators in (self.validators_columns or {}).items()
            },
        }
        super()._init_forms()
        for form in (self.add_form, self.edit_form):
            self._label_blank_choices(form)
            translate_form_labels(form)
        translate_form_labels(self.search_form)  # the list's "Add filter" menu reads its labels
        # Hidden fields are rendered by the form's hidden_tag(), and this one
        # is never copied onto the record (it is not an edit column).
        self.edit_form = type(self.edit_form.__name__, (self.edit_form,), {OPENED_VERSION: HiddenField()})

    def _label_blank_choices(self, form) -> None:
        for name in dir(form):
            field = getattr(form, name, None)
            if (
                isinstance(field, UnboundField)
                and issubclass(field.field_class, QuerySelectField)
                and field.kwargs.get("allow_blank")
                and not field.kwargs.get("blank_text")
            ):
                field.kwargs["blank_text"] = lazy_label(self.blank_choice_labels.get(name, NO_CHOICE))

    def _use_local_date_fields(self) -> None:
        """Date columns are typed as the user's language writes them
        (17/05/1985), not only ISO: FAB's generated DateField knows one format."""
        for attribute, columns in (
            ("add_form_extra_fields", self.add_columns),
            ("edit_form_extra_fields", self.edit_columns),
        ):
            extra = dict(getattr(self, attribute) or {})
            for name in columns or []:
                if name in extra or not self.datamodel.is_date(name):
                    continue
                required = not self.datamodel.is_nullable(name)
                extra[name] = LocalDateField(
                    self.label_columns.get(name, name.replace("_", " ").capitalize()),
                    validators=[*self.validators_columns.get(name, []), InputRequired() if required else Optional()],
                    widget=LocalDatePickerWidget(),
                )
            setattr(self, attribute, extra)

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's page, with what show_extras() gives the view's show template."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            **self.show_extras(pk),
        )

    def _list(self, **kwargs):
        self._check_list_arguments()
        # Nothing filtered: a large list may show an estimated count (app/core/datamodel.py).
        g.setdefault(MAY_ESTIMATE_COUNT, not any(map(FILTER_ARGUMENT.match, request.args)))
        g.setdefault(LIST_SHOWS_RELATED, (self.datamodel, self._related_shown_in_list()))
        return super()._list(**kwargs)

    def _related_shown_in_list(self) -> tuple[str, ...]:
        """The list's columns the user may read that show one related record
        each (many-to-one), worked out once per set of columns."""
        columns = tuple(self.list_columns)  # narrowed to what the user may read
        known = self.__dict__.setdefault("_ct_related_shown", {})
        if columns not in known:
            known[columns] = tuple(column for column in columns if self.datamodel.is_relation_many_to_one(column))
        return known[columns]

    def _check_list_arguments(self) -> None:
        """The page, page size and order FAB reads from the URL and would pass
        on as they are (a page of "abc" or -5 was a 500): a 400 naming them."""
        for name, value in request.args.items():
            # FAB's own patterns (flask_appbuilder.urltools): any "page_" or "psize_" is read as a number.
            if "page_" in name or "psize_" in name:
                if not is_digits(value) or int(value) > MAX_PAGE_NUMBER:
                    raise BadInput("A page or a page size is a whole number from 0.", field=name)
            elif name == f"_oc_{self.__class__.__name__}" and value not in self.order_columns:
                self.check_filters({value})
                raise BadInput("This list cannot be sorted by that column.", field=name)
        self.check_filters({match.group(1) for match in map(FILTER_ARGUMENT.match, request.args) if match})

    def show_extras(self, pk) -> dict:
        """What a view's own show template needs besides FAB's values."""
        return {}

    def record_label(self, item) -> str:
        """How a saved record is named in messages: its own text when its
        model has one (a staff member's name, a room's code), else its number."""
        own = vars(type(item))
        if "__repr__" in own or "__str__" in own:
            return str(item)
        return f"#{self.datamodel.get_pk_value(item)}"

    def saved_message(self, item) -> str:
        """'Patient DUBOIS Marie saved.' rather than FAB's "Added Row" / "Changed Row"."""
        return gettext("%(what)s %(name)s saved.", what=self.show_title, name=self.record_label(item))

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        self._narrow_form(form)
        # Columns fixed by the URL (?_flt_0_patient=1) are filled before
        # validating, as FAB does: their fields are not shown, so they are not posted.
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
        if form.validate_on_submit():
            self.process_form(form, True)
            item = self.datamodel.obj()
            form.populate_obj(item)
            if self._write(form, lambda: (self.pre_add(item), self.datamodel.add(item), self.post_add(item))):
                flash(self.saved_message(item), "success")
                return None
        elif request.method == "GET":
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        form = self.edit_form.refresh(obj=item)
        self._narrow_form(form)
        form._id = pk  # lets FAB's Unique validator skip the row being edited
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
        if form.validate_on_submit():
            self.process_form(form, False)
            opened = _opened_version(form)
            values = {name: field.data for name, field in form._fields.items() if name in self.edit_columns}
            values.pop("version", None)  # shown read-only on some forms; the database keeps it
            save = self.datamodel.rules.update
            if self._write(form, lambda: save(self.datamodel.session, current_actor(), item, values, opened)):
                flash(self.saved_message(item), "success")
                return None
        elif request.method == "GET":
            self.prefill_form(form, pk)
            form[OPENED_VERSION].data = version_of(item)
            self.update_redirect()
        return self._get_edit_widget(form=form, exclude_cols=exclude_cols)

    @staticmethod
    def _write(form, write) -> bool:
        """Run the write; on a database refusal put its message on the form."""
        try:
            write()
        except StaleRecord as stale:
            # The form now stands for the version the user has seen the news of.
            if OPENED_VERSION in form:
                form[OPENED_VERSION].data = stale.details["current_version"]
            saved_by = stale.details["changed_by"]
            for name, values in stale.details["changes"].items():
                if name in form:
                    form[name].errors = [
                        *form[name].errors,
                        gettext("Now: %(value)s (saved by %(user)s)", value=repr(values["now"]), user=saved_by),
                    ]
            flash(stale.message, "warning")
            return False
        except CareTrailError as violation:
            field = form._fields.get(violation.field) if violation.field else None
            if field is not None:
                field.errors = [*field.errors, violation.message]
            flash(violation.message, "danger")
            return False
        return True
