"""Base screen class: database refusals land on the form field they concern.

FAB's own add/edit catch every exception, flash its text (raw SQL for a
constraint error) and redirect, losing what the user typed.  Here a
ConstraintViolation re-displays the form with the message under the field.
"""

from flask import abort, flash, request
from flask_appbuilder import IndexView, ModelView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args

from app.core.errors import CareTrailError
from app.security.permissions import METHOD_PERMISSION_MAP


def yes_or_no(value) -> str:
    return "" if value is None else "Yes" if value else "No"


class CareTrailModelView(ModelView):
    method_permission_name = METHOD_PERMISSION_MAP
    page_size = 25

    def _init_properties(self):
        super()._init_properties()
        # A yes/no column reads "Yes" or "No" on lists and show pages, not
        # Python's True and False; a view's own formatter still wins.
        booleans = {column for column in (*self.list_columns, *self.show_columns) if self.datamodel.is_boolean(column)}
        self.formatters_columns = {**dict.fromkeys(booleans, yes_or_no), **self.formatters_columns}

    def _init_forms(self):
        # FAB gives description_columns to the fields it generates only: a
        # field of add/edit_form_extra_fields (a select, a yes/no box) would
        # lose the hint written for its column.
        for extra_fields in (self.add_form_extra_fields or {}, self.edit_form_extra_fields or {}):
            for name, field in extra_fields.items():
                if name in self.description_columns:
                    field.kwargs.setdefault("description", self.description_columns[name])
        super()._init_forms()

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

    def show_extras(self, pk) -> dict:
        """What a view's own show template needs besides FAB's values."""
        return {}

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        # Columns fixed by the URL (?_flt_0_patient=1) are filled before
        # validating, as FAB does: their fields are not shown, so they are not posted.
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
        if form.validate_on_submit():
            self.process_form(form, True)
            item = self.datamodel.obj()
            form.populate_obj(item)
            if self._write(form, lambda: (self.pre_add(item), self.datamodel.add(item), self.post_add(item))):
                flash(self.add_row_message, "success")
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
        form._id = pk  # lets FAB's Unique validator skip the row being edited
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
        if form.validate_on_submit():
            self.process_form(form, False)
            form.populate_obj(item)
            if self._write(form, lambda: (self.pre_update(item), self.datamodel.edit(item), self.post_update(item))):
                flash(self.edit_row_message, "success")
                return None
        elif request.method == "GET":
            self.prefill_form(form, pk)
            self.update_redirect()
        return self._get_edit_widget(form=form, exclude_cols=exclude_cols)

    @staticmethod
    def _write(form, write) -> bool:
        """Run the write; on a database refusal put its message on the form."""
        try:
            write()
        except CareTrailError as violation:
            field = form._fields.get(violation.field) if violation.field else None
            if field is not None:
                field.errors = [*field.errors, violation.message]
            flash(violation.message, "danger")
            return False
        return True


class HomeView(IndexView):
    index_template = "pages/index.html"
