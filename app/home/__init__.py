"""A home for each role (the page after login) and its figures as JSON,
GET /api/v1/home/<kind>, for the page to refresh them live."""


def register(appbuilder) -> None:
    from app.home.api import HomeApi

    appbuilder.add_api(HomeApi)
