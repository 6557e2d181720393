"""`bankassist eval --suite conversations`: simulated customers, each a whole conversation through the real graph.

Each persona of `evals/data/personas.jsonl` (evals/conversation_personas.py) becomes a conversation filled from
seeded templates (evals/conversation_generate.py), sent turn by turn on one thread as the web UI sends it
(`Assistant.astream` on the async checkpointer; the customer from the session: the signed-in customer's own id,
or the analyst's current pick), and checked turn by turn (evals/conversation_checks.py).
The app is the configured one (models, vector store, corpus) with scratch customers, checkpoints, audit log and
chat history: the demo customers, freshly seeded, so every persona's reports are known.
With `--judge-url`, an LLM also plays each persona (evals/conversation_customer.py): the first message is the
persona's, the LLM writes the rest. Those turns are checked for what must hold whatever is asked, reported apart
from the gated figures, and kept in `--out/llm_transcripts.jsonl`.

    bankassist eval --suite conversations --out reports/conversations     # every persona: about 14 min on 2 cores
    bankassist eval --suite conversations --limit 3                       # the first three: no credit turn, ~1 min
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.events import Done, TurnResult
from evals.conversation_checks import TurnChecker
from evals.conversation_customer import check_requests, next_message
from evals.conversation_generate import SEED, Conversation, ScriptedTurn, generate
from evals.conversation_personas import PERSONAS_PATH, Persona, load_personas
from evals.conversation_result import ConversationResult, ConversationSuite, TurnRecord
from evals.rag_judge import JudgeConfig, JudgeRun, judge_client, verify_judge
from evals.redteam_judge import corpus_text

if TYPE_CHECKING:
    from agent.service import Assistant
    from agent.settings import Settings

TRANSCRIPTS = "conversations.jsonl"  # in --out: every scripted conversation, one a line
LLM_TRANSCRIPTS = "llm_transcripts.jsonl"  # in --out: the LLM customer's conversations


def run_conversation_suite(
    settings: Settings,
    path: Path = PERSONAS_PATH,
    limit: int | None = None,
    judge: JudgeConfig | None = None,
    out: Path | None = None,
) -> ConversationSuite:
    """Check the persona file, then run the first `limit` personas (all by default) through a scratch app."""
    from agent.service import list_customers

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bankassist-conversations-") as tmp:
        scratch = scratch_settings(settings, Path(tmp))
        # The scratch store seeds the demo customers here, before any model loads: a bad file fails at once.
        customers = {customer.id: customer.name for customer in list_customers(scratch)}
        conversations = generate(load_personas(path, customers)[:limit], customers, SEED)
        if judge is not None:
            verify_judge(judge)
        suite = asyncio.run(run_all(scratch, conversations, judge))
    suite.seconds = time.perf_counter() - started
    if out is not None:
        write_transcripts(out, suite)
    return suite


def scratch_settings(settings: Settings, tmp: Path) -> Settings:
    """The configured models, vector store and corpus; customers, threads, audit lines and chat history in `tmp`."""
    update = {
        "database_url": f"sqlite:///{tmp / 'bankassist.db'}",
        "checkpoint_url": f"sqlite:///{tmp / 'checkpoints.db'}",
        "audit_log_path": tmp / "audit.jsonl",
        "chat_db_url": f"sqlite+aiosqlite:///{tmp / 'chat.db'}",
    }
    return settings.model_copy(update=update)


async def run_all(
    settings: Settings, conversations: list[Conversation], judge: JudgeConfig | None
) -> ConversationSuite:
    """Every conversation in turn on one assistant (the local model runs one generation at a time), then the LLM's."""
    from agent.service import open_async_assistant

    async with open_async_assistant(settings) as assistant:
        checker = TurnChecker(assistant.services.reports, corpus_text(settings.corpus_dir))
        results = []
        for number, conversation in enumerate(conversations, start=1):
            results.append(await run_conversation(assistant, checker, conversation))
            _progress(number, len(conversations), results[-1])
        llm = await run_llm_customers(assistant, checker, conversations, judge) if judge else []
    return ConversationSuite(results, SEED, llm_results=llm)


