"""Shared extension objects: created here, bound to the app in create_app()
(the AppBuilder is made per app there, and reached as current_app.appbuilder)."""

from contextlib import contextmanager

from flask_appbuilder.utils.legacy import get_sqla_class
from flask_mail import Mail
from flask_migrate import Migrate

db = get_sqla_class()()
migrate = Migrate()
mail = Mail()  # SMTP (MAIL_* settings); only the worker's jobs send


@contextmanager
def committed_as_run(bind):
    """A connection of its own (from `bind`, an engine) whose every statement
    is committed as it runs (PostgreSQL's autocommit): for a write of one
    statement that must last whatever the request then does, such as the
    journal of reads.  No BEGIN nor COMMIT goes to the server: two round
    trips less than `bind.begin()`, on every patient page (issue 22).  One
    statement, even of many rows, is all or nothing; a block of several
    statements needs bind.begin()."""
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection
