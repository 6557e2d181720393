"""The CLI's side of account actions: a y/n question after a proposal, and `bankassist decide` for later."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ui.async_run import run_detached
from ui.cli_common import operator, stdout_to_stderr

if TYPE_CHECKING:
    from agent.service import Assistant, TurnResult

DecisionArg = Annotated[str, typer.Argument(help="confirm or cancel.")]


async def settle_pending(
    assistant: Assistant, result: TurnResult, customer: str | None, user: str, shown: bool = False
) -> TurnResult | None:
    """Ask y/n on the terminal for a proposed action and run the decision; None when there is nothing to ask.

    `shown`: the proposal is on screen already (chat streams it); else the question repeats it.

    When input ends before an answer (a script's closed stdin), the action stays waiting for `bankassist decide`.
    """
    if result.pending_action is None:
        return None
    question = "Confirm? [y/N] " if shown else f"{result.answer}\nConfirm? [y/N] "
    reply = await asyncio.to_thread(read_reply, question)
    if reply is None:
        print(f"(waiting: `bankassist decide --thread {result.thread_id} confirm|cancel`)", file=sys.stderr)
        return None
    decision = "confirm" if reply.strip().lower() in ("y", "yes") else "cancel"
    return await assistant.adecide(result.thread_id, decision, customer, user)


def read_reply(prompt: str) -> str | None:
    """One line typed (or piped) after the prompt, which goes to stderr; None at end of input."""
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline()
    return line if line else None


def decide(
    decision: DecisionArg,
    thread: Annotated[str, typer.Option("--thread", "-t", help="The thread whose action waits.")],
    customer: Annotated[str, typer.Option("--customer", "-c", help="The customer who confirms (operator tool).")],
    action: Annotated[str | None, typer.Option("--action", help="The pending action's id, to be sure.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Confirm or cancel the account action a thread waits on (it runs at most once)."""
    from agent.service import precheck_session

    precheck_session(customer, thread)
    with stdout_to_stderr():
        result = run_detached(_decide_once(thread, decision, customer, action))
    print(json.dumps(result.to_dict(), ensure_ascii=False) if as_json else result.answer)


async def _decide_once(thread: str, decision: str, customer: str, action: str | None) -> TurnResult:
    """One decision on the async assistant."""
    from agent.service import open_async_assistant

    async with open_async_assistant() as assistant:
        return await assistant.adecide(thread, decision, customer, operator(), "customer", action)


cases_app = typer.Typer(help="Disputes and handoffs to a person: list them, close them.")


@cases_app.callback(invoke_without_command=True)
def cases(
    context: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Closed cases too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (with the masked transcripts).")] = False,
) -> None:
    """Without a command: list disputes and handoffs, newest first (open ones unless --all)."""
    if context.invoked_subcommand is not None:
        return
    from agent.service import list_cases

    found = list_cases(open_only=not show_all)
    if as_json:
        print(json.dumps([vars(case) for case in found], ensure_ascii=False))
        return
    for case in found:
        who = case.customer_id or "-"
        print(f"{case.id}  {case.kind:<8} {case.status:<6} {who:<6} {case.opened_at}  {case.subject}")


@cases_app.command("close")
def close(
    case_id: Annotated[str, typer.Argument(help="The case number, e.g. H-1A2B3C4D.")],
    resolution: Annotated[str, typer.Option("--resolution", "-r", help="What was done, for the record.")],
) -> None:
    """Close an open case, recording how it was resolved and by whom (the OS account)."""
    from agent.service import close_case

    closed = close_case(case_id, operator(), resolution)
    print(f"closed {closed.id} ({closed.kind}, {closed.customer_id or '-'}): {closed.resolution}")
