"""What a turn produces: its result, and the events a streamed turn yields."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig


@dataclass(frozen=True)
class TurnResult:
    """What one turn produced; `to_dict()` is the `ask --json` contract."""

    thread_id: str
    route: str
    scope_confidence: float
    answer: str
    masked_input: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    facts_dropped: int = 0
    facts_source: str = ""
    output_check: list[str] = field(default_factory=list)  # checks that changed the answer (agent/output_checks.py)
    timings_ms: dict[str, float] = field(default_factory=dict)
    scope_reason: str | None = None  # why the guard's screen refused: "language", "frame" or "task"
    intent: str | None = None  # the guard's most probable class: a BANKING77/CLINC150 intent or one of ours
    intent_probability: float | None = None
    # An account action proposed this turn and waiting for confirm or cancel: {id, kind, summary}.
    pending_action: dict[str, str] | None = None
    action_outcome: dict[str, str] | None = None  # what a decision did: {id, kind, status}
    notices: list[str] = field(default_factory=list)  # the setup's notices, on the assistant's first turn only

    def to_dict(self) -> dict[str, Any]:
        """Sources as {id, title, score}: snippets are for the UI, not the JSON contract."""
        data = asdict(self)
        data["sources"] = [{k: s[k] for k in ("id", "title", "score")} for s in self.sources]
        return data


@dataclass(frozen=True)
class Token:
    """A piece of the final answer, as it is generated."""

    text: str


@dataclass(frozen=True)
class Step:
    """A node finished; `update` is what it changed (route, sources, facts...)."""

    node: str
    update: dict[str, Any]


@dataclass(frozen=True)
class Done:
    """The turn is complete."""

    result: TurnResult


def to_result(config: RunnableConfig, values: dict[str, Any]) -> TurnResult:
    """Read a turn's result out of the final state."""
    return TurnResult(
        thread_id=config["configurable"]["thread_id"],
        route=values["route"],
        scope_confidence=values["scope_confidence"],
        answer=values["messages"][-1].text,
        masked_input=values["masked_input"],
        sources=list(values.get("sources", [])),
        facts=list(values.get("facts", [])),
        facts_dropped=int(values.get("facts_dropped", 0)),
        facts_source=str(values.get("facts_source", "")),
        output_check=list(values.get("output_check", [])),
        timings_ms=dict(values.get("timings_ms", {})),
        scope_reason=values.get("scope_reason"),
        intent=values.get("intent"),
        intent_probability=values.get("intent_probability"),
        pending_action=dict(values["pending_action"]) if values.get("pending_action") else None,
        action_outcome=values.get("action_outcome"),
    )
