"""The one door for every front end (CLI, web UI, REST API): turns, threads, credit work, accounts, jobs, readiness.

Front ends import from here only (besides `tools.errors`); the import contracts in pyproject.toml check it.
"""

from agent.dependencies import Services
from agent.events import Done, Step, Token, TurnResult
from agent.runtime.serving import vllm_command
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
    ingest_corpus,
    list_customers,
    mask_texts,
    open_guard,
    open_retriever,
    precheck_session,
    precheck_turn,
)
from agent.service.operator import open_batch_jobs, open_user_store, readiness
from agent.settings import Settings, get_settings
from tools.batch_jobs import MAX_BATCH, BatchJob, BatchJobs
from tools.credit import CreditReport
from tools.pii import PiiMasker
from tools.users import User, UserStore
from tools.validation import validate_customer_id, validate_message

__all__ = [
    "MAX_BATCH",
    "Assistant",
    "BatchJob",
    "BatchJobs",
    "CreditModels",
    "CreditReport",
    "Done",
    "PiiMasker",
    "Services",
    "Settings",
    "Step",
    "Token",
    "TurnResult",
    "User",
    "UserStore",
    "classify_scope",
    "get_settings",
    "import_report_file",
    "ingest_corpus",
    "list_customers",
    "mask_texts",
    "open_assistant",
    "open_async_assistant",
    "open_batch_jobs",
    "open_credit_models",
    "open_guard",
    "open_retriever",
    "open_user_store",
    "precheck_session",
    "precheck_turn",
    "readiness",
    "review_credit",
    "seed_demo_customers",
    "store_report",
    "summarize",
    "validate_customer_id",
    "validate_message",
    "vllm_command",
]
