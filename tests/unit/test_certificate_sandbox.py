"""Certificate templates render in a sandbox: documented fields only, no way
out to config, secrets or Python internals, errors with their line."""

import pytest

from app.documents.certificates import (
    check_template,
    clean_values,
    render_certificate_body,
    sample_context,
    validate_fields_definition,
)
from app.documents.errors import DocumentInputError, TemplateError

FIELDS = [
    {"name": "start_date", "label": "Du", "type": "date", "required": True},
    {"name": "days", "label": "Jours", "type": "number", "required": False},
]


def render(body: str):
    return render_certificate_body(body, sample_context(FIELDS))


def test_documented_fields_render():
    text = render(
        "{{ doctor.name }} certifie que {{ patient.civility }} {{ patient.last_name }}\nle {{ values.start_date }}"
    )
    assert text == "Dr Paul MARTIN certifie que Madame EXEMPLE\nle 01/01/2027"


def test_values_are_escaped_but_the_template_markup_is_kept():
    context = sample_context(FIELDS)
    context["values"]["days"] = "<script>alert(1)</script>"
    assert render_certificate_body("<strong>{{ values.days }}</strong>", context) == (
        "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"
    )


@pytest.mark.parametrize(
    ("body", "line", "says"),
    [
        ("Line one\n{{ config }}", 2, "'config' is undefined"),
        ("{{ config.SECRET_KEY }}", 1, "'config' is undefined"),
        ("{{ request }}", 1, "'request' is undefined"),
        ("{{ self._TemplateReference__context }}", 1, "unsafe"),
        ("a\nb\n{{ ''.__class__.__mro__[1].__subclasses__() }}", 3, "unsafe"),
        ("{{ patient.__class__ }}", 1, "unsafe"),
        ("{{ patient.first_name | attr('__class__') }}", 1, "unsafe"),
        ("{{ values.start_date.__class__.__base__ }}", 1, "unsafe"),
        ("{{ range(10) | list }}", 1, "'range' is undefined"),
        ("{{ lipsum() }}", 1, "'lipsum' is undefined"),
        ("{{ cycler.__init__.__globals__ }}", 1, "unsafe"),
        ("{{ cycler }}", 1, "'cycler' is undefined"),
        ("{{ 'x' * 100000000 }}", 1, "repetitions are limited"),
        ("{{ 10 ** 10 ** 10 }}", 1, "powers are limited"),
        ("ok\n\n{{ values.unknown }}", 3, "no field named 'unknown'"),
        ("{% if %}", 1, "Expected an expression"),
        ("fine\n{% for x in values %}", 2, "end of template"),
        ("{{ 1 / 0 }}", 1, "division by zero"),
    ],
)
def test_escapes_and_mistakes_are_refused_with_their_line(body, line, says):
    with pytest.raises(TemplateError) as refused:
        render(body)
    assert refused.value.line == line
    assert refused.value.message.startswith(f"line {line}: ")
    assert says in refused.value.message


def test_check_template_tries_the_template_with_its_own_fields():
    check_template("Arrêt à partir du {{ values.start_date }}", FIELDS)
    with pytest.raises(TemplateError, match="no field named 'end_date'"):
        check_template("jusqu'au {{ values.end_date }}", FIELDS)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"name": "x"}, "must be a list"),
        ([{"name": "Bad Name", "label": "x", "type": "text"}], "lower case letters"),
        ([{"name": "a", "label": "x", "type": "text"}, {"name": "a", "label": "y", "type": "text"}], "defined twice"),
        ([{"name": "a", "label": "", "type": "text"}], "give a label"),
        ([{"name": "a", "label": "x", "type": "image"}], "type must be one of"),
        ([{"name": "a", "label": "x", "type": "text", "required": "yes"}], "true or false"),
        ([{"name": "a", "label": "x", "type": "text", "default": 1}], "unknown key 'default'"),
    ],
)
def test_field_definitions_are_checked(fields, says):
    with pytest.raises(DocumentInputError, match=says) as refused:
        validate_fields_definition(fields)
    assert refused.value.field == "fields"


def test_values_typed_in_are_checked_field_by_field():
    assert clean_values(FIELDS, {"start_date": " 2026-12-01 ", "days": "3,50"}) == {
        "start_date": "2026-12-01",
        "days": "3.5",
    }
    cases = [
        ({}, "values.start_date", "required"),
        ({"start_date": "01/12/2026"}, "values.start_date", "expected a date"),
        ({"start_date": "2026-12-01", "days": "three"}, "values.days", "expected a number"),
        ({"start_date": "2026-12-01", "days": "NaN"}, "values.days", "expected a number"),
        ({"start_date": "2026-12-01", "colour": "red"}, "values.colour", "Not a field"),
    ]
    for values, field, says in cases:
        with pytest.raises(DocumentInputError, match=says) as refused:
            clean_values(FIELDS, values)
        assert refused.value.field == field
    with pytest.raises(DocumentInputError) as refused:
        clean_values(FIELDS, ["not", "an", "object"])
    assert refused.value.field == "values"
