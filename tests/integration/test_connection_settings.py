"""What every connection of the app says to PostgreSQL (config.py)."""

import sqlalchemy as sa

from app.core.extensions import db


def test_the_apps_connections_speak_the_hospitals_zone_name_themselves_and_plan_without_jit(app):
    """JIT compiles a statement whose estimated cost passes a threshold:
    20 to 85 ms for statements that run in a few (a page's list)."""
    with app.app_context():
        settings = db.session.execute(
            sa.text("SELECT current_setting('jit'), current_setting('TimeZone'), current_setting('application_name')")
        ).one()
    assert tuple(settings) == ("off", app.config["TIMEZONE"], "caretrail-web")
