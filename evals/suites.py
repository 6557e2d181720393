"""Each suite of `bankassist eval` on the configured app: its Markdown report, flat metrics and its own plots.

Each suite imports its libraries when it runs: the CLI starts without them, and one suite needs none of another's.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evals.charts import Chart
    from evals.rag_judge import JudgeConfig

SuiteOutput = tuple[str, dict[str, Any], list["Chart"]]  # Markdown, flat metrics, suite-specific plots


def run_scope() -> SuiteOutput:
    """The scope guard on the project's queries and BANKING77/CLINC150."""
    from agent.service import open_guard
    from agent.settings import get_settings
    from evals.charts import scope_charts
    from evals.report import scope_markdown
    from evals.scope import run_scope_suite
    from tools.datasets import require_data_dir

    settings = get_settings()
    data_dir = require_data_dir(settings.external_data_dir)  # before loading any model
    scope = run_scope_suite(open_guard(settings), data_dir)
    return scope_markdown(scope), scope.metrics(), scope_charts(scope)


def run_retrieval() -> SuiteOutput:
    """Recall@5 and MRR of the configured retriever on the golden set (and BANKING77, when present)."""
    from agent.service import open_retriever
    from agent.settings import get_settings
    from evals.report import retrieval_markdown
    from evals.retrieval import run_retrieval_suite

    settings = get_settings()
    with open_retriever(settings) as retriever:
        retrieval = run_retrieval_suite(retriever, settings.external_data_dir)
    return retrieval_markdown(retrieval), retrieval.metrics(), []


def run_rag(limit: int | None, judge: JudgeConfig | None) -> SuiteOutput:
    """Golden questions through the real graph, scored by RAGAS metrics (and the judge, when given)."""
    from agent.settings import get_settings
    from evals.charts import rag_charts
    from evals.rag import run_rag_suite
    from evals.report import rag_markdown

    with _stdout_to_stderr():
        suite = run_rag_suite(get_settings(), limit, judge)
    return rag_markdown(suite), suite.metrics(), rag_charts(suite)


def run_credit(pairs: int) -> SuiteOutput:
    """The fine-tuned extractor and the prompted base model on held-out synthetic report pairs."""
    from agent.runtime.backends import build_base_extractor
    from agent.runtime.errors import translate_errors
    from agent.service import open_credit_models
    from evals.charts import credit_charts
    from evals.credit import run_credit_suite
    from evals.report import credit_markdown

    with _stdout_to_stderr(), open_credit_models() as credit, translate_errors(credit.settings):
        base = build_base_extractor(credit.settings)
        concurrency = credit.settings.max_concurrency
        suite = run_credit_suite(credit.extractor, base, credit.synthesizer, pairs, concurrency=concurrency)
    return credit_markdown(suite), suite.metrics(), credit_charts(suite)


def run_advisor(questions: int | None) -> SuiteOutput:
    """The credit-advisor adapter against the base model as writers of credit answers, on held-out questions."""
    from agent.runtime.errors import translate_errors
    from agent.service import open_credit_models
    from evals.advisor import DEFAULT_QUESTIONS, run_advisor_suite
    from evals.report import advisor_markdown
    from tools.errors import ConfigurationError

    with _stdout_to_stderr(), open_credit_models() as credit, translate_errors(credit.settings):
        if credit.settings.backend == "local" and credit.settings.advisor_adapter is None:
            raise ConfigurationError("No credit-advisor adapter is configured, so there is nothing to compare.")
        concurrency = credit.settings.max_concurrency
        suite = run_advisor_suite(credit.advisor, credit.synthesizer, questions or DEFAULT_QUESTIONS, concurrency)
    return advisor_markdown(suite), suite.metrics(), []


def run_safety(limit: int | None, out: Path | None, resume: bool) -> SuiteOutput:
    """PII masking, then the red team; with `out` its results are journaled as they come (see `resume`)."""
    from agent.settings import get_settings
    from evals.redteam_cases import prepare_journal
    from evals.safety import run_safety_suite

    journal = prepare_journal(out, resume)
    settings = get_settings()
    with _stdout_to_stderr():  # the red team's progress lines
        markdown, metrics = run_safety_suite(settings, limit, journal)
    return markdown, metrics, []


def run_conversations(
    limit: int | None, judge: JudgeConfig | None, out: Path | None, personas: Path | None
) -> SuiteOutput:
    """Simulated customers, each a whole conversation through the real graph (and an LLM customer, given a judge)."""
    from agent.settings import get_settings
    from evals.conversation_personas import PERSONAS_PATH
    from evals.conversations import run_conversation_suite

    with _stdout_to_stderr():  # the conversations' progress lines
        suite = run_conversation_suite(get_settings(), personas or PERSONAS_PATH, limit, judge, out)
    return suite.markdown(), suite.metrics(), []


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep library chatter off stdout, which carries only the result."""
    with contextlib.redirect_stdout(sys.stderr):
        yield
