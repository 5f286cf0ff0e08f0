"""Each user's interface language and theme, remembered in user_preferences.

None means "the default": the hospital's language (HOSPITAL_LANGUAGE), and
the system's light or dark setting (prefers-color-scheme).  The table is
the user's own: only the signed-in user changes their row, through here."""

import sqlalchemy as sa

from app.core.actor import Actor
from app.core.errors import BadInput

THEMES = ("light", "dark")
LOCALES = ("en", "fr")

_TABLE = sa.table(
    "user_preferences",
    sa.column("user_id", sa.Integer),
    sa.column("locale", sa.String),
    sa.column("theme", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def preferences_of(session, user_id: int | None) -> dict:
    if user_id is None:
        return {"locale": None, "theme": None}
    row = session.execute(sa.select(_TABLE.c.locale, _TABLE.c.theme).where(_TABLE.c.user_id == user_id)).one_or_none()
    return {"locale": row.locale, "theme": row.theme} if row else {"locale": None, "theme": None}


def save_preference(session, actor: Actor, **changes) -> None:
    """Remember locale= and/or theme= ('' or None: back to the default)."""
    if actor.user_id is None:
        raise BadInput("Sign in to remember a preference.", field="user")
    values = {}
    if "theme" in changes:
        theme = changes["theme"] or None
        if theme is not None and theme not in THEMES:
            raise BadInput("A theme is light, dark or empty (the system's).", field="theme")
        values["theme"] = theme
    if "locale" in changes:
        locale = changes["locale"] or None
        if locale is not None and locale not in LOCALES:
            raise BadInput("A language is en or fr.", field="locale")
        values["locale"] = locale
    if not values:
        return
    from sqlalchemy.dialects.postgresql import insert

    statement = insert(_TABLE).values(user_id=actor.user_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.user_id], set_={**values, "updated_at": sa.func.now()}
    )
    session.execute(statement)
    session.commit()
