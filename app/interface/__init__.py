"""The interface layer over FAB's screens: each user's language and theme
(remembered), the installable app (manifest, service worker, offline page),
the keyboard shortcuts and the phone layout (static files, pages/base.html)."""


def register(appbuilder) -> None:
    from flask import current_app

    from app.interface import navbar_menu
    from app.interface.catalogue import translate_flashes, translate_screens
    from app.interface.views import blueprint, init_preferences

    current_app.register_blueprint(blueprint)
    navbar_menu.install(current_app._get_current_object())
    init_preferences(current_app._get_current_object())
    translate_screens(appbuilder)  # registered last (DOMAINS): every screen is there
    translate_flashes(current_app._get_current_object())
