"""The simulated customers' results: pass rates per turn, persona and expectation kind; the failing turns."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.conversation_checks import KINDS, CheckOutcome
from evals.conversation_personas import Persona

FAILING_SHOWN = 25  # failing turns with their transcripts in the report; the rest are counted


@dataclass(frozen=True)
class TurnRecord:
    """One turn as it ran: the message, whose data it was about, what came back and how it was judged."""

    message: str
    customer_id: str
    route: str
    answer: str
    masked_input: str
    facts: tuple[str, ...]
    outcomes: tuple[CheckOutcome, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        """Every expectation of the turn held."""
        return all(outcome.passed for outcome in self.outcomes)

    def failures(self) -> str:
        """`route (got clarify); no_raw_pii (echoed:4111...)`: the expectations that did not hold."""
        return "; ".join(f"{o.kind} ({o.why})" for o in self.outcomes if not o.passed)


@dataclass
class ConversationResult:
    """One persona's conversation: its turns, in order; `writer` says who wrote the messages."""

    persona: Persona
    turns: list[TurnRecord] = field(default_factory=list)
    writer: str = "template"  # or the LLM's model name

    @property
    def passed(self) -> bool:
        """Every turn passed."""
        return all(turn.passed for turn in self.turns)

    def to_row(self) -> dict[str, Any]:
        """The transcript as one JSON object (for `--out`)."""
        turns = [{**asdict(turn), "passed": turn.passed} for turn in self.turns]
        return {"persona": self.persona.id, "kind": self.persona.kind, "goal": self.persona.goal,
                "writer": self.writer, "passed": self.passed, "turns": turns}  # fmt: skip


@dataclass
class ConversationSuite:
    """The scripted conversations (gated) and, with an LLM customer, its conversations (reported)."""

    results: list[ConversationResult]
    seed: int
    seconds: float = 0.0
    llm_results: list[ConversationResult] = field(default_factory=list)

    def metrics(self) -> dict[str, float | None]:
        """Turn and persona pass rates, the pass rate of each expectation kind, counts and time."""
        turns = [turn for result in self.results for turn in result.turns]
        metrics: dict[str, float | None] = {
            "conversation_pass_rate": _share([t.passed for t in turns]),
            "conversation_persona_pass_rate": _share([r.passed for r in self.results]),
        }
        for kind in KINDS:
            metrics[f"conversation_pass_rate_{kind}"] = _share(_kind_outcomes(turns, kind))
        metrics["conversation_turn_count"] = float(len(turns))
        metrics["conversation_persona_count"] = float(len(self.results))
        metrics["conversation_seconds"] = round(self.seconds, 1)
        metrics["conversation_seconds_per_turn_median"] = _median([t.seconds for t in turns])
        if self.llm_results:
            llm_turns = [turn for result in self.llm_results for turn in result.turns]
            metrics["conversation_llm_pass_rate"] = _share([t.passed for t in llm_turns])
            metrics["conversation_llm_turn_count"] = float(len(llm_turns))
        return metrics

    def markdown(self) -> str:
        """The headline, tables by expectation kind and by persona, then the failing turns with their transcripts."""
        turns = [turn for result in self.results for turn in result.turns]
        passed = sum(t.passed for t in turns)
        personas = sum(r.passed for r in self.results)
        lines = [
            "# Simulated customers",
            "",
            f"{len(self.results)} personas (seed {self.seed}), {len(turns)} turns, each persona one thread through "
            f"the real graph and its checkpointer, as the web UI runs a conversation; {self.seconds:.0f} s.",
            f"Turns passed: {passed}/{len(turns)} ({_rate(passed, len(turns))}); personas with every turn passed: "
            f"{personas}/{len(self.results)} ({_rate(personas, len(self.results))}).",
            "",
            *self._kind_table(turns),
            "",
            *self._persona_table(),
            "",
            *failing_turns(self.results, "Failing turns"),
        ]
        if self.llm_results:
            lines += ["", *llm_section(self.llm_results)]
        return "\n".join(lines) + "\n"

    def _kind_table(self, turns: list[TurnRecord]) -> list[str]:
        """Checks and passes of each expectation kind."""
        lines = ["## By expectation kind", "", "| expectation | checks | passed | pass rate |"]
        lines.append("| --- | --: | --: | --: |")
        for kind in KINDS:
            held = _kind_outcomes(turns, kind)
            lines.append(f"| {kind} | {len(held)} | {sum(held)} | {_rate(sum(held), len(held))} |")
        return lines

    def _persona_table(self) -> list[str]:
        """Each persona's turns passed, and which expectations failed."""
        lines = ["## By persona", "", "| persona | kind | role | customers | turns passed | pass rate | failed |"]
        lines.append("| --- | --- | --- | --- | --: | --: | --- |")
        for result in self.results:
            count, passed = len(result.turns), sum(t.passed for t in result.turns)
            customers = ", ".join(dict.fromkeys(t.customer_id for t in result.turns))
            failed = sorted({o.kind for t in result.turns for o in t.outcomes if not o.passed})
            persona = result.persona
            lines.append(
                f"| `{persona.id}` | {persona.kind} | {persona.role} | {customers} | {passed}/{count} "
                f"| {_rate(passed, count)} | {', '.join(failed) or '-'} |"
            )
        return lines