async def run_conversation(
    assistant: Assistant, checker: TurnChecker, conversation: Conversation
) -> ConversationResult:
    """The persona's scripted turns on one new thread, each checked as it comes."""
    persona, thread_id = conversation.persona, uuid.uuid4().hex
    result = ConversationResult(persona)
    earlier_pii: tuple[str, ...] = ()
    for turn in conversation.turns:
        result.turns.append(await run_turn(assistant, checker, turn, thread_id, earlier_pii, persona))
        earlier_pii += turn.pii
    return result


async def run_llm_customers(
    assistant: Assistant, checker: TurnChecker, conversations: list[Conversation], config: JudgeConfig
) -> list[ConversationResult]:
    """Each persona again, the LLM writing every message after the first."""
    run = JudgeRun(config)
    client = judge_client(config, run)
    results = []
    try:
        for number, conversation in enumerate(conversations, start=1):
            results.append(await llm_conversation(assistant, checker, conversation, client, config))
            _progress(number, len(conversations), results[-1])
    finally:
        await client.close()
    check_requests(run)
    return results


async def llm_conversation(
    assistant: Assistant, checker: TurnChecker, conversation: Conversation, client: Any, config: JudgeConfig
) -> ConversationResult:
    """As many turns as the persona's, on a new thread; an analyst's picks change at the same turns."""
    persona, thread_id = conversation.persona, uuid.uuid4().hex
    result = ConversationResult(persona, writer=config.model)
    first = conversation.turns[0]
    for number, scripted in enumerate(conversation.turns):
        exchanges = [(turn.message, turn.answer) for turn in result.turns]
        message = first.message if number == 0 else await next_message(client, config, persona.goal, exchanges)
        # No persona expectations: only the checks that hold whatever the customer writes.
        turn = ScriptedTurn(message, scripted.customer_id, first.pii if number == 0 else ())
        earlier_pii = first.pii if number else ()
        result.turns.append(await run_turn(assistant, checker, turn, thread_id, earlier_pii, persona))
    return result


async def run_turn(
    assistant: Assistant,
    checker: TurnChecker,
    turn: ScriptedTurn,
    thread_id: str,
    earlier_pii: tuple[str, ...],
    persona: Persona,
) -> TurnRecord:
    """Send one message, as the web UI does for the persona's role, and check what came back."""
    started = time.perf_counter()
    result = await streamed_turn(assistant, turn.message, turn.customer_id, thread_id, persona.role)
    seconds = round(time.perf_counter() - started, 2)
    outcomes = tuple(checker.check(turn, result, earlier_pii, persona.target))
    shown = (result.route, result.answer, result.masked_input, tuple(result.facts))
    return TurnRecord(turn.message, turn.customer_id, *shown, outcomes, seconds)


async def streamed_turn(
    assistant: Assistant, text: str, customer_id: str, thread_id: str, role: str = "customer"
) -> TurnResult:
    """One turn streamed on the event loop, as the web UI's `answer` runs it; its result is the last event."""
    result = None
    events = assistant.astream(text, customer_id=customer_id, thread_id=thread_id, user="eval-persona", role=role)
    async for event in events:
        if isinstance(event, Done):
            result = event.result
    assert result is not None  # the stream always ends with Done
    return result


def write_transcripts(out: Path, suite: ConversationSuite) -> None:
    """Every conversation as JSON lines: the scripted ones, and the LLM customer's when it ran."""
    out.mkdir(parents=True, exist_ok=True)
    for name, results in ((TRANSCRIPTS, suite.results), (LLM_TRANSCRIPTS, suite.llm_results)):
        if results:
            lines = [json.dumps(result.to_row(), ensure_ascii=False) for result in results]
            (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _progress(number: int, total: int, result: ConversationResult) -> None:
    """One line a conversation (the suites send stdout to stderr while they run)."""
    passed = sum(turn.passed for turn in result.turns)
    seconds = sum(turn.seconds for turn in result.turns)
    writer = "" if result.writer == "template" else f" ({result.writer})"
    print(f"conversations: [{number}/{total}] {result.persona.id}{writer}: {passed}/{len(result.turns)} turns passed, "
          f"{seconds:.1f} s", flush=True)  # fmt: skip
