"""The `bankassist` command line: one-line errors on stderr, results on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from tools.errors import BankassistError
from ui.async_run import run_detached
from ui.cli_admin import apikey_app, list_users, serve_api, serve_vllm
from ui.cli_credit import finetune, import_report, seed, summarize
from ui.cli_web import feedback_app, serve_ui

if TYPE_CHECKING:
    from agent.events import TurnResult
    from agent.service import Assistant
    from evals.charts import Chart
    from evals.rag_judge import JudgeConfig

SuiteOutput = tuple[str, dict[str, Any], list["Chart"]]  # Markdown, flat metrics, suite-specific plots

app = typer.Typer(
    help="bankassist: Larkspur Bank's banking and credit assistant.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
log = logging.getLogger("bankassist")
app.add_typer(apikey_app, name="apikey")
app.command("api")(serve_api)
app.command("users")(list_users)
app.command("serve")(serve_vllm)
app.command("seed")(seed)
app.command("import-report")(import_report)
app.command("summarize")(summarize)
app.command("finetune")(finetune)
app.command("ui")(serve_ui)
app.add_typer(feedback_app, name="feedback")

CustomerOpt = Annotated[str | None, typer.Option("--customer", "-c", help="Customer id, e.g. C0001 (operator tool).")]
ThreadOpt = Annotated[str | None, typer.Option("--thread", "-t", help="Continue this conversation thread.")]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    customer: CustomerOpt = None,
    thread: ThreadOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Answer one question (one turn)."""
    from agent.service import precheck_turn

    precheck_turn(question, customer, thread)
    with _stdout_to_stderr():
        result = run_detached(_ask_once(question, customer, thread))
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print(result.answer)
    _print_details(result.sources, result.facts)
    print(f"(route: {result.route}, thread: {result.thread_id})", file=sys.stderr)


async def _ask_once(question: str, customer: str | None, thread: str | None) -> TurnResult:
    """One turn on the async assistant: there every node runs under BANKASSIST_NODE_TIMEOUT_S."""
    from agent.service import open_async_assistant

    async with open_async_assistant() as assistant:
        return await assistant.aask(question, customer_id=customer, thread_id=thread, user=operator())


@app.command()
def chat(customer: CustomerOpt = None, thread: ThreadOpt = None) -> None:
    """Chat in the terminal with streamed answers; reuse --thread to continue a conversation."""
    from agent.service import precheck_session

    precheck_session(customer, thread)
    run_detached(_chat_session(customer, thread or uuid.uuid4().hex))


async def _chat_session(customer: str | None, thread: str) -> None:
    """The async assistant (node timeouts apply), fed line by line; input() waits in a worker thread."""
    from agent.service import open_async_assistant

    async with open_async_assistant() as assistant:
        print(f"Larkspur Bank assistant (thread {thread}). Type 'exit' or press Ctrl-D to leave.", file=sys.stderr)
        async for line in _typed_lines("you> "):
            await _chat_turn(assistant, line, customer, thread)


async def _typed_lines(prompt: str) -> AsyncIterator[str]:
    """The typed lines, each read when the previous answer is done (on a daemon thread: see run_detached)."""
    lines = _prompt_lines(prompt)
    while (line := await asyncio.to_thread(next, lines, None)) is not None:
        yield line


async def _chat_turn(assistant: Assistant, line: str, customer: str | None, thread: str) -> None:
    """Stream one answer; an error ends the turn, not the session."""
    from agent.service import Done, Token

    print("bank> ", end="", flush=True)
    shown = ""
    try:
        async for event in assistant.astream(line, customer_id=customer, thread_id=thread, user=operator()):
            if isinstance(event, Token):
                shown += event.text
                print(event.text, end="", flush=True)
            elif isinstance(event, Done):
                print()
                if event.result.output_check and shown != event.result.answer:  # a check replaced the draft
                    print(f"bank> (the answer above is withdrawn) {event.result.answer}")
                _print_details(event.result.sources, event.result.facts)
    except BankassistError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)


