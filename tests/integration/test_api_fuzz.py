"""Property-based fuzzing of the REST API with schemathesis: no 5xx, every response matches the schema.

Bounded: at most FUZZ_EXAMPLES generated cases per operation, with the real small model answering short.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.api_server import start_api

FUZZ_EXAMPLES = 12


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, converted_model, model_cache_dir):
    started = start_api(
        tmp_path_factory.mktemp("fuzz"), model_cache_dir, max_new_tokens="8", rate_limit_per_minute="100000"
    )
    yield started
    started.stop()


def test_no_server_errors_and_responses_match_the_schema(fuzz_server):
    key = fuzz_server.key("ana")
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        fuzz_operation(operation, key)
    served = httpx.get(f"{fuzz_server.url}/metrics", timeout=30).text
    assert "bankassist_turn_seconds_count" in served  # generated chats really ran turns


def fuzz_operation(operation, key: str) -> None:
    """Run up to FUZZ_EXAMPLES generated cases against one operation; hypothesis shrinks any failure."""

    @given(case=operation.as_strategy())
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"},
            checks=[not_a_server_error, response_schema_conformance],
            timeout=120,
        )

    run()
