"""Medical certificates from templates written by administrators.

A template is Jinja text rendered in a SANDBOX: it sees only the documented
fields below, as plain values (no model objects, no config, no globals,
no attribute walks to __class__ and friends: Jinja's sandbox refuses them),
and undefined names are errors rather than blanks.  Big repetitions and
powers are refused (a template must not take the server down).

    patient.last_name, .first_name, .birth_name, .birth_date (dd/mm/yyyy),
        .age, .sex (F/M/X), .civility (Madame/Monsieur/""), .mrn
    doctor.name ("Dr Paul MARTIN"), .first_name, .last_name, .specialty, .rpps
    hospital.name, .address, .phone, .finess
    today (dd/mm/yyyy), values.<field> (what the doctor typed in)

The doctor's values are typed and checked before anything is rendered or
archived: required fields present, dates real dates (a date field may have to
fall on or after another one: `"not_before": "start_date"`, so a sick leave
never ends before it starts), numbers numbers, yes/no fields a real answer
(`"type": "yesno"`: true or false; a template writes `{% if values.x %}`, and
the value prints as "oui" / "non").  A refusal names `values.<field>`.

Errors carry the template's line number (app.exceptions.TemplateError) so
the administrator sees "line 3: 'values' has no field 'days'"; a doctor
issuing from a broken template gets a clear refusal, never a 500.
"""

import re
import traceback
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from app.core.actor import Actor
from app.core.errors import ConstraintViolation
from app.core.rules import RecordRules
from app.documents.errors import DocumentInputError, TemplateError
from app.documents.models import Document
from app.security.roles import CERTIFICATE_TEMPLATES

FIELD_TYPES = ("text", "multiline", "date", "number", "yesno")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 20
MAX_VALUE_LENGTH = {"text": 200, "multiline": 2000, "date": 10, "number": 20, "yesno": 5}
# The answers a yes/no field takes (a form's select, JSON true/false); anything else is refused.
YES = frozenset({"true", "yes", "oui", "1", "on"})
NO = frozenset({"false", "no", "non", "0", "off"})


class YesNo(str):
    """A yes/no answer as a template sees it: true or false in `{% if %}`,
    printed "oui" or "non" (the documents are in French)."""

    def __new__(cls, answer: bool):
        made = super().__new__(cls, "oui" if answer else "non")
        made.answer = bool(answer)
        return made

    def __bool__(self) -> bool:
        return self.answer


# Output of one certificate, and the operands of * and ** in a template.
MAX_OUTPUT_CHARS = 100_000
MAX_REPEAT = 1_000
MAX_EXPONENT = 100
MAX_POWER_BASE = 10**6


class CertificateEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and not (
            isinstance(right, int)
            and abs(right) <= MAX_EXPONENT
            and isinstance(left, int | float)
            and abs(left) <= MAX_POWER_BASE
        ):
            raise SecurityError("powers are limited in certificate templates")
        if operator == "*":
            count = left if isinstance(left, int) else right if isinstance(right, int) else 1
            if (isinstance(left, str | list) or isinstance(right, str | list)) and count > MAX_REPEAT:
                raise SecurityError("repetitions are limited in certificate templates")
        return super().call_binop(context, operator, left, right)


def _environment() -> CertificateEnvironment:
    env = CertificateEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
    env.globals.clear()  # no range, lipsum, cycler, namespace, dict
    return env


ENVIRONMENT = _environment()


