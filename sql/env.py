"""Alembic environment: runs CareTrail's migrations in ONE transaction, under
an advisory lock, so two deploys starting together never migrate at once
(the second waits, then finds the schema already at head)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from flask_appbuilder import Model
from sqlalchemy import create_engine, text

from app import load_models
from app.bootstrap import MIGRATION_LOCK_KEY

load_models()  # every domain's tables on FAB's metadata
metadata = Model.metadata

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")


def migration_engine():
    """The owner's connection when MIGRATION_DATABASE_URL is set, else the app's."""
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if owner_url:
        return create_engine(owner_url, connect_args={"application_name": "caretrail-migrate"})
    return current_app.extensions["migrate"].db.engine


def run_migrations_online() -> None:
    engine = migration_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            transaction_per_migration=False,
            **current_app.extensions["migrate"].configure_args,
        )
        with context.begin_transaction():
            log.info("waiting for the migration lock")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            # Schema changes show in the audit as the work of "migration".
            connection.execute(text("SELECT set_config('caretrail.username', 'migration', true)"))
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=current_app.config["SQLALCHEMY_DATABASE_URI"], target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
