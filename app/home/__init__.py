"""A home for each role (the page after login) and its figures as JSON,
GET /api/v1/home/<kind>, for the page to refresh them live."""


def register(appbuilder) -> None:
    from flask import current_app

    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.home.api import HomeApi
    from app.home.banner import patient_banner

    appbuilder.add_api(HomeApi)
    # Any patient page or form shows the banner: {% with banner = patient_banner_for(pk) %}.
    current_app.add_template_global(
        lambda pk: patient_banner(db.session, current_actor(), int(pk)) if str(pk or "").isdigit() else None,
        "patient_banner_for",
    )
