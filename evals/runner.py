"""`bankassist eval`: check the options, run the suites, write the report, then gate on or update the baseline.

Output as the CLI's: the report (or its metrics as JSON) on stdout; the regressions, notes and errors on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import suites
from evals.baseline import DEFAULT_PATH, load_baseline, regressions, updated_baseline, write_baseline
from evals.suites import SuiteOutput
from tools.errors import BankassistError

if TYPE_CHECKING:
    from evals.charts import Chart
    from evals.rag_judge import JudgeConfig

INTERRUPTED = 130  # the exit status of a run Ctrl-C stopped, as a shell's


class Suite(StrEnum):
    """Eval suites built so far."""

    scope = "scope"
    retrieval = "retrieval"
    rag = "rag"
    credit = "credit"
    advisor = "advisor"
    safety = "safety"
    conversations = "conversations"
    all = "all"


@dataclass(frozen=True)
class EvalRequest:
    """What `bankassist eval` was asked: the options of the command line."""

    suite: Suite = Suite.scope
    out: Path | None = None
    as_json: bool = False
    pairs: int = 100
    limit: int | None = None
    judge_url: str | None = None
    judge_model: str | None = None
    judge_max_tokens: int = 1024
    resume: bool = False
    baseline: Path | None = None
    update_baseline: bool = False
    personas: Path | None = None  # the conversations suite's persona file (None: evals/data/personas.jsonl)


@dataclass(frozen=True)
class SuiteOptions:
    """What the eval command's options say to the suites."""

    pairs: int
    limit: int | None
    out: Path | None
    resume: bool
    judge: JudgeConfig | None
    personas: Path | None = None


def run_eval(request: EvalRequest) -> int:
    """Run the requested suites and print their report; the exit status: 0, or 130 when Ctrl-C stopped a suite."""
    # Imported here, not at the top: the CLI imports this module at every start, and these load the suites' code.
    from agent.settings import get_settings
    from evals.charts import metric_charts
    from evals.report import write_report
    from evals.report_html import headline_markdown, provenance

    baseline_path = request.baseline or DEFAULT_PATH
    judge = judge_config(request.suite, request.judge_url, request.judge_model, request.judge_max_tokens)
    # Read before the run: a bad file fails in a second, not after a ten-minute suite.
    creating = request.update_baseline and not baseline_path.exists()
    wanted = request.baseline or request.update_baseline
    entries = {} if creating or not wanted else load_baseline(baseline_path)
    chosen = [one for one in Suite if one is not Suite.all] if request.suite is Suite.all else [request.suite]
    options = SuiteOptions(request.pairs, request.limit, request.out, request.resume, judge, request.personas)
    markdown, metrics, charts, stopped = run_suites(chosen, options)
    markdown = headline_markdown(metrics, provenance(get_settings())) + "\n" + markdown
    if request.out is not None:
        write_report(request.out, markdown, metrics, [*charts, *metric_charts(metrics)])
    print(json.dumps(metrics, allow_nan=False) if request.as_json else markdown)
    if stopped is not None:  # no gate or baseline update on a partial run
        print(f"interrupted during the {stopped} suite; the report holds the suites before it", file=sys.stderr)
        return INTERRUPTED
    if request.update_baseline:
        update_baseline(baseline_path, entries, metrics)
    elif request.baseline is not None:
        gate(baseline_path, entries, metrics)
    return 0


def judge_config(suite: Suite, url: str | None, model: str | None, max_tokens: int) -> JudgeConfig | None:
    """The judge, when both --judge-url and --judge-model are given (and the run has a RAG or conversations suite)."""
    from evals.rag_judge import JudgeConfig

    if url is None and model is None:
        return None
    if url is None or model is None:
        raise BankassistError("Give both --judge-url and --judge-model, or neither.")
    if suite not in (Suite.rag, Suite.conversations, Suite.all):
        raise BankassistError(
            "The judge scores the RAG suite and plays the customer in the conversations suite: "
            "use --suite rag or --suite all, or --suite conversations."
        )
    if not url.startswith(("http://", "https://")):
        raise BankassistError(f"--judge-url must be an http(s) URL, not {url!r}.")
    return JudgeConfig(url=url, model=model, max_tokens=max_tokens)


def run_suites(chosen: Sequence[Suite], options: SuiteOptions) -> tuple[str, dict[str, Any], list[Chart], Suite | None]:
    """Each suite in turn: their reports, metrics and plots together, and the suite Ctrl-C stopped, if any."""
    parts: list[str] = []
    metrics: dict[str, Any] = {}
    charts: list[Chart] = []
    for suite in chosen:
        try:
            markdown, found, drawn = run_one_suite(suite, options)
        except KeyboardInterrupt:
            parts.append(f"# Interrupted\n\nCtrl-C stopped the {suite} suite; the suites above finished.\n")
            return "\n".join(parts), metrics, charts, suite
        parts.append(markdown)
        metrics |= found
        charts += drawn
    return "\n".join(parts), metrics, charts, None


def run_one_suite(suite: Suite, options: SuiteOptions) -> SuiteOutput:
    """One suite's Markdown report, flat metrics and suite-specific plots."""
    if suite is Suite.credit:
        return suites.run_credit(options.pairs)
    if suite is Suite.advisor:
        return suites.run_advisor(options.limit)
    if suite is Suite.safety:
        return suites.run_safety(options.limit, options.out, options.resume)
    if suite is Suite.rag:
        return suites.run_rag(options.limit, options.judge)
    if suite is Suite.conversations:
        return suites.run_conversations(options.limit, options.judge, options.out, options.personas)
    if suite is Suite.retrieval:
        return suites.run_retrieval()
    return suites.run_scope()


def gate(path: Path, entries: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Each regression on stderr, then a one-line error; a note when the baseline covers none of the run."""
    found = regressions(metrics, entries)
    for regression in found:
        print(f"regression: {regression.line()}", file=sys.stderr)
    if found:
        raise BankassistError(f"{len(found)} metrics dropped beyond their tolerance in {path}.")
    compared = len(set(metrics) & set(entries))
    print(f"baseline {path}: {compared} metrics compared, none dropped beyond its tolerance.", file=sys.stderr)


def update_baseline(path: Path, entries: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Rewrite the baseline with this run's metrics (a human decided this run is the new reference)."""
    updated = updated_baseline(entries, metrics)
    write_baseline(path, updated)
    changed = sum(entries.get(name) != entry for name, entry in updated.items())
    print(f"baseline {path}: {changed} metrics written.", file=sys.stderr)
