"""FAB's `@rison` checks a list's query (`?q=(filters:...)`) against its JSON
schema with `jsonschema.validate()`, which first checks the schema itself
against the JSON Schema meta-schema, at every request: 4% of all the
workers' CPU under the load test, a third of an API search (issue 22).
The schemas are FAB's class attributes and never change: each gets its
validator once, checked once; the answers are the same (the same best
error is raised).

FAB reaches jsonschema through its module's global `jsonschema`
(flask_appbuilder/api/__init__.py, pinned in requirements.txt), replaced
here by an object with the two names it uses."""

import jsonschema
from flask_appbuilder import api as fab_api
from jsonschema.exceptions import best_match


class SchemaValidators:
    """`validate(instance, schema)` and `ValidationError`, as FAB uses them."""

    ValidationError = jsonschema.ValidationError

    def __init__(self):
        self._validators: dict[int, object] = {}

    def validate(self, instance, schema) -> None:
        validator = self._validators.get(id(schema))
        if validator is None or validator.schema is not schema:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[id(schema)] = cls(schema)
        error = best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def install() -> None:
    if not isinstance(fab_api.jsonschema, SchemaValidators):
        fab_api.jsonschema = SchemaValidators()
