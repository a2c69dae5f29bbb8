"""Schemathesis generates requests from our published OpenAPI document: never a 5xx.

(Driven through its Python API: its pytest plugin does not run on pytest 9.)
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import API_TOKEN

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_document_lists_operations(app):
    labels = {op.label for op in operations(app)}
    assert "POST /api/customers" in labels and "POST /api/messages" in labels
    assert len(labels) >= 15


@pytest.mark.slow
def test_no_operation_answers_with_a_server_error(app):
    failures = []
    for operation in operations(app):
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {API_TOKEN}"},
                                   checks=[not_a_server_error])

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 -- collect every failing operation, then fail
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)


@schemathesis.serializer("message/rfc822")
def _rfc822(ctx, value):
    """Raw mail bodies: whatever the schema generated, as bytes."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
