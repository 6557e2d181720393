"""Per-run context: the raw message, which customer it is about, and the run's dependencies. Never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


@dataclass(frozen=True)
class Context:
    """Passed at invocation; the customer comes from the session or the operator, never from the message."""

    services: Services
    # The raw message lives only here: state (and so every checkpoint) holds the PII-masked text.
    user_text: str
    customer_id: str | None = None
    user: str | None = None  # who asked (the front end's login), for the audit log only
