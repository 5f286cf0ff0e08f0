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

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.agenda_screens import make_clinic

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# A 503 is a legitimate answer when the PDF engine is missing on a machine;
# the fuzzer's own generated bodies never make the database unreachable.
ALLOWED_5XX = {503}


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


def test_no_operation_of_the_api_answers_a_server_error(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=admin_headers)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, admin_headers)
            if failure:
                failures[f"{operation.label} ({mode.value})"] = failure
    assert operations > 60, "the spec lost its operations"
    assert failures == {}, "\n".join(f"{label}: {failure}" for label, failure in failures.items())


def _fuzz(operation, mode, headers) -> str | None:
    """The first 5xx the fuzzer finds for this operation, shrunk, or None."""
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
        if response.status_code >= 500 and response.status_code not in ALLOWED_5XX:
            found.append(f"{response.status_code} for {case.as_curl_command(headers=headers)[:400]}")
            raise AssertionError(found[-1])

    try:
        check()
    except AssertionError:
        return found[-1] if found else "failed"
    except Exception as exc:
        return f"fuzzer error: {type(exc).__name__}: {str(exc)[:300]}"
    return None
