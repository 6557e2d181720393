"""The `bankassist` command line: one-line errors on stderr, results on stdout."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from tools.errors import BankassistError
from ui.async_run import run_detached
from ui.cli_accounts import cases_app, decide, settle_pending
from ui.cli_admin import apikey_app, serve_api, serve_vllm
from ui.cli_answers import train_selector
from ui.cli_common import fail, operator, setting_error, stdout_to_stderr
from ui.cli_credit import finetune, import_report, seed, summarize
from ui.cli_db import db_app
from ui.cli_eval import evaluate
from ui.cli_retrieval import train_retriever_command
from ui.cli_users import users_app
from ui.cli_web import feedback_app, serve_ui
from ui.process_memory import limit_malloc_arenas

if TYPE_CHECKING:
    from agent.service import Assistant, TurnResult

app = typer.Typer(
    help="bankassist: Larkspur Bank's banking and credit assistant.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
log = logging.getLogger("bankassist")
app.add_typer(apikey_app, name="apikey")
app.command("api")(serve_api)
app.add_typer(users_app, name="users")
app.command("serve")(serve_vllm)
app.command("seed")(seed)
app.command("import-report")(import_report)
app.command("summarize")(summarize)
app.command("finetune")(finetune)
app.command("ui")(serve_ui)
app.command("decide")(decide)
app.add_typer(cases_app, name="cases")
app.add_typer(feedback_app, name="feedback")
app.add_typer(db_app, name="db")

CustomerOpt = Annotated[str | None, typer.Option("--customer", "-c", help="Customer id, e.g. C0001 (operator tool).")]
ThreadOpt = Annotated[str | None, typer.Option("--thread", "-t", help="Continue this conversation thread.")]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    customer: CustomerOpt = None,
    thread: ThreadOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Answer one question (one turn); a proposed account action asks y/n on the terminal (not with --json)."""
    from agent.service import precheck_turn

    precheck_turn(question, customer, thread)
    with stdout_to_stderr():
        result = run_detached(_ask_once(question, customer, thread, settle=not as_json))
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    print(result.answer)
    _print_details(result.sources, result.facts)
    print(f"(route: {result.route}, thread: {result.thread_id})", file=sys.stderr)


async def _ask_once(question: str, customer: str | None, thread: str | None, settle: bool) -> TurnResult:
    """One turn on the async assistant (every node runs under BANKASSIST_NODE_TIMEOUT_S), then any decision."""
    from agent.service import open_async_assistant

    async with open_async_assistant() as assistant:
        result = await assistant.aask(question, customer_id=customer, thread_id=thread, user=operator())
        decided = await settle_pending(assistant, result, customer, operator()) if settle else None
        return decided or result


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
                print(unstreamed_end(shown, event.result.answer))
                if event.result.output_check and shown != event.result.answer:  # a check replaced the draft
                    print(f"bank> (the answer above is withdrawn) {event.result.answer}")
                _print_details(event.result.sources, event.result.facts)
                if decided := await settle_pending(assistant, event.result, customer, operator(), shown=True):
                    print(f"bank> {decided.answer}")
    except BankassistError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)


def unstreamed_end(shown: str, answer: str) -> str:
    """What the answer adds after the streamed tokens (a node's closing note, such as the pointer to sign in)."""
    streamed = shown.rstrip()
    return answer[len(streamed) :] if streamed and answer.startswith(streamed) else ""


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
    """Run only the scope guard (no LLM): a JSON line {text, route, confidence, in_scope, intent} per input line."""
    from agent.service import classify_scope

    queries = [line for line in _read_lines(file) if line.strip()]
    for text, decision in zip(queries, classify_scope(queries), strict=True):
        row = {
            "text": text,
            "route": decision.route,
            "confidence": decision.confidence,
            "in_scope": decision.in_scope,
            "intent": decision.intent,
            "intent_probability": decision.intent_probability,
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)


@app.command()
def mask(
    text: Annotated[str | None, typer.Argument(help="Text to mask; default: stdin, line by line.")] = None,
) -> None:
    """Print the text with PII replaced by placeholders such as <CARD_1>."""
    from agent.service import check_utf8, mask_texts

    lines = [check_utf8(text, "The text")] if text is not None else _read_lines(None)
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
        f"unchanged {report.unchanged} documents; {report.chunks_embedded} chunks embedded, "
        f"{report.chunks_cached} read from the model cache"
    )


