"""Care: nursing care tasks and their check-offs, the medication
administration record, vaccinations (the reference, the calendar, due
doses and their reminders)."""

from app.care import messages  # noqa: F401  (every door answers the care constraints in plain words)


def register(appbuilder) -> None:
    from app.care import timeline  # noqa: F401  (registers the timeline's sources)
    from app.care.api import register_api
    from app.care.views import register_views

    register_views(appbuilder)
    register_api(appbuilder)
