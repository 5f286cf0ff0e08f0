"""A home for each role (the page after login) and its figures as JSON,
GET /api/v1/home/<kind>, for the page to refresh them live."""


def register(appbuilder) -> None:
    from flask import current_app

    from app.core.actor import current_actor
    from app.core.extensions import db
    from app.core.normalize import is_digits
    from app.home.api import HomeApi
    from app.home.banner import banner_on_patient_page, banner_reads, patient_banner, record_banner
    from app.records.views import BANNER, add_patient_section

    appbuilder.add_api(HomeApi)
    # The patient's page shows the banner above the sections, read with them.
    add_patient_section(BANNER, "home/_patient_banner.html", banner_on_patient_page, banner_reads)
    # Any patient page or form shows the banner: {% with banner = patient_banner_for(pk) %}.
    current_app.add_template_global(
        lambda pk: patient_banner(db.session, current_actor(), int(pk)) if is_digits(str(pk or "")) else None,
        "patient_banner_for",
    )
    # A record of one patient (an appointment, a care task...): its patient's
    # banner above the page, for views that say `patient_banner = True` (templates/pages/base.html).
    current_app.add_template_global(
        lambda: record_banner(db.session, current_actor(), appbuilder), "record_patient_banner"
    )
