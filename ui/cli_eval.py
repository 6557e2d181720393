"""The `eval` command: its options, handed to the eval runner (evals/runner.py), which does the work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from evals.runner import EvalRequest, Suite, run_eval


def evaluate(
    suite: Annotated[Suite, typer.Option("--suite", help="Which suite to run.")] = Suite.scope,
    out: Annotated[Path | None, typer.Option("--out", help="Write report.md and metrics.json here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object of metric -> value.")] = False,
    pairs: Annotated[int, typer.Option("--pairs", min=1, max=5000, help="Credit suite: held-out pairs.")] = 100,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help=(
                "RAG: questions per set (golden, customer, unanswerable); safety: cases; conversations: personas; "
                "advisor: questions (40)."
            ),
        ),
    ] = None,
    judge_url: Annotated[
        str | None,
        typer.Option(
            "--judge-url",
            help="RAG: OpenAI-compatible judge, e.g. http://host:8000/v1; conversations: the LLM customer.",
        ),
    ] = None,
    judge_model: Annotated[str | None, typer.Option("--judge-model", help="The judge's model name.")] = None,
    judge_max_tokens: Annotated[
        int, typer.Option("--judge-max-tokens", min=16, max=8192, help="RAG suite: judge reply budget.")
    ] = 1024,
    resume: Annotated[
        bool, typer.Option("--resume", help="Safety suite: keep the red-team results already in --out.")
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Exit 1 when a metric drops beyond its tolerance in this file.")
    ] = None,
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Write this run's metrics into --baseline (evals/baseline.json).")
    ] = False,
    personas: Annotated[
        Path | None,
        typer.Option("--personas", help="Conversations suite: persona file (default evals/data/personas.jsonl)."),
    ] = None,
) -> None:
    """Measure the assistant: scope guard, retrieval, RAG answers, credit extractor, safety, conversations, or all."""
    request = EvalRequest(
        suite=suite,
        out=out,
        as_json=as_json,
        pairs=pairs,
        limit=limit,
        judge_url=judge_url,
        judge_model=judge_model,
        judge_max_tokens=judge_max_tokens,
        resume=resume,
        baseline=baseline,
        update_baseline=update_baseline,
        personas=personas,
    )
    status = run_eval(request)
    if status:
        sys.exit(status)