@app.command("train-guard")
def train_guard(
    out: Annotated[Path | None, typer.Option("--out", help="Weights file; default: the configured one.")] = None,
    encoder: Annotated[str | None, typer.Option("--encoder", help="Sentence-transformers model.")] = None,
    max_per_class: Annotated[int | None, typer.Option("--max-per-class", min=1, help="Quick run: cap classes.")] = None,
    epochs: Annotated[float, typer.Option("--epochs", min=0.1, max=20, help="Passes of encoder fine-tuning.")] = 2.0,
    held_out: Annotated[
        float, typer.Option("--banking77-held-out", min=0.0, max=0.5, help="Share of each BANKING77 intent left out.")
    ] = 0.1,
    intent_only: Annotated[
        bool, typer.Option("--intent-only", help="Keep the saved encoder and heads; fit only the intent head.")
    ] = False,
    account_only: Annotated[
        bool, typer.Option("--account-only", help="Keep the saved encoder and heads; fit only the account head.")
    ] = False,
) -> None:
    """Fine-tune the guard's encoder (LoRA) and its heads on our queries and BANKING77/CLINC150, then save."""
    from agent.service import get_settings
    from finetune.account_head import refit_account_head
    from finetune.intent_head import refit_intent_head
    from finetune.scope_encoder import EncoderTraining
    from finetune.scope_guard import train_and_save

    settings = get_settings()
    path = out or settings.scope_guard_path
    if intent_only:
        weights = refit_intent_head(settings, settings.scope_guard_path, path, max_per_class)
    elif account_only:
        weights = refit_account_head(settings, settings.scope_guard_path, path)
    else:
        weights = train_and_save(settings, path, encoder, max_per_class, EncoderTraining(epochs=epochs), held_out)
    print(f"Saved {path}: {len(weights.class_names)} classes, thresholds {weights.thresholds}, {weights.info}")


# Registered after train-guard: `bankassist --help` lists the commands in the order they were added.
app.command("train-selector")(train_selector)
app.command("eval")(evaluate)
app.command("train-retriever")(train_retriever_command)


def _read_lines(file: Path | None) -> list[str]:
    """Lines of a file or of stdin, without their newlines."""
    if file is None:
        from agent.service import check_utf8

        return [check_utf8(line, f"Line {n} of stdin").rstrip("\n") for n, line in enumerate(sys.stdin, start=1)]
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


# Long-running servers answer concurrent requests; their malloc arenas were not measured, so they keep glibc's.
SERVER_COMMANDS = frozenset({"api", "ui", "serve"})


def _set_runtime_defaults() -> None:
    """Offline by default (nothing downloads from a hub), quiet libraries, and one malloc arena for a command."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not SERVER_COMMANDS & set(sys.argv[1:2]):
        limit_malloc_arenas()
    lenient_stdin()


def lenient_stdin() -> None:
    """Read stdin's bytes that are not UTF-8 as argv's are (lone surrogates), so `check_utf8` names the line.

    Python does so by itself only in the C locale; under en_US.UTF-8 such a byte fails inside the decoder.
    """
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


def from_bytes_not_utf8(error: Exception) -> bool:
    """Whether the error is text from bytes that are not UTF-8 (Python keeps them as lone surrogates) being written."""
    return isinstance(error, UnicodeEncodeError) and error.reason == "surrogates not allowed"


def _configure_logging(level: str) -> None:
    """Logs go to stderr; stdout carries only results."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in ("bankassist", "agent", "tools", "retrieval", "ui"):
        logging.getLogger(name).setLevel(level.upper())
    for noisy in ("transformers", "sentence_transformers", "httpx", "presidio-analyzer"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def main() -> None:
    """Console entry point: known errors become one line on stderr and exit code 1."""
    _set_runtime_defaults()  # first: libraries read these variables when they are imported
    from agent.service import get_settings

    try:
        _configure_logging(get_settings().log_level)
        app()  # standalone: typer reports usage errors itself (exit 2) and exits 0 on success
    except BankassistError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(setting_error(exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # bytes that are not UTF-8, or a bug: one line for the user (a traceback at DEBUG)
        if from_bytes_not_utf8(exc):
            fail("An argument or a line of input is not valid UTF-8: check the terminal's or the file's encoding.")
        log.debug("Unexpected failure", exc_info=True)
        fail(f"unexpected {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")
