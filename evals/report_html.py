"""The report's head (headline numbers against their targets, and what was measured) and its HTML form."""

from __future__ import annotations

import base64
import hashlib
import html
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from evals.charts import Chart, render_png
from evals.targets import CREDIT_TARGETS, RAG_TARGETS, RETRIEVAL_TARGETS, TARGETS

if TYPE_CHECKING:
    from agent.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# Headline metric -> (what QA reads, target, higher is better).
# The targets are the suites' own (evals/targets.py), so a target is set in one place.
HEADLINES = {
    "scope_in_scope_recall": ("Scope guard in-scope recall (CLINC150 val)", TARGETS["in_scope_recall"], True),
    "scope_oos_recall": ("Scope guard out-of-scope recall (CLINC150 val)", TARGETS["oos_recall"], True),
    "recall_at_5": ("Retrieval recall@5 (golden set)", RETRIEVAL_TARGETS["recall_at_5"], True),
    "rag_context_recall": ("RAG context recall", RAG_TARGETS["context_recall"], True),
    "rag_numeric_grounding": ("RAG numeric grounding", RAG_TARGETS["numeric_grounding"], True),
    "rag_faithfulness": ("RAG faithfulness (judge)", None, True),
    "extractor_f1": ("Credit extractor F1", CREDIT_TARGETS["f1"], True),
    "extractor_answer_grounding": ("Credit answer numeric grounding", CREDIT_TARGETS["answer_grounding"], True),
    "pii_recall": ("PII recall", None, True),
    "attack_success_rate": ("Red-team attack success rate", None, False),
    "conversation_pass_rate": ("Simulated customers: turns passed", None, True),
    "conversation_persona_pass_rate": ("Simulated customers: personas with every turn passed", None, True),
}


def provenance(settings: Settings) -> dict[str, str]:
    """What produced the numbers: the models, the corpus (by content hash) and the code (git commit)."""
    return {
        "git commit": _git_commit(),
        "backend": settings.backend,
        "base model": _base_model_id(settings),
        "extractor": _extractor_id(settings),
        "banking answers": _banking_writer(settings),
        "embedding model": settings.embedding_model,
        "vector store": settings.vector_store,
        "corpus": f"{settings.corpus_dir.name} sha256:{corpus_hash(settings.corpus_dir)[:16]}",
    }


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over the corpus's file names and contents, in name order (any edit changes it)."""
    digest = hashlib.sha256()
    for path in sorted(corpus_dir.rglob("*.md")):
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def headline_markdown(metrics: dict[str, float | None], facts: dict[str, str]) -> str:
    """The headline table (only the metrics this run measured), then the provenance lines."""
    lines = ["# Eval report", "", "| metric | value | target | status |", "| --- | --- | --- | --- |"]
    for key, (label, value, target, status) in _headlines(metrics).items():
        lines.append(f"| {label} (`{key}`) | {value} | {target} | {status} |")
    lines += ["", *(f"- {name}: {value}" for name, value in facts.items()), ""]
    return "\n".join(lines) + "\n"


def render_html(markdown: str, charts: list[Chart]) -> str:
    """One self-contained page: the Markdown report rendered, then every plot as an inline PNG."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    figures = "\n".join(
        f'<figure><img alt="{html.escape(chart.title)}" src="data:image/png;base64,'
        f'{base64.b64encode(render_png(chart)).decode()}"></figure>'
        for chart in charts
    )
    return PAGE.format(body=body, figures=figures)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bankassist eval report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
pre {{ background: #f5f5f5; padding: .6rem; overflow-x: auto; }}
figure {{ display: inline-block; margin: .5rem; }}
</style></head>
<body>
{body}
<h1>Plots</h1>
{figures}
</body></html>
"""


def _headlines(metrics: dict[str, float | None]) -> dict[str, tuple[str, str, str, str]]:
    """label, value, target and status of each headline metric the run measured."""
    rows = {}
    for key, (label, target, higher) in HEADLINES.items():
        if key not in metrics:
            continue
        value = metrics[key]
        shown = "n/a" if value is None else f"{value:.3f}"
        if target is None or value is None:
            rows[key] = (label, shown, "-", "reported")
            continue
        met = value >= target if higher else value <= target
        rows[key] = (label, shown, f"{'≥' if higher else '≤'} {target:g}", "met" if met else "**below target**")
    return rows


def _git_commit() -> str:
    """HEAD of the checkout the code runs from, marked when it has uncommitted changes; or why not known."""
    try:
        commit = _git("rev-parse", "--short=12", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes)" if dirty else "")


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()


def _base_model_id(settings: Settings) -> str:
    """The served base model's name on the openai backend, else the local base model."""
    if settings.backend == "openai" and settings.openai_synthesizer_model:
        return settings.openai_synthesizer_model
    return settings.base_model


def _banking_writer(settings: Settings) -> str:
    """Who writes the banking answers: the selector's quotes, or a model (the answerer adapter, else the base)."""
    if settings.banking_answers == "extractive":
        return "extractive (the selector quotes the policy)"
    if settings.backend == "openai":
        return f"generative: {settings.answerer_model_name}"
    adapter = settings.answerer_adapter
    return f"generative: the banking-answerer adapter ({adapter})" if adapter else "generative: the base model"


def _extractor_id(settings: Settings) -> str:
    """The served extractor's name, or the adapter folder (none: the prompted base)."""
    if settings.backend == "openai":
        return settings.openai_extractor_model or "(base model, prompted)"
    if not settings.use_adapter:
        return "(base model, prompted)"
    return str(settings.adapter_path or "the shipped adapter (finetune/adapters/smollm2-credit-extractor)")
