"""Tell PostgreSQL who is acting, in every transaction the app opens.

The audit's capture functions (triggers/<release>/03_audit_capture.sql)
read one transaction-local setting, so every change is attributed to the
CareTrail user behind it:

    caretrail.context   a public.audit_context record in its text form:
                        (user_id, username, request_id, client_addr, reason, on_behalf_of)

    user_id, username   the signed-in user (or the CLI's --as)
    request_id          one id per HTTP request (X-Request-ID)
    client_addr         the HTTP client's address
    reason              optional, why (e.g. a deletion reason)
    on_behalf_of        under a delegation, the user acted for

One setting parsed once per audited row costs less than six read one by one
(migration 0085; psql sessions and scripts may still set caretrail.user_id,
caretrail.username... one by one).  It is set when a transaction begins
(for a browser's request, by the statement that loads the signed-in user,
which opens it); by the statement that loads the user of a token
(stamp_with_user()); again when the request's context changes (a
delegation, a reason, acting_as()) and before each flush, unless the
transaction already holds the same.  Identity caches are
cleared when a request ends.  Outside a request (CLI, background jobs) the
actor comes from app.core.actor.acting_as(), "system" by default.
`set_config(..., true)` lasts until the transaction ends, so a pooled
connection never carries one user's identity into another's.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from app.core.actor import DELEGATED_POWERS, SYSTEM, USER_ROLE_NAMES, explicit_actor
from app.core.errors import ConstraintViolation
from app.core.request_locals import request_g, this_request
from app.core.request_transaction import end_request_transaction, install_transaction_tracking

SET_CONTEXT = text("SELECT set_config('caretrail.context', :context, true)")

# The fields of public.audit_context, in its order.
CONTEXT_FIELDS = ("user_id", "username", "request_id", "client_addr", "reason", "on_behalf_of")


def context_record(values: dict[str, str]) -> str:
    """The text form of a public.audit_context record, as PostgreSQL's
    record_in reads it: an empty value is an empty field (NULL), any other
    is double-quoted with its backslashes and double quotes escaped."""

    def field(value: str) -> str:
        if not value:
            return ""
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "(" + ",".join(field(values.get(name) or "") for name in CONTEXT_FIELDS) + ")"


# Where a request's delegation layer puts the username acted for (g.<this>).
ON_BEHALF_OF = "on_behalf_of"

_reason: ContextVar[str | None] = ContextVar("caretrail_reason", default=None)


@contextmanager
def audit_reason(reason: str | None):
    """Attach a reason to the changes made inside the block (it lands in audit_log.reason)."""
    token = _reason.set(reason or None)
    try:
        yield
    finally:
        _reason.reset(token)


REASON_MAX_LENGTH = 500  # what a screen or the API accepts as a reason typed by a user


def clean_reason(raw: str | None, *, field: str = "reason") -> str | None:
    """A reason typed by a user, as stored: trimmed, None when blank.  Past
    REASON_MAX_LENGTH it is refused (422 on `field`), never cut: every door
    (screens, API, CLI) takes its reasons through here."""
    reason = (raw or "").strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise ConstraintViolation(field, f"A reason is at most {REASON_MAX_LENGTH} characters.")
    return reason or None


def _request_user():
    """The signed-in user, if already loaded (never triggers a query: this
    runs inside SQLAlchemy events)."""
    request_globals = request_g()
    user = request_globals.get("_login_user")  # Flask-Login's cache (browser session)
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    jwt_user = request_globals.get("_jwt_extended_jwt_user")  # flask-jwt-extended's cache (REST API)
    if jwt_user:
        return jwt_user.get("loaded_user")
    return None


def _request_identity() -> tuple[int | None, str | None]:
    """(id, username) of the signed-in user without touching the database:
    after a commit the user object is expired, and refreshing it from inside
    a SQLAlchemy event is not allowed, so the first values seen are kept in g."""
    known = request_g().get("audit_identity")
    if known is not None:
        return known
    user = _request_user()
    if user is None:
        return None, None
    state = inspect(user, raiseerr=False)
    if state is None:  # not a mapped object (e.g. an anonymous user)
        return None, None
    user_id = state.identity[0] if state.identity else None
    username = state.dict.get("username")
    if username is not None:
        g.audit_identity = (user_id, username)
    return user_id, username


def current_context() -> dict[str, str]:
    actor = explicit_actor()
    in_request = has_request_context()
    on_behalf_of = None
    if actor is not None:
        user_id, username, on_behalf_of = actor.user_id, actor.username, actor.on_behalf_of
    elif in_request:
        user_id, username = _request_identity()
        on_behalf_of = request_g().get(ON_BEHALF_OF)
    else:
        user_id, username = SYSTEM.user_id, SYSTEM.username
    return {
        "user_id": str(user_id) if user_id is not None else "",
        "username": username or "",
        "request_id": request_g().get("request_id", "") if in_request else "",
        "client_addr": (this_request().remote_addr or "") if in_request else "",
        "reason": _reason.get() or "",
        "on_behalf_of": on_behalf_of or "",
    }


def remember_request_user(user) -> None:
    """Called by the security manager as soon as it has loaded the signed-in
    user: keep id and name as plain values for the rest of the request, and
    stamp the transaction the user's own loading query has just opened
    (at the end of loading_request_user(), when inside it)."""
    if user is None or not has_request_context():
        return
    g.audit_identity = (user.id, user.username)
    if not g.get(IDENTITY_PENDING):
        stamp_transaction()


# Set in g while the browser session's user is being loaded (g.<this>).
IDENTITY_PENDING = "ct_identity_pending"


@contextmanager
def loading_request_user():
    """Around the loading of the signed-in user: the transaction its first
    query opens is stamped once, when the block ends (with the user if one
    was remembered, without otherwise), not also when it begins: one round
    trip less on every page.  Nothing writes in between (the reads of the
    user, their session and delegations).  When the loading failed, nothing
    is stamped: a connection lost meanwhile would otherwise hide its error
    (a 503) behind SQLAlchemy's "roll back first" (a 500)."""
    g.setdefault(IDENTITY_PENDING, True)
    try:
        yield
    finally:
        g.pop(IDENTITY_PENDING, None)
    stamp_transaction()


