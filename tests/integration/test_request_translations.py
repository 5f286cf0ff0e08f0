"""The request's translations are found once per request (issue 22: Flask-Babel
found them again at every string, 10% of a worker's CPU), and the templates'
gettext keeps Jinja's "newstyle" meaning."""

from contextlib import contextmanager

from flask import render_template_string
from flask_babel import Domain, refresh

from app.interface.request_translations import RequestCachedDomain


@contextmanager
def speaking(app, language: str):
    """A request whose user reads `language` (the selector may change inside)."""
    babel = app.extensions["babel"]
    chosen = babel.locale_selector
    babel.locale_selector = lambda: language
    try:
        with app.test_request_context("/"):
            yield babel
    finally:
        babel.locale_selector = chosen


def test_a_page_finds_its_translations_once(app, monkeypatch):
    lookups = []
    found = Domain.get_translations

    def counted(self):
        lookups.append(1)
        return found(self)

    monkeypatch.setattr(Domain, "get_translations", counted)
    template = "{% for i in range(50) %}{{ _('Delete record') }}{{ gettext('Delete') }}{% endfor %}"
    with speaking(app, "fr"):
        page = render_template_string(template)
    assert "Supprimer la fiche" in page
    assert len(lookups) == 1


def test_a_language_changed_within_the_request_is_honoured(app):
    with speaking(app, "fr") as babel:
        assert render_template_string("{{ _('Delete record') }}") == "Supprimer la fiche"
        babel.locale_selector = lambda: "en"
        refresh()  # what choosing another language does
        assert render_template_string("{{ _('Delete record') }}") == "Delete record"


def test_the_templates_gettext_means_what_jinjas_newstyle_gettext_means(app):
    with speaking(app, "en"):
        assert render_template_string("{{ _('Full %%') }}") == "Full %"
        assert render_template_string("{{ _('Hello %(name)s', name='<b>') }}") == "Hello &lt;b&gt;"
        assert render_template_string("{{ ngettext('%(num)d file', '%(num)d files', 3) }}") == "3 files"
        assert render_template_string("{% trans n=2 %}{{ n }} day{% pluralize %}{{ n }} days{% endtrans %}") == "2 days"


def test_outside_a_request_the_translations_are_the_default_ones(app):
    with app.app_context():
        domain = app.extensions["babel"].instance.domain_instance
        assert isinstance(domain, RequestCachedDomain)
        assert domain.get_translations().ugettext("Delete record") in ("Delete record", "Supprimer la fiche")


def test_force_locale_is_honoured(app):
    from flask_babel import force_locale

    with speaking(app, "en"):
        assert render_template_string("{{ _('Delete record') }}") == "Delete record"
        with force_locale("fr"):
            assert render_template_string("{{ _('Delete record') }}") == "Supprimer la fiche"
        assert render_template_string("{{ _('Delete record') }}") == "Delete record"
