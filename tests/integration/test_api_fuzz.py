"""Property-based fuzzing of the REST API with schemathesis: no 5xx, every response matches the schema.

Bounded in examples (FUZZ_EXAMPLES) and time (a 15-minute timeout), with the real small model answering short.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.api_server import start_api

FUZZ_EXAMPLES = 6  # per operation, role and mode: 6 x 2 x 2 = 24 cases per operation


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, converted_model, model_cache_dir):
    started = start_api(
        tmp_path_factory.mktemp("fuzz"), model_cache_dir, max_new_tokens="8", rate_limit_per_minute="100000"
    )
    yield started
    started.stop()


@pytest.mark.timeout(900)
def test_no_server_errors_and_responses_match_the_schema(fuzz_server):
    keys = [fuzz_server.key("ana"), fuzz_server.key("alice")]
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        for key in keys:  # an analyst and a customer
            fuzz_operation(operation, key, GenerationMode.POSITIVE)
            try:  # inputs that break the schema
                fuzz_operation(operation, key, GenerationMode.NEGATIVE)
            except Unsatisfiable:  # an operation without parameters or body has no schema to break
                assert not operation.body and not operation.path_parameters and not operation.query
    served = httpx.get(f"{fuzz_server.url}/metrics", timeout=30).text
    assert "bankassist_turn_seconds_count" in served  # generated chats really ran turns


def fuzz_operation(operation, key: str, mode: GenerationMode) -> None:
    """Run up to FUZZ_EXAMPLES generated cases against one operation; hypothesis shrinks any failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {key}"},
            checks=[not_a_server_error, response_schema_conformance],
            timeout=120,
        )

    run()