def operator() -> str:
    """Who runs the CLI, for the audit log: the OS account (`--customer` is an operator's tool)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container's uid with no passwd entry and no USER
        return "cli"


def _prompt_lines(prompt: str) -> Iterator[str]:
    """Read non-empty lines until EOF or 'exit'."""
    while True:
        try:
            line = input(prompt).strip()
        except EOFError:
            print(file=sys.stderr)
            return
        if line.lower() in {"exit", "quit"}:
            return
        if line:
            yield line


@app.command()
def route(
    file: Annotated[Path | None, typer.Option("--file", "-f", help="One query per line; default: stdin.")] = None,
) -> None:
    """Run only the scope guard (no LLM): one JSON line {text, route, confidence, in_scope} per input line."""
    from agent.service import classify_scope

    queries = [line for line in _read_lines(file) if line.strip()]
    for text, decision in zip(queries, classify_scope(queries), strict=True):
        row = {"text": text, "route": decision.route, "confidence": decision.confidence, "in_scope": decision.in_scope}
        print(json.dumps(row, ensure_ascii=False), flush=True)


@app.command()
def mask(
    text: Annotated[str | None, typer.Argument(help="Text to mask; default: stdin, line by line.")] = None,
) -> None:
    """Print the text with PII replaced by placeholders such as <CARD_1>."""
    from agent.service import mask_texts

    lines = [text] if text is not None else _read_lines(None)
    for masked in mask_texts(lines):
        print(masked)


@app.command()
def customers(as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False) -> None:
    """List the customers (demo customers are created on first use)."""
    from agent.service import list_customers

    found = list_customers()
    if as_json:
        print(json.dumps([vars(c) for c in found]))
        return
    for c in found:
        print(f"{c.id}  {c.name:<22} reports: {c.reports}  latest score: {c.latest_score}")


class StoreKind(StrEnum):
    """Vector stores `ingest --store` can write to."""

    local = "local"
    weaviate = "weaviate"


@app.command()
def ingest(
    path: Annotated[Path | None, typer.Argument(help="Corpus directory; default: the configured corpus.")] = None,
    store: Annotated[
        StoreKind | None, typer.Option("--store", help="Vector store; default: BANKASSIST_VECTOR_STORE.")
    ] = None,
) -> None:
    """Sync the policy corpus into the vector store: only changed documents are re-embedded."""
    from agent.service import ingest_corpus

    report = ingest_corpus(path, store.value if store else None)
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
        f"unchanged {report.unchanged} documents; {report.chunks_embedded} chunks embedded"
    )


@app.command("train-guard")
def train_guard(
    out: Annotated[Path | None, typer.Option("--out", help="Weights file; default: the configured one.")] = None,
    encoder: Annotated[str | None, typer.Option("--encoder", help="Sentence-transformers model.")] = None,
    max_per_class: Annotated[int | None, typer.Option("--max-per-class", min=1, help="Quick run: cap classes.")] = None,
    epochs: Annotated[float, typer.Option("--epochs", min=0.1, max=20, help="Passes of encoder fine-tuning.")] = 2.0,
) -> None:
    """Fine-tune the guard's encoder (LoRA) and its heads on our queries and BANKING77/CLINC150, then save."""
    from agent.settings import get_settings
    from finetune.scope_encoder import EncoderTraining
    from finetune.scope_guard import train_and_save

    settings = get_settings()
    path = out or settings.scope_guard_path
    weights = train_and_save(settings, path, encoder, max_per_class, EncoderTraining(epochs=epochs))
    print(f"Saved {path}: {len(weights.class_names)} classes, thresholds {weights.thresholds}, {weights.info}")


class Suite(StrEnum):
    """Eval suites built so far."""

    scope = "scope"
    retrieval = "retrieval"
    rag = "rag"
    credit = "credit"
    safety = "safety"
    all = "all"


@app.command("eval")
def evaluate(
    suite: Annotated[Suite, typer.Option("--suite", help="Which suite to run.")] = Suite.scope,
    out: Annotated[Path | None, typer.Option("--out", help="Write report.md and metrics.json here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object of metric -> value.")] = False,
    pairs: Annotated[int, typer.Option("--pairs", min=1, max=5000, help="Credit suite: held-out pairs.")] = 100,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help="RAG suite: golden questions; safety suite: red-team cases."),
    ] = None,
    judge_url: Annotated[
        str | None, typer.Option("--judge-url", help="RAG suite: OpenAI-compatible judge, e.g. http://host:8000/v1.")
    ] = None,
    judge_model: Annotated[str | None, typer.Option("--judge-model", help="RAG suite: the judge's model name.")] = None,
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
) -> None:
    """Measure the assistant: the scope guard, retrieval, RAG answers, the credit extractor, safety, or all."""
    from agent.settings import get_settings
    from evals.baseline import DEFAULT_PATH, load_baseline
    from evals.charts import metric_charts
    from evals.report import write_report
    from evals.report_html import headline_markdown, provenance

    baseline_path = baseline or DEFAULT_PATH
    judge = _judge_config(suite, judge_url, judge_model, judge_max_tokens)
    # Read before the run: a bad file fails in a second, not after a ten-minute suite.
    creating = update_baseline and not baseline_path.exists()
    entries = {} if creating or not (baseline or update_baseline) else load_baseline(baseline_path)
    suites = [one for one in Suite if one is not Suite.all] if suite is Suite.all else [suite]
    markdown, metrics, charts, stopped = _run_suites(suites, SuiteOptions(pairs, limit, out, resume, judge))
    markdown = headline_markdown(metrics, provenance(get_settings())) + "\n" + markdown
    if out is not None:
        write_report(out, markdown, metrics, [*charts, *metric_charts(metrics)])
    print(json.dumps(metrics, allow_nan=False) if as_json else markdown)
    if stopped is not None:  # no gate or baseline update on a partial run
        print(f"interrupted during the {stopped} suite; the report holds the suites before it", file=sys.stderr)
        sys.exit(130)
    if update_baseline:
        _update_baseline(baseline_path, entries, metrics)
    elif baseline is not None:
        _gate(baseline_path, entries, metrics)


