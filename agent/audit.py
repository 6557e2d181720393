"""The audit log: one JSON line per turn (and per sign-in), for reviewers, holding only what is safe to keep.

A line says who asked (the front end's user and the customer), which thread, the route, the source ids,
the models, the latency, the checks that changed the answer, and the *masked* input. The raw message and
the answer are never written: the masked input is the only text, so the log holds no raw PII.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.events import TurnResult
from agent.settings import Settings


class AuditLog:
    """Appends JSON lines to a file; one lock per log, so threads of one process never interleave lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        """Append one line (the directory is made on first use)."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)


def turn_entry(
    settings: Settings, thread_id: str, user: str | None, customer_id: str | None, started: float, result: TurnResult
) -> dict[str, Any]:
    """The line of a completed turn."""
    return {
        **_common(settings, thread_id, user, customer_id, started),
        "outcome": "answered",
        "route": result.route,
        "scope_confidence": round(result.scope_confidence, 4),
        "scope_reason": result.scope_reason,
        "intent": result.intent,
        "source_ids": [source["id"] for source in result.sources],
        "facts_source": result.facts_source or None,
        "output_check": list(result.output_check),
        "pending_action": result.pending_action["id"] if result.pending_action else None,
        "action": result.action_outcome,
        "masked_input": result.masked_input,
    }


def failed_entry(
    settings: Settings, thread_id: str, user: str | None, customer_id: str | None, started: float, error: BaseException
) -> dict[str, Any]:
    """The line of a turn that ended in an error: its kind only (a message could quote the input)."""
    return {
        **_common(settings, thread_id, user, customer_id, started),
        "outcome": "error",
        "error": type(error).__name__,
    }


def sign_in_entry(user: str, outcome: str, client: str, front_end: str) -> dict[str, Any]:
    """The line of a sign-in attempt: the name as typed and the client's address (bounded), never the password."""
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": "sign_in",
        "user": user[:100],
        "outcome": outcome,
        "client": client[:100],
        "front_end": front_end,
    }


def _common(
    settings: Settings, thread_id: str, user: str | None, customer_id: str | None, started: float
) -> dict[str, Any]:
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "thread_id": thread_id,
        "user": user,
        "customer_id": customer_id,
        "models": model_ids(settings),
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def model_ids(settings: Settings) -> dict[str, str | None]:
    """Which models answered: served names on a model server, the local model and adapters otherwise."""
    if settings.backend == "openai":
        return {
            "synthesizer": settings.synthesizer_model_name,
            "extractor": settings.extractor_model_name,
            "advisor": settings.advisor_model_name,
            "answerer": settings.answerer_model_name,
        }
    engine: str = settings.local_engine
    if engine == "ctranslate2":
        engine += f"-{settings.local_precision}"
    extractor, advisor, answerer = settings.extractor_adapter, settings.advisor_adapter, settings.answerer_adapter
    return {
        "synthesizer": settings.base_model,
        "extractor_adapter": str(extractor) if extractor else None,
        "advisor_adapter": str(advisor) if advisor else None,
        "answerer_adapter": str(answerer) if answerer else None,
        "engine": engine,
    }
