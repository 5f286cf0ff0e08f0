"""The templates' globals (app/interface/jinja_environment.py) answer as
Jinja's ChainMap does: the template's own over the environment's."""

from collections import ChainMap

import pytest

from app.interface.jinja_environment import CareTrailEnvironment, TemplateGlobals


def test_lookups_answer_as_a_chainmap():
    own, shared = {"a": 1, "none": None}, {"a": 2, "b": 3, "falsy": 0}
    ours, theirs = TemplateGlobals(own, shared), ChainMap(own, shared)
    for key in ("a", "b", "none", "falsy", "missing"):
        assert (key in ours) == (key in theirs)
        assert ours.get(key, "default") == theirs.get(key, "default")
    assert ours["a"] == 1 and ours["b"] == 3 and ours["none"] is None
    with pytest.raises(KeyError):
        ours["missing"]
    ours["c"] = 4  # a template's own global: written to its own map only
    assert own["c"] == 4 and "c" not in shared
    assert dict(ours) == dict(ChainMap(own, shared)) and set(ours.keys()) == {"a", "b", "c", "none", "falsy"}


def test_the_apps_templates_get_them(app):
    assert isinstance(app.jinja_env, CareTrailEnvironment)
    template = app.jinja_env.from_string("{{ greeting }}", globals={"greeting": "bonjour"})
    assert isinstance(template.globals, TemplateGlobals)
    assert template.globals.maps[1] is app.jinja_env.globals
    assert template.render() == "bonjour" and "greeting" not in app.jinja_env.globals