@dataclass(frozen=True)
class SuiteOptions:
    """What the eval command's options say to the suites."""

    pairs: int
    limit: int | None
    out: Path | None
    resume: bool
    judge: JudgeConfig | None


def _judge_config(suite: Suite, url: str | None, model: str | None, max_tokens: int) -> JudgeConfig | None:
    """The judge, when both --judge-url and --judge-model are given (and the run has a RAG suite)."""
    from evals.rag_judge import JudgeConfig

    if url is None and model is None:
        return None
    if url is None or model is None:
        raise BankassistError("Give both --judge-url and --judge-model, or neither.")
    if suite not in (Suite.rag, Suite.all):
        raise BankassistError("The judge scores the RAG suite: use --suite rag or --suite all.")
    if not url.startswith(("http://", "https://")):
        raise BankassistError(f"--judge-url must be an http(s) URL, not {url!r}.")
    return JudgeConfig(url=url, model=model, max_tokens=max_tokens)


def _run_suites(
    suites: Sequence[Suite], options: SuiteOptions
) -> tuple[str, dict[str, Any], list[Chart], Suite | None]:
    """Each suite in turn: their reports, metrics and plots together, and the suite Ctrl-C stopped, if any."""
    parts: list[str] = []
    metrics: dict[str, Any] = {}
    charts: list[Chart] = []
    for suite in suites:
        try:
            markdown, found, drawn = _run_one_suite(suite, options)
        except KeyboardInterrupt:
            parts.append(f"# Interrupted\n\nCtrl-C stopped the {suite} suite; the suites above finished.\n")
            return "\n".join(parts), metrics, charts, suite
        parts.append(markdown)
        metrics |= found
        charts += drawn
    return "\n".join(parts), metrics, charts, None


def _run_one_suite(suite: Suite, options: SuiteOptions) -> SuiteOutput:
    """One suite's Markdown report, flat metrics and suite-specific plots."""
    if suite is Suite.credit:
        return _run_credit_suite(options.pairs)
    if suite is Suite.safety:
        return _run_safety_suite(options.limit, options.out, options.resume)
    if suite is Suite.rag:
        return _run_rag_suite(options.limit, options.judge)
    return _run_suite(suite)