def failing_turns(results: list[ConversationResult], title: str) -> list[str]:
    """Each failing turn: why, then the conversation up to and including it."""
    failing = [(r, n) for r in results for n, turn in enumerate(r.turns) if not turn.passed]
    lines = [f"## {title} ({len(failing)})", ""]
    for result, number in failing[:FAILING_SHOWN]:
        turn = result.turns[number]
        lines += [f"### `{result.persona.id}`, turn {number + 1} of {len(result.turns)}", ""]
        lines += [f"Failed: {_flat(turn.failures())}.", "", f"Goal: {result.persona.goal}", ""]
        lines += ["```", *transcript(result.turns[: number + 1]), "```", ""]
    if len(failing) > FAILING_SHOWN:
        lines.append(f"({len(failing) - FAILING_SHOWN} more failing turns are in conversations.jsonl with --out.)")
    return lines


def llm_section(results: list[ConversationResult]) -> list[str]:
    """The LLM customer's conversations: each transcript whole, then its failing turns."""
    writer = results[0].writer
    turns = [turn for result in results for turn in result.turns]
    passed = sum(t.passed for t in turns)
    lines = ["## LLM customers", "", f"{writer} wrote every message after the first, from the persona's goal and"]
    lines += [f"the conversation so far. Turns passed: {passed}/{len(turns)} ({_rate(passed, len(turns))}), on the"]
    lines += ["checks that hold for any message (right customer's facts, no raw PII, no prompt text).", ""]
    for result in results:
        lines += [f"### `{result.persona.id}`: {result.persona.goal}", "", "```", *transcript(result.turns), "```", ""]
    return lines + failing_turns(results, "LLM customers' failing turns")


def transcript(turns: list[TurnRecord]) -> list[str]:
    """`customer (C0001): ...` / `assistant [banking]: ...` lines, one pair a turn."""
    lines = []
    for turn in turns:
        lines.append(f"customer ({turn.customer_id}): {_flat(turn.message)}")
        lines.append(f"assistant [{turn.route}]: {_flat(turn.answer)}")
    return lines


def _kind_outcomes(turns: list[TurnRecord], kind: str) -> list[bool]:
    """Whether each check of `kind` held, over the turns."""
    return [o.passed for t in turns for o in t.outcomes if o.kind == kind]


def _share(flags: list[bool]) -> float | None:
    """The share of true flags, rounded; None for none."""
    return round(sum(flags) / len(flags), 4) if flags else None


def _rate(count: int, total: int) -> str:
    """`0.950`, or n/a for nothing counted."""
    return f"{count / total:.3f}" if total else "n/a"


def _median(values: list[float]) -> float | None:
    """The median, rounded; None for none."""
    return round(statistics.median(values), 2) if values else None


def _flat(text: str) -> str:
    """One line, and never a code fence's backticks (they would end the transcript's block)."""
    return " ".join(text.split()).replace("```", "'''")
