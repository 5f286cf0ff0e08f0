"""Base REST API classes: every refusal answered by app/core/answers.py,
list arguments checked before they reach the database, optimistic locking.

- FAB's `@safe` turns any exception into a 500; CareTrail's endpoints use
  `safe` from here instead, which answers a refusal with its own status and
  keeps 500 for real bugs.  FAB's generated endpoints (list, show, info,
  post, put, delete) run through `_answering()` for the same reason.
- A list's page, page size and order are checked first: a negative page or
  an unknown column is a 400 naming it, not a database error.
- Each record carries a version (bumped by the database at every change):
  GET answers it as an `ETag`, and PUT or DELETE with `If-Match` is refused
  with 412 when the record changed since (app/core/versions.py says by
  whom, when, and what).
- DELETE takes an optional reason for the audit (`X-Audit-Reason` header, or
  the `reason` query parameter for text that is not ASCII), stamped on every
  audit entry of the deletion, cascades included.
"""

import functools
import threading

from flask import current_app, request
from flask_appbuilder import ModelRestApi
from flask_appbuilder.api import BaseApi
from flask_appbuilder.const import (
    API_FILTERS_RIS_KEY,
    API_ORDER_COLUMN_RIS_KEY,
    API_PAGE_INDEX_RIS_KEY,
    API_PAGE_SIZE_RIS_KEY,
)
from marshmallow import fields, validate

from app.core.answers import answer_exception
from app.core.db_context import audit_reason, clean_reason
from app.core.errors import BadInput
from app.core.models import text_limits
from app.core.schemas import MAX_ID
from app.core.versions import check_if_match, etag_of
from app.core.views import MAX_PAGE_NUMBER
from app.security.permissions import METHOD_PERMISSION_MAP

REASON_HEADER = "X-Audit-Reason"


def safe(endpoint):
    """FAB's @safe for CareTrail's endpoints: a refusal gets its own answer
    (403, 404, 409, 422, 503...), only a real bug is a 500."""

    @functools.wraps(endpoint)
    def wraps(self, *args, **kwargs):
        try:
            return endpoint(self, *args, **kwargs)
        except Exception as exc:
            return answer_exception(exc)

    return wraps


class NamedBadRequests:
    """FAB answers its own 400s (a Rison `q` it cannot parse or that breaks
    its schema, a body that is not JSON) with a bare string: here they name
    what was wrong, as every other refusal does."""

    def response_400(self, message=None):
        if isinstance(message, str) or message is None:
            where = "q" if request.method == "GET" and "q" in request.args else "body"
            message = {where: [message or "This request is malformed."]}
        return super().response_400(message=message)


class CareTrailApi(NamedBadRequests, BaseApi):
    """Base of CareTrail's hand-written APIs."""

    allow_browser_login = True


def one_load_at_a_time(schema) -> None:
    """marshmallow-sqlalchemy's load() keeps the record being loaded on the
    schema object itself (`self.instance = instance`, None again when it
    ends), and FAB keeps one schema per API for every thread of a worker:
    two PUTs at once could write one request's data onto the other's record,
    or turn an edit into a new record (the load test caught a PUT answered
    409 "likely duplicate" of its own patient).  Loads of a schema are short
    and are serialised; dumps are untouched."""
    lock = threading.Lock()
    load = schema.load

    @functools.wraps(load)
    def locked_load(*args, **kwargs):
        with lock:
            return load(*args, **kwargs)

    schema.load = locked_load


