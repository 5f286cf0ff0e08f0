"""Every operation of CareTrail's own OpenAPI spec, fuzzed from outside:
schemathesis generates valid requests (from the spec) and malformed ones
(negative mode: wrong types, missing fields, out-of-range values, odd
strings) and sends them with an administrator's token to the live test
app.  No answer may be a server error (5xx): bad input is a 4xx.

One database for the whole run (the fuzzer writes, deletes and writes
again); every failing operation is listed, not only the first.
FUZZ_EXAMPLES sets the number of examples per operation and mode.
"""

import os
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.documents.render import RenderingFailed, render_pdf
from tests.agenda_screens import make_clinic

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# The operations that render a PDF (app/documents/archive.issue_document):
# there a 503 ("the PDF could not be produced, nothing was archived") is the
# right answer on a machine without the PDF engine.  Downloading or printing
# a document (GET /api/v1/documents/{pk}/download, ?disposition=inline) serves its
# archived bytes and needs no engine; no other operation may answer a 5xx,
# and the fuzzer's bodies never make the database unreachable.
RENDERS_A_PDF = {("POST", "/api/v1/patients/{pk}/documents")}


def pdf_engine_missing(config) -> bool:
    """Whether the configured PDF engine (PDF_ENGINE) cannot produce a PDF
    on this machine: wkhtmltopdf not installed (or WKHTMLTOPDF_PATH naming
    no program), WeasyPrint's libraries (Pango) absent.  Asked by rendering
    a one-line page, as the documents do."""
    try:
        render_pdf("<p>CareTrail</p>", config["PDF_ENGINE"], wkhtmltopdf_path=config.get("WKHTMLTOPDF_PATH"))
    except RenderingFailed:
        return True
    return False


def allowed_5xx(method: str, path: str, *, engine_missing: bool) -> set[int]:
    """The server errors an operation may answer: a 503 where a PDF is
    rendered and the engine is absent; none anywhere else."""
    return {503} if engine_missing and (method.upper(), path) in RENDERS_A_PDF else set()


def _spec_problems(spec: dict) -> list[str]:
    """What an OpenAPI validator would refuse in the spec's schemas: a
    minimum/maximum that is not a number (the apispec of a Decimal range)."""
    problems = []

    def walk(node, where):
        if isinstance(node, dict):
            for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if key in node and not isinstance(node[key], int | float):
                    problems.append(f"{where}: {key} = {node[key]!r}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(spec, "#")
    return problems


@pytest.fixture
def admin_headers(client, api, sql_conn):
    """An administrator's JWT, on a database with a small clinic in it."""
    make_clinic(sql_conn)
    return api("admin")


def test_the_openapi_spec_is_valid(client, admin_headers):
    spec = client.get("/api/v1/_openapi", headers=admin_headers).get_json()
    assert _spec_problems(spec) == []


def test_a_503_is_allowed_only_where_a_pdf_is_rendered_and_only_without_the_engine():
    issue = ("POST", "/api/v1/patients/{pk}/documents")
    assert allowed_5xx(*issue, engine_missing=True) == {503}
    assert allowed_5xx(*issue, engine_missing=False) == set()
    for method, path in [
        ("GET", "/api/v1/documents/{pk}/download"),  # archived bytes: no engine
        ("GET", "/api/v1/documents/{pk}"),
        ("GET", "/api/v1/appointment_types/"),
        ("POST", "/api/v1/allergies/"),
        ("GET", "/api/v1/prescriptions/renewals_due"),
    ]:
        assert allowed_5xx(method, path, engine_missing=True) == set(), (method, path)


def test_the_pdf_engine_is_missing_when_it_cannot_run(monkeypatch):
    assert pdf_engine_missing({"PDF_ENGINE": "wkhtmltopdf", "WKHTMLTOPDF_PATH": "/nonexistent/wkhtmltopdf"})
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert pdf_engine_missing({"PDF_ENGINE": "wkhtmltopdf", "WKHTMLTOPDF_PATH": None})


def test_the_operations_that_render_a_pdf_are_in_the_spec(client, admin_headers):
    paths = client.get("/api/v1/_openapi", headers=admin_headers).get_json()["paths"]
    assert all(method.lower() in paths.get(path, {}) for method, path in RENDERS_A_PDF)


def test_no_operation_of_the_api_answers_a_server_error(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=admin_headers)
    engine_missing = pdf_engine_missing(app.config)
    failures: dict[str, str] = {}
    operations, seen = 0, set()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        seen.add((operation.method.upper(), operation.path))
        allowed = allowed_5xx(operation.method, operation.path, engine_missing=engine_missing)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, admin_headers, allowed)
            if failure:
                failures[f"{operation.label} ({mode.value})"] = failure
    assert operations > 60, "the spec lost its operations"
    assert seen >= RENDERS_A_PDF, "the operations that render a PDF are named as the fuzzer names them"
    assert failures == {}, "\n".join(f"{label}: {failure}" for label, failure in failures.items())


def _fuzz(operation, mode, headers, allowed: set[int]) -> str | None:
    """The first 5xx (but those `allowed`) the fuzzer finds for this operation, or None."""
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(headers=headers)
        if response.status_code >= 500 and response.status_code not in allowed:
            found.append(f"{response.status_code} for {case.as_curl_command(headers=headers)[:400]}")
            raise AssertionError(found[-1])

    try:
        check()
    except AssertionError:
        return found[-1] if found else "failed"
    except Exception as exc:
        return f"fuzzer error: {type(exc).__name__}: {str(exc)[:300]}"
    return None