def stamp_transaction() -> None:
    """Set the context again on the request's transaction in progress, if
    any: for a block run under acting_as() after the transaction began (the
    sign-in's second step writes before anyone is signed in)."""
    from app.core.extensions import db

    session = db.session()
    if session.in_transaction():
        _apply(session.connection())


# g.<this>: (what the stamp lasts for, the context values) last set in this request.
STAMPED = "ct_stamped"


def _apply(connection) -> None:
    """Stamp the connection's transaction with the current context, unless
    this request has already stamped it so (a round trip saved)."""
    values = current_context()
    in_request = has_request_context()
    transaction = _stamp_scope(connection)
    if in_request and g.get(STAMPED) == (transaction, values):
        return  # it already says so (e.g. stamped_by_user_query)
    connection.execute(SET_CONTEXT, {"context": context_record(values)})
    if in_request:
        setattr(g, STAMPED, (transaction, values))


def _stamp_scope(connection):
    """What a stamp lasts for: the innermost savepoint if any (rolled back,
    it takes its set_config with it), else the transaction."""
    return connection.get_nested_transaction() or connection.get_transaction()


def _after_begin(_session, _transaction, connection) -> None:
    if has_request_context() and g.get(IDENTITY_PENDING):
        return  # stamped when loading_request_user() ends
    _apply(connection)


def _before_flush(session, _flush_context, _instances) -> None:
    _apply(session.connection())


class _AuditContext(sa.types.UserDefinedType):
    """public.audit_context, the record caretrail.context holds."""

    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        return "public.audit_context"


def stamp_with_user(user_id, username) -> sa.ColumnElement:
    """SQL that sets the context of the request's transaction to the user of
    the `user_id` and `username` columns, in the statement that loads them
    (its parameters: stamp_parameters()): the context the request has once
    they are signed in, acting for no one.  The request's transaction is
    stamped again if the request then says otherwise (a delegation, a user
    refused after all).  One round trip less on every page (issue 22)."""
    context = sa.func.row(
        sa.cast(user_id, sa.Text),
        username,
        sa.bindparam("ct_request_id", type_=sa.Text),
        sa.bindparam("ct_client_addr", type_=sa.Text),
        sa.bindparam("ct_reason", type_=sa.Text),
        sa.null(),
    )
    name = sa.literal_column("'caretrail.context'")  # written out, as SET_CONTEXT writes it
    return sa.func.set_config(name, sa.cast(sa.cast(context, _AuditContext()), sa.Text), sa.true())


def stamp_parameters() -> dict[str, str | None]:
    values = current_context()
    return {f"ct_{name}": values[name] or None for name in ("request_id", "client_addr", "reason")}


def stamped_by_user_query(session, user) -> None:
    """Note that the statement which loaded `user` stamped the transaction
    (stamp_with_user()): while the request's context stays the same, its
    transaction is not stamped again."""
    values = current_context()
    values.update(user_id=str(user.id), username=user.username, on_behalf_of="")
    setattr(g, STAMPED, (_stamp_scope(session.connection()), values))


REQUEST_IDENTITY_CACHES = (
    "audit_identity",
    STAMPED,
    IDENTITY_PENDING,
    "request_id",
    ON_BEHALF_OF,
    # The delegations in force are the request's: the next one computes its own.
    DELEGATED_POWERS,
    USER_ROLE_NAMES,
    "caretrail_actor",
    "caretrail_may_hold_grant",  # app/security/sessions.py's MAY_HOLD_GRANT
    "user",
    "_login_user",
    "_jwt_extended_jwt_user",
)


def init_db_context(app: Flask) -> None:
    """Install the events once per process and a request id per request."""
    if not event.contains(Session, "after_begin", _after_begin):
        event.listen(Session, "after_begin", _after_begin)
        event.listen(Session, "before_flush", _before_flush)
    install_transaction_tracking()

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a proxy's id only when it looks like one (it lands in the audit).
        g.request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        )

    @app.teardown_request
    def end_request(_exc) -> None:
        # g outlives the request when an app context was already pushed (tests,
        # jobs): the next request must not inherit this one's user, neither
        # from our cache nor from Flask-Login's, flask-jwt-extended's or FAB's.
        request_globals = request_g()
        for name in REQUEST_IDENTITY_CACHES:
            request_globals.pop(name, None)
        from app.core.extensions import db

        # Rolled back, psycopg's prepared statements kept (request_transaction.py).
        if db.session.registry.has():
            end_request_transaction(db.session())
        db.session.remove()

    @app.after_request
    def echo_request_id(response):
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response
