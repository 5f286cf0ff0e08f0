"""Global search: one box in the top bar (`/` focuses it) and
GET /api/v1/search?q= — patients, their appointments, documents and
prescriptions, grouped by kind, each group only for a role that may read it."""


def register(appbuilder) -> None:
    from app.search.api import SearchApi

    appbuilder.add_api(SearchApi)
