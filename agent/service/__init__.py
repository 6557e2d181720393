"""The one door for every front end (CLI, web UI, REST API): turns, threads, credit work, accounts, jobs, readiness.

Front ends import from here only (besides `tools.errors`); the import contracts in pyproject.toml check it.
Names load on first use, so a CLI command that needs none of the graph does not pay for importing it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.dependencies import Services
    from agent.events import Done, Step, Token, TurnResult
    from agent.runtime.serving import ADVISOR_MODULE, ANSWERER_MODULE, EXTRACTOR_MODULE, shell_line, vllm_command
    from agent.service.assistant import Assistant, open_assistant, open_async_assistant
    from agent.service.credit import (
        CreditModels,
        import_report_file,
        open_credit_models,
        review_credit,
        seed_demo_customers,
        store_report,
        summarize,
    )
    from agent.service.operations import (
        classify_scope,
        close_case,
        ingest_corpus,
        list_cases,
        list_customers,
        mask_texts,
        open_guard,
        open_retriever,
        precheck_session,
        precheck_turn,
    )
    from agent.service.operator import (
        audit_sign_in,
        open_batch_jobs,
        open_counters,
        open_user_store,
        readiness,
        upgrade_database,
    )
    from agent.settings import Settings, get_settings
    from tools.accounts import Case
    from tools.batch_jobs import MAX_BATCH, BatchJob, BatchJobs
    from tools.counters import Count, CounterStore
    from tools.credit import CreditReport
    from tools.pii import PiiMasker
    from tools.users import User, UserStore
    from tools.validation import check_utf8, validate_customer_id, validate_message

# Each public name -> the module that defines it.
EXPORTS = {
    "ADVISOR_MODULE": "agent.runtime.serving",
    "ANSWERER_MODULE": "agent.runtime.serving",
    "Assistant": "agent.service.assistant",
    "audit_sign_in": "agent.service.operator",
    "BatchJob": "tools.batch_jobs",
    "BatchJobs": "tools.batch_jobs",
    "Case": "tools.accounts",
    "check_utf8": "tools.validation",
    "classify_scope": "agent.service.operations",
    "close_case": "agent.service.operations",
    "Count": "tools.counters",
    "CounterStore": "tools.counters",
    "CreditModels": "agent.service.credit",
    "CreditReport": "tools.credit",
    "Done": "agent.events",
    "EXTRACTOR_MODULE": "agent.runtime.serving",
    "get_settings": "agent.settings",
    "import_report_file": "agent.service.credit",
    "ingest_corpus": "agent.service.operations",
    "list_cases": "agent.service.operations",
    "list_customers": "agent.service.operations",
    "mask_texts": "agent.service.operations",
    "MAX_BATCH": "tools.batch_jobs",
    "open_assistant": "agent.service.assistant",
    "open_async_assistant": "agent.service.assistant",
    "open_batch_jobs": "agent.service.operator",
    "open_counters": "agent.service.operator",
    "open_credit_models": "agent.service.credit",
    "open_guard": "agent.service.operations",
    "open_retriever": "agent.service.operations",
    "open_user_store": "agent.service.operator",
    "PiiMasker": "tools.pii",
    "precheck_session": "agent.service.operations",
    "precheck_turn": "agent.service.operations",
    "readiness": "agent.service.operator",
    "review_credit": "agent.service.credit",
    "seed_demo_customers": "agent.service.credit",
    "Services": "agent.dependencies",
    "upgrade_database": "agent.service.operator",
    "Settings": "agent.settings",
    "shell_line": "agent.runtime.serving",
    "Step": "agent.events",
    "store_report": "agent.service.credit",
    "summarize": "agent.service.credit",
    "Token": "agent.events",
    "TurnResult": "agent.events",
    "User": "tools.users",
    "UserStore": "tools.users",
    "validate_customer_id": "tools.validation",
    "validate_message": "tools.validation",
    "vllm_command": "agent.runtime.serving",
}
__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(EXPORTS[name]), name)