def validate_fields_definition(fields) -> list[dict]:
    """The template's free fields, cleaned: [{"name", "label", "type", "required"}]."""
    if not isinstance(fields, list):
        raise DocumentInputError("fields", "The fields must be a list.")
    if len(fields) > MAX_FIELDS:
        raise DocumentInputError("fields", f"{MAX_FIELDS} fields at most.")
    cleaned, seen = [], set()
    for position, spec in enumerate(fields, start=1):
        if not isinstance(spec, dict):
            raise DocumentInputError("fields", f"Field {position}: expected an object with name, label and type.")
        unknown = set(spec) - {"name", "label", "type", "required", "not_before"}
        if unknown:
            raise DocumentInputError("fields", f"Field {position}: unknown key {sorted(unknown)[0]!r}.")
        name = spec.get("name")
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            raise DocumentInputError(
                "fields",
                f"Field {position}: the name must be lower case letters, digits and _, starting with a letter.",
            )
        if name in seen:
            raise DocumentInputError("fields", f"Field {name!r} is defined twice.")
        seen.add(name)
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            raise DocumentInputError("fields", f"Field {name!r}: give a label (100 characters at most).")
        kind = spec.get("type", "text")
        if kind not in FIELD_TYPES:
            raise DocumentInputError("fields", f"Field {name!r}: the type must be one of {', '.join(FIELD_TYPES)}.")
        required = spec.get("required", True)
        if not isinstance(required, bool):
            raise DocumentInputError("fields", f"Field {name!r}: required is true or false.")
        field = {"name": name, "label": label.strip(), "type": kind, "required": required}
        if "not_before" in spec:
            earlier = spec["not_before"]
            earlier_spec = next((done for done in cleaned if done["name"] == earlier), None)
            if kind != "date" or earlier_spec is None or earlier_spec["type"] != "date":
                raise DocumentInputError(
                    "fields", f"Field {name!r}: not_before names a date field defined before it (and {name} is a date)."
                )
            field["not_before"] = earlier
        cleaned.append(field)
    return cleaned


def clean_values(fields: list[dict], values) -> dict[str, str | bool]:
    """What the doctor typed, checked against the template's fields: required
    ones present, dates real dates (and not before the date they follow),
    numbers numbers, yes/no fields true or false; errors name
    `values.<field>`.  Dates are kept as ISO text, yes/no as booleans."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise DocumentInputError("values", "Expected an object of field values.")
    known = {spec["name"] for spec in fields}
    for name in values:
        if name not in known:
            raise DocumentInputError(f"values.{name}", "Not a field of this certificate template.")
    cleaned = {}
    for spec in fields:
        name, kind = spec["name"], spec["type"]
        raw = values.get(name)
        if kind == "yesno":
            cleaned[name] = _yes_no(spec, raw)
            continue
        if isinstance(raw, bool | dict | list):
            raise DocumentInputError(f"values.{name}", f"{spec['label']}: expected a {kind}, not {type(raw).__name__}.")
        text = "" if raw is None else str(raw).strip()
        if not text:
            if spec["required"]:
                raise DocumentInputError(f"values.{name}", f"{spec['label']}: this field is required.")
            cleaned[name] = ""
            continue
        if len(text) > MAX_VALUE_LENGTH[kind]:
            raise DocumentInputError(f"values.{name}", f"{spec['label']}: {MAX_VALUE_LENGTH[kind]} characters at most.")
        if kind == "date":
            try:
                text = date.fromisoformat(text).isoformat()
            except ValueError:
                raise DocumentInputError(f"values.{name}", f"{spec['label']}: expected a date (YYYY-MM-DD).") from None
        elif kind == "number":
            try:
                number = Decimal(text.replace(",", "."))
            except InvalidOperation:
                raise DocumentInputError(f"values.{name}", f"{spec['label']}: expected a number.") from None
            if not number.is_finite():
                raise DocumentInputError(f"values.{name}", f"{spec['label']}: expected a number.")
            text = f"{number.normalize():f}"
        cleaned[name] = text
    for spec in fields:
        earlier = spec.get("not_before")
        if earlier and cleaned[spec["name"]] and cleaned[earlier] and cleaned[spec["name"]] < cleaned[earlier]:
            before = next(done for done in fields if done["name"] == earlier)
            shown = date.fromisoformat(cleaned[earlier]).strftime("%d/%m/%Y")
            raise DocumentInputError(
                f"values.{spec['name']}",
                f"{spec['label']}: cannot be before {before['label']} ({shown}).",
            )
    return cleaned


def _yes_no(spec: dict, raw) -> bool:
    """A yes/no answer: JSON true/false, or a form's yes/no (oui/non); blank
    is "no" unless the field is required."""
    name = spec["name"]
    if isinstance(raw, bool):
        return raw
    text = "" if raw is None else str(raw).strip().lower()
    if not text:
        if spec["required"]:
            raise DocumentInputError(f"values.{name}", f"{spec['label']}: answer yes or no.")
        return False
    if text in YES:
        return True
    if text in NO:
        return False
    raise DocumentInputError(f"values.{name}", f"{spec['label']}: answer yes or no (true or false).")


def display_values(fields: list[dict], values: dict) -> dict:
    """Values as the certificate prints them (dates dd/mm/yyyy, yes/no as YesNo)."""
    shown = {}
    for spec in fields:
        value = values.get(spec["name"], "")
        if spec["type"] == "date" and value:
            value = date.fromisoformat(value).strftime("%d/%m/%Y")
        elif spec["type"] == "yesno":
            value = YesNo(bool(value))
        shown[spec["name"]] = value
    return shown


def render_certificate_body(body: str, context: dict) -> Markup:
    """The template's text rendered in the sandbox; TemplateError with the line."""
    try:
        template = ENVIRONMENT.from_string(body)
    except TemplateSyntaxError as error:
        raise TemplateError(error.message or "syntax error", error.lineno) from None
    try:
        output = template.render(context)
    except SecurityError as error:
        raise TemplateError(f"not allowed in a certificate template ({error})", _template_line(error)) from None
    except JinjaTemplateError as error:
        raise TemplateError(_explain(error), _template_line(error)) from None
    except (ArithmeticError, TypeError, ValueError) as error:
        raise TemplateError(f"cannot be computed ({error})", _template_line(error)) from None
    if len(output) > MAX_OUTPUT_CHARS:
        raise TemplateError(f"the certificate would be longer than {MAX_OUTPUT_CHARS:,} characters")
    # Rendered with autoescape on: values are escaped, the template's own markup is the admin's.
    return Markup(output)  # noqa: S704


