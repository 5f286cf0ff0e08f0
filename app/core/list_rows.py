"""A list's rows drawn in one pass (issue 22).

FAB's list widget draws every cell in Jinja: a formatter looked up and
called, the value finalized and escaped, and for every row its buttons'
links built and their texts translated.  On the patient list's 25 rows that
was a fifth of the page's time.  Here the links are built once a page
(url_for with a marker standing for the row's id, which each row replaces),
the buttons' texts translated once, and each row is one string of escaped
cells; the widget's template places them:

    {{ list_rows(value_columns, pks, include_columns, formatters_columns,
                 checkbox=actions, buttons=row_buttons(...)) }}

The cells are what FAB's template printed: the formatter's result if the
column has one, else the value, escaped, an empty value (None) as nothing.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, quote_plus

from flask import Flask, current_app, url_for
from flask_babel import LazyString, gettext
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from app.core.formatting import date_formatter, format_date
from app.core.request_locals import request_g, this_request

# Stands for a row's id while url_for builds a link once a page; the link
# is cut at its first occurrence (in the path, before any query string).
_ROW_ID_MARKER = 7_777_777_777
# What werkzeug leaves as it is in a query's value (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"


@dataclass(frozen=True)
class RowButton:
    """A link on each row: its URL around the row's id, and what it says."""

    head: str  # the URL up to the row's id
    tail: str  # and after it
    title: str  # the tooltip
    label: str  # read by screen readers
    icon: str  # Font Awesome's name
    css_class: str = "btn btn-sm btn-default"
    tooltip_toggle: bool = True  # data-toggle="tooltip", as FAB's show and edit links have

    def html(self, row_id: str) -> str:
        before, after = self.around_id()
        return f"{before}{row_id}{after}"

    def around_id(self) -> tuple[str, str]:
        """The link's HTML before the row's id and after it."""
        toggle = ' data-toggle="tooltip"' if self.tooltip_toggle else ""
        return (
            f'<a href="{self.head}',
            f'{self.tail}" class="{self.css_class}"{toggle} rel="tooltip"'
            f' title="{self.title}"><span class="sr-only">{self.label}</span><i class="fa {self.icon}"></i></a>',
        )


def row_button(endpoint: str, title: str, label: str, icon: str, *, filters=None, **options) -> RowButton | None:
    """A row's link to `endpoint` (which takes the row's id as `pk`), with
    the list's related-view filters as FAB's set_link_filters adds them;
    None when the endpoint is not registered (a view without that page)."""
    try:
        url = url_for(endpoint, pk=_ROW_ID_MARKER)
    except BuildError:
        return None
    if filters is not None:
        url = current_app.jinja_env.filters["set_link_filters"](url, filters)
    head, _, tail = url.partition(str(_ROW_ID_MARKER))
    return RowButton(str(escape(head)), str(escape(tail)), str(escape(title)), str(escape(label)), icon, **options)


def row_buttons(
    modelview_name: str,
    filters,
    *,
    show: bool,
    edit: bool,
    delete: bool,
    delete_endpoint: str = "delete",
    delete_class: str = "",
) -> list[RowButton]:
    """The show, edit and delete links a user may follow, as FAB's btn_crud
    draws them; the delete link opens `delete_endpoint`, a page (a
    confirmation with a reason), not FAB's JavaScript confirm."""
    buttons = []
    if show:
        buttons.append(
            row_button(f"{modelview_name}.show", gettext("Show record"), gettext("Show"), "fa-search", filters=filters)
        )
    if edit:
        buttons.append(
            row_button(f"{modelview_name}.edit", gettext("Edit record"), gettext("Edit"), "fa-edit", filters=filters)
        )
    if delete:
        css_class = f"btn btn-sm btn-default {delete_class}".strip()
        buttons.append(
            row_button(
                f"{modelview_name}.{delete_endpoint}",
                gettext("Delete record"),
                gettext("Delete"),
                "fa-trash",
                css_class=css_class,
                tooltip_toggle=False,
            )
        )
    return [button for button in buttons if button is not None]


def list_rows(
    items: Sequence[Mapping],
    pks: Sequence,
    columns: Sequence[str],
    formatters: Mapping[str, Callable],
    *,
    checkbox: bool = False,
    buttons: Sequence[RowButton] | None = None,
) -> Markup:
    """The rows (<tr>) of a list: per row its action checkbox, its buttons'
    cell (None: no such cell, as when the user may follow none) and one
    cell per column."""
    drawn = _CellCache(formatters)
    buttons_cell = None if buttons is None else _buttons_cell(buttons)
    rows = []
    for item, pk in zip(items, pks, strict=True):
        # A whole number needs no escaping in a page nor quoting in a link.
        row_id = str(pk) if type(pk) is int else str(escape(str(pk)))
        cells = []
        if checkbox:
            cells.append(
                f'<td><input id="{row_id}" class="action_check" name="rowid" value="{row_id}" type="checkbox"></td>'
            )
        if buttons_cell is not None:
            in_url = row_id if type(pk) is int else str(escape(quote(str(pk), safe="")))
            cells.append(in_url.join(buttons_cell))
        for column in columns:
            cells.append(drawn(column, item[column]))
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return Markup("".join(rows))  # noqa: S704 (every value and link text escaped above)


