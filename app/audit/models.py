"""audit_log as a SQLAlchemy Core table, for reading only.

The table itself is created by audit_schema.sql (triggers/) and written only by
the audit triggers; it lives on its own MetaData so that nothing (FAB's
create_all, Alembic's autogenerate) ever tries to create or alter it.
"""

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB

audit_metadata = MetaData()

audit_log = Table(
    "audit_log",
    audit_metadata,
    Column("id", BigInteger),
    Column("occurred_at", DateTime(timezone=True)),
    # xid8 has no SQLAlchemy type; read as text and cast where compared.
    Column("txid", Text),
    Column("statement_id", BigInteger),
    Column("table_name", Text),
    Column("operation", Text),
    Column("row_pk", Text),
    Column("old_row", JSONB),
    Column("new_row", JSONB),
    Column("changed_columns", ARRAY(Text)),
    Column("app_user_id", Integer),
    Column("app_username", Text),
    Column("claimed_user", Text),
    Column("db_user", Text),
    Column("client_addr", INET),
    Column("application_name", Text),
    Column("request_id", Text),
    Column("reason", Text),
    Column("on_behalf_of", Text),
)