def sample_context(fields: list[dict]) -> dict:
    """Made-up values of every documented field, to try a template on."""
    samples = {
        "text": "exemple",
        "multiline": "ligne 1\nligne 2",
        "date": "01/01/2027",
        "number": "3",
        "yesno": YesNo(True),
    }
    return {
        "patient": {
            "last_name": "EXEMPLE",
            "first_name": "Camille",
            "birth_name": "",
            "birth_date": "01/01/1980",
            "age": 46,
            "sex": "F",
            "civility": "Madame",
            "mrn": "P000001",
        },
        "doctor": {"name": "Dr Paul MARTIN", "first_name": "Paul", "last_name": "MARTIN", "specialty": "", "rpps": ""},
        "hospital": {"name": "Hôpital", "address": "", "phone": "", "finess": ""},
        "today": "01/01/2027",
        "values": {spec["name"]: samples[spec["type"]] for spec in fields},
    }


def check_template(body: str, fields: list) -> None:
    """Refuse (TemplateError / DocumentInputError) a template that would not
    render: syntax, unknown names, fields used but not defined, forbidden
    constructs.  Run when an administrator saves one."""
    cleaned = validate_fields_definition(fields)
    render_certificate_body(body, sample_context(cleaned))


def _template_line(error: BaseException) -> int | None:
    """The line of the template where rendering failed (Jinja maps its frames to it)."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == "<template>"]
    return lines[-1] if lines else getattr(error, "lineno", None)


def _explain(error: JinjaTemplateError) -> str:
    message = str(error.message or error)
    # "'dict object' has no attribute 'days'" says little to an administrator.
    match = re.match(r"'dict object' has no attribute '(\w+)'", message)
    if match:
        return f"no field named {match.group(1)!r} (see the documented fields and the template's own fields)"
    return message


class TemplateRules(RecordRules):
    """Certificate templates (administrators): the fields, then the text
    rendered with them, checked before anything is saved; a template used
    by an archived certificate is kept (untick Active instead)."""

    def check(self, session, actor: Actor, item, *, deleting: bool = False) -> None:
        if deleting:
            uses = session.scalar(sa.select(sa.func.count()).where(Document.template_id == item.id))
            if uses:
                raise ConstraintViolation(
                    None,
                    f"This template was used for {uses} certificate(s) kept in the archive: it cannot be deleted. "
                    "Untick Active to stop offering it.",
                )
            return
        item.fields = validate_fields_definition(item.fields if item.fields is not None else [])
        check_template(item.body or "", item.fields)


TEMPLATE_RULES = TemplateRules(CERTIFICATE_TEMPLATES)
