"""The request's translations, found once per request.

Flask-Babel looks the request's translations up again at every gettext:
its context in flask.g three times for the domain, twice more for the
locale, the locale's name built, a cache consulted: 9 µs on this 2-core
machine, against 0.2 µs for the lookup in the catalogue itself.  A page
translates a few hundred strings (FAB's templates translate each label,
button and menu entry; lazy_gettext labels resolve at every use): about
10% of a worker's CPU under the load test (issue 22).

The translations object is kept in Flask-Babel's own per-request namespace,
under the very name its refresh() clears: a language changed within a
request (the preferences page calls refresh()) is still honoured.
"""

from flask import Flask, g
from flask_babel import Domain
from jinja2 import pass_context
from markupsafe import Markup

from app.core.request_locals import request_g

# Flask-Babel's per-request namespace (g.<this>) and the attribute its
# refresh() deletes along with the locale.
BABEL_NAMESPACE = "_flask_babel"
CACHED = "babel_translations"


class RequestCachedDomain(Domain):
    """Flask-Babel's domain, its translations kept for the request."""

    def get_translations(self):
        try:
            # g itself, not its proxy: this runs for every string a page translates.
            cached = getattr(request_g().get(BABEL_NAMESPACE), CACHED, None)
        except RuntimeError:  # no app context at all
            cached = None
        if cached is not None:
            return cached
        # Also None under Flask-Babel's force_locale(), which sets it so.
        translations = super().get_translations()
        namespace = g.get(BABEL_NAMESPACE) if g else None
        if namespace is not None:
            setattr(namespace, CACHED, translations)
        return translations


def install_request_translations(app: Flask) -> None:
    """Flask-Babel's domain and the templates' gettext callables, through
    the cached translations (after FAB has set Babel up).

    The templates' `_()`, `gettext()` and `ngettext()` are called directly,
    with Jinja's "newstyle" meaning kept (the translation is markup, its
    variables are escaped into it): Jinja's own wrappers add two dynamic
    calls and a string formatting to every one (`_` resolves `gettext` at
    each call), 10 µs each here."""
    babel = app.extensions["babel"].instance
    with app.app_context():  # Flask-Babel reads its configuration from current_app
        domain = RequestCachedDomain(domain=babel.domain)
    babel.domain_instance = domain  # a cached_property of Flask-Babel's: set once, before any request
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    gettext, ngettext = _template_gettext(domain), _template_ngettext(domain)
    app.jinja_env.globals.update(gettext=gettext, _=gettext, ngettext=ngettext)


def _template_gettext(domain: RequestCachedDomain):
    @pass_context
    def gettext(context, string, **variables):
        translated = domain.get_translations().ugettext(string)
        return _newstyle(context, translated, variables)

    return gettext


def _template_ngettext(domain: RequestCachedDomain):
    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        translated = domain.get_translations().ungettext(singular, plural, num)
        return _newstyle(context, translated, variables)

    return ngettext


def _newstyle(context, translated: str, variables: dict):
    """What Jinja's newstyle gettext returns: markup when autoescaping, the
    variables escaped into it; formatted even without variables ("%%" is
    "%"), which only a string with a "%" can tell."""
    if context.eval_ctx.autoescape:
        translated = Markup(translated)  # noqa: S704 (our catalogue's text is markup, as Jinja's newstyle gettext takes it)
    return translated % variables if variables or "%" in translated else translated
