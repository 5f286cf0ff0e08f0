"""The templates' environment: Flask's, with each template's globals looked
up without a generator or an exception per name.

Jinja gives each template its globals as a ChainMap (the template's own
over the environment's).  Every `{% import %}` of FAB's macro library
compares the importing template's globals with the library's, and
ChainMap answers `name in globals` by building a generator over its maps
and `globals[name]` by catching a KeyError from each map that lacks the
name: some 330 of each on a list page (issue 22).  Two maps, asked in turn,
give the same answers.
"""

from collections import ChainMap

from flask.templating import Environment


class TemplateGlobals(ChainMap):
    """A ChainMap whose lookups ask each map in turn."""

    def __contains__(self, key) -> bool:
        for mapping in self.maps:  # noqa: SIM110 (any() over a generator is what ChainMap costs)
            if key in mapping:
                return True
        return False

    def __getitem__(self, key):
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)


class CareTrailEnvironment(Environment):
    def make_globals(self, d):
        return TemplateGlobals(d if d is not None else {}, self.globals)