def _gate(path: Path, entries: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Each regression on stderr, then a one-line error; a note when the baseline covers none of the run."""
    from evals.baseline import regressions

    found = regressions(metrics, entries)
    for regression in found:
        print(f"regression: {regression.line()}", file=sys.stderr)
    if found:
        raise BankassistError(f"{len(found)} metrics dropped beyond their tolerance in {path}.")
    compared = len(set(metrics) & set(entries))
    print(f"baseline {path}: {compared} metrics compared, none dropped beyond its tolerance.", file=sys.stderr)


def _update_baseline(path: Path, entries: dict[str, dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Rewrite the baseline with this run's metrics (a human decided this run is the new reference)."""
    from evals.baseline import updated_baseline, write_baseline

    updated = updated_baseline(entries, metrics)
    write_baseline(path, updated)
    changed = sum(entries.get(name) != entry for name, entry in updated.items())
    print(f"baseline {path}: {changed} metrics written.", file=sys.stderr)


def _run_suite(suite: Suite) -> SuiteOutput:
    """Run one suite; return its Markdown report and flat metrics."""
    from agent.settings import get_settings

    settings = get_settings()
    if suite is Suite.retrieval:
        from agent.service import open_retriever
        from evals.report import retrieval_markdown
        from evals.retrieval import run_retrieval_suite

        with open_retriever(settings) as retriever:
            retrieval = run_retrieval_suite(retriever, settings.external_data_dir)
        return retrieval_markdown(retrieval), retrieval.metrics(), []
    from agent.service import open_guard
    from evals.charts import scope_charts
    from evals.report import scope_markdown
    from evals.scope import run_scope_suite
    from finetune.scope_data import require_data_dir

    data_dir = require_data_dir(settings.external_data_dir)  # before loading any model
    scope = run_scope_suite(open_guard(settings), data_dir)
    return scope_markdown(scope), scope.metrics(), scope_charts(scope)


def _run_rag_suite(limit: int | None, judge: JudgeConfig | None) -> SuiteOutput:
    """Golden questions through the real graph, scored by RAGAS metrics (and the judge, when given)."""
    from agent.settings import get_settings
    from evals.charts import rag_charts
    from evals.rag import run_rag_suite
    from evals.report import rag_markdown

    with _stdout_to_stderr():
        suite = run_rag_suite(get_settings(), limit, judge)
    return rag_markdown(suite), suite.metrics(), rag_charts(suite)


def _run_credit_suite(pairs: int) -> SuiteOutput:
    """The fine-tuned extractor and the prompted base model on held-out synthetic report pairs."""
    from agent.llm import build_base_extractor
    from agent.model_errors import translate_errors
    from agent.service import open_credit_models
    from evals.charts import credit_charts
    from evals.credit import run_credit_suite
    from evals.report import credit_markdown

    with _stdout_to_stderr(), open_credit_models() as credit, translate_errors(credit.settings):
        base = build_base_extractor(credit.settings)
        concurrency = credit.settings.max_concurrency
        suite = run_credit_suite(credit.extractor, base, credit.synthesizer, pairs, concurrency=concurrency)
    return credit_markdown(suite), suite.metrics(), credit_charts(suite)


def _run_safety_suite(limit: int | None, out: Path | None, resume: bool) -> SuiteOutput:
    """PII masking, then the red team; with --out its results are journaled as they come (see --resume)."""
    from agent.settings import get_settings
    from evals.redteam import prepare_journal
    from evals.safety import run_safety_suite

    journal = prepare_journal(out, resume)
    settings = get_settings()
    with _stdout_to_stderr():  # the red team's progress lines
        markdown, metrics = run_safety_suite(settings, limit, journal)
    return markdown, metrics, []


def _read_lines(file: Path | None) -> list[str]:
    """Lines of a file or of stdin, without their newlines."""
    if file is None:
        return [line.rstrip("\n") for line in sys.stdin]
    try:
        return file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BankassistError(f"Cannot read {file}: {exc.__class__.__name__}.") from exc


def _print_details(sources: Iterable[dict[str, Any]], facts: Iterable[str]) -> None:
    """Sources as [n] title, then facts, one per line."""
    for number, source in enumerate(sources, start=1):
        print(f"  [{number}] {source['title']} ({source['id']}, score {source['score']:.2f})")
    for fact in facts:
        print(f"  {fact}")


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep library chatter off stdout, which carries only the result."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _set_runtime_defaults() -> None:
    """Offline by default (nothing downloads from a hub), and quiet libraries."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _configure_logging(level: str) -> None:
    """Logs go to stderr; stdout carries only results."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("bankassist", "agent", "tools", "retrieval", "ui"):
        logging.getLogger(name).setLevel(level.upper())
    for noisy in ("transformers", "sentence_transformers", "httpx", "presidio-analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def _setting_error(exc: ValidationError) -> str:
    """Name the environment variable of the first invalid setting."""
    first = exc.errors()[0]
    name = "_".join(str(part) for part in first["loc"]).upper()
    return f"invalid setting BANKASSIST_{name}: {first['msg']}"


def main() -> None:
    """Console entry point: known errors become one line on stderr and exit code 1."""
    from agent.settings import get_settings

    _set_runtime_defaults()
    try:
        _configure_logging(get_settings().log_level)
        app()  # standalone: typer reports usage errors itself (exit 2) and exits 0 on success
    except BankassistError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail(_setting_error(exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line for the user, the traceback only at DEBUG
        log.debug("Unexpected failure", exc_info=True)
        _fail(f"unexpected {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")


def _fail(message: str) -> None:
    """Print one error line and exit with status 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)