def _buttons_cell(buttons: Sequence[RowButton]) -> list[str]:
    """The buttons' cell cut where each row puts its id (one join a row)."""
    pieces = ['<td><center><div class="btn-group btn-group-xs" style="display: flex;">']
    for button in buttons:
        before, after = button.around_id()
        pieces[-1] += before
        pieces.append(after)
    pieces[-1] += "</div></center></td>"
    return pieces


class _CellCache:
    """Each column's cells, drawn once a page per value: a code, a date or a
    text repeats from row to row (a sex, a status, a city), and its label is
    a translation looked up and escaped each time (a lazy text: a gettext
    through the request's locale).  A lazy text is known by its identity (a
    label of the code's, the same object on every row; kept here, so that
    no other object takes its identity during the page); other values by
    their type and value (True is not 1)."""

    _BY_VALUE = frozenset({str, int, bool, date, type(None)})

    def __init__(self, formatters: Mapping[str, Callable]):
        # A column of dates formats with the language looked up once.
        self._formatters = {
            column: date_formatter() if formatter is format_date else formatter
            for column, formatter in formatters.items()
        }
        self._drawn: dict[tuple, tuple[object, str]] = {}

    def __call__(self, column: str, value) -> str:
        kind = type(value)
        if kind is LazyString:
            key = (column, id(value))
        elif kind in self._BY_VALUE:
            key = (column, kind, value)
        else:
            return self._draw(column, value)
        known = self._drawn.get(key)
        if known is None:
            known = self._drawn[key] = (value, self._draw(column, value))
        return known[1]

    def _draw(self, column: str, value) -> str:
        formatter = self._formatters.get(column)
        shown = formatter(value) if formatter else value
        return f"<td>{'' if shown is None else escape(shown)}</td>"


def _around_marker(endpoint: str, values: dict, marked: str) -> tuple[str, str] | None:
    """url_for(endpoint, **values) with the marker as `marked`, cut around
    it: built once a request for the other values; None when the marker
    cannot stand for it (the address already holds its digits)."""
    cache = request_g().setdefault("ct_around_marker", {})
    key = (endpoint, marked, *sorted((name, str(value)) for name, value in values.items() if name != marked))
    if key not in cache:
        url = url_for(endpoint, **{**values, marked: _ROW_ID_MARKER})
        cache[key] = tuple(url.split(str(_ROW_ID_MARKER))) if url.count(str(_ROW_ID_MARKER)) == 1 else None
    return cache[key]


def link_page(page, modelview_name: str) -> str:
    """FAB's `link_page` filter (the list's pagination: this address with
    page_<view>=page), from one url_for a page rather than one per link."""
    return _this_list_with(f"page_{modelview_name}", page)


def link_page_size(page_size, modelview_name: str) -> str:
    """FAB's `link_page_size` filter (the page-size menu: psize_<view>=size)."""
    return _this_list_with(f"psize_{modelview_name}", page_size)


def link_order(column: str, modelview_name: str) -> str:
    """FAB's `link_order` filter (a column's heading: ordered by it).  As
    FAB's, every heading gets the same direction: the other one than the
    list's if it is ordered, else ascending."""
    direction_arg, args = f"_od_{modelview_name}", this_request().args
    ordered = f"_oc_{modelview_name}" in args
    direction = ("desc" if args.get(direction_arg) == "asc" else "asc") if ordered else "asc"
    return _this_list_with(f"_oc_{modelview_name}", column, **{direction_arg: direction})


def _this_list_with(name: str, value, **others) -> str:
    """This request's address, its arguments and `others` kept, with
    `name`=value: url_for once a page for each name."""
    answered = this_request()  # not the proxy: this runs for every link of the list
    args = {**answered.view_args, **answered.args.to_dict()}
    args[name] = value  # in FAB's order: a name already there keeps its place
    args.update(others)
    parts = _around_marker(answered.endpoint, args, name)
    if parts is None:
        return url_for(answered.endpoint, **args)
    return f"{parts[0]}{quote_plus(str(value), safe=_QUERY_SAFE)}{parts[1]}"


def url_with_id(endpoint: str, id_value: int, *, id_arg: str = "pk", **values) -> str:
    """url_for(endpoint, **{id_arg: id_value}, **values) for the many rows of
    a page, from one url_for a request for each endpoint and other values
    (a home's 150 appointments: 300 links)."""
    args = {id_arg: id_value, **values}
    parts = _around_marker(endpoint, args, id_arg)
    if parts is None:
        return url_for(endpoint, **args)
    return f"{parts[0]}{int(id_value)}{parts[1]}"


def install_page_links(app: Flask) -> None:
    """After FAB's filters are registered (AppBuilder.init_app): ours
    replace its `link_page`, `link_page_size` and `link_order`."""
    app.jinja_env.filters.update(link_page=link_page, link_page_size=link_page_size, link_order=link_order)


def install_list_rows(app: Flask) -> None:
    app.add_template_global(list_rows, "list_rows")
    app.add_template_global(row_buttons, "row_buttons")