class CareTrailModelApi(NamedBadRequests, ModelRestApi):
    method_permission_name = METHOD_PERMISSION_MAP
    allow_browser_login = True
    page_size = 25

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # FAB's generated schemas take a foreign key (doctor_id, patient_id...)
        # as an untyped field: a list or an object would reach the database.
        for schema in (self.add_model_schema, self.edit_model_schema):
            for column in self.datamodel.obj.__table__.columns:
                if column.foreign_keys and isinstance(schema.fields.get(column.name), fields.Inferred):
                    typed = fields.Integer(
                        strict=True,
                        required=schema.fields[column.name].required,
                        allow_none=column.nullable,
                        validate=validate.Range(1, MAX_ID),
                    )
                    typed._bind_to_schema(column.name, schema)
                    schema.fields[column.name] = schema.load_fields[column.name] = typed
            # A free-text column's length (FAB bounds only varchar columns): a 422 naming the field.
            for name, most in text_limits(self.datamodel.obj).items():
                field = schema.fields.get(name)
                if field is not None:
                    field.validators = [*field.validators, validate.Length(max=most)]
            one_load_at_a_time(schema)

    def _handle_filters_args(self, rison_args: dict):
        """FAB clears and refills one Filters object per API from each list
        request's `filters`, shared by a worker's threads: one caller's
        search could be applied to another's list at the same moment.  A
        Filters object of the request's own, built as FAB builds it."""
        filters = self.datamodel.get_filters(search_columns=self.search_columns, search_filters=self.search_filters)
        filters.rest_add_filters(rison_args.get(API_FILTERS_RIS_KEY, []))
        return filters.get_joined_filters(self._base_filters)

    def info_headless(self, **kwargs):
        return self._answering(super().info_headless, **kwargs)

    def get_list_headless(self, **kwargs):
        def listing():
            self._check_list_arguments(kwargs.get("rison") or {})
            return super(CareTrailModelApi, self).get_list_headless(**kwargs)

        return self._answering(listing)

    def get_headless(self, pk, **kwargs):
        return self._answering(lambda: self._with_etag(super(CareTrailModelApi, self).get_headless(pk, **kwargs), pk))

    def post_headless(self):
        return self._answering(super().post_headless)

    def put_headless(self, pk):
        def updating():
            self._check_if_match(pk)
            return self._with_etag(super(CareTrailModelApi, self).put_headless(pk), pk)

        return self._answering(updating)

    def delete_headless(self, pk):
        def deleting():
            reason = clean_reason(request.headers.get(REASON_HEADER) or request.args.get("reason"))
            self._check_if_match(pk)
            with audit_reason(reason):
                return super(CareTrailModelApi, self).delete_headless(pk)

        return self._answering(deleting)

    def _with_etag(self, response, pk):
        """The record's version as its ETag, on a GET or a PUT that succeeded
        (the record FAB has just read or written, not read once more)."""
        if response.status_code == 200:
            item = self.datamodel.loaded(pk) or self.datamodel.get(pk, self._base_filters)
            if item is not None and etag_of(item):
                response.headers["ETag"] = etag_of(item)
        return response

    def _check_if_match(self, pk) -> None:
        item = self.datamodel.get(pk, self._base_filters)
        if item is not None:
            check_if_match(self.datamodel.session, item, request.headers.get("If-Match"))

    def _check_list_arguments(self, rison: dict) -> None:
        """A page, page size or order FAB would pass to the database as it is."""
        page = rison.get(API_PAGE_INDEX_RIS_KEY, 0)
        if not isinstance(page, int) or isinstance(page, bool) or page < 0:
            raise BadInput("The page is a whole number from 0.", field="page")
        if page > MAX_PAGE_NUMBER:  # past bigint it was the database's "out of range", naming no field
            raise BadInput("The page is a whole number from 0 to 1,000,000.", field="page")
        limit = self.max_page_size or current_app.config.get("FAB_API_MAX_PAGE_SIZE")
        size = rison.get(API_PAGE_SIZE_RIS_KEY, self.page_size)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= limit:
            raise BadInput(f"The page size is a whole number from 1 to {limit}.", field="page_size")
        order = rison.get(API_ORDER_COLUMN_RIS_KEY)
        if order and order not in self.order_columns:
            raise BadInput(f"Order by one of: {', '.join(self.order_columns)}.", field="order_column")

    @staticmethod
    def _answering(endpoint, *args, **kwargs):
        try:
            return endpoint(*args, **kwargs)
        except Exception as exc:
            return answer_exception(exc)


def signed_in(endpoint):
    """For endpoints open to every signed-in user whose answer depends on
    what their role may read (the global search, the homes): a browser
    session or a JWT, else 401.  What each role sees is the domain rules'
    business, not a permission on the endpoint."""

    @functools.wraps(endpoint)
    def wraps(self, *args, **kwargs):
        from flask_jwt_extended import verify_jwt_in_request
        from flask_login import current_user

        if not (self.allow_browser_login and current_user.is_authenticated):
            try:
                verify_jwt_in_request()
            except Exception:
                return self.response_401()
        return endpoint(self, *args, **kwargs)

    return wraps
