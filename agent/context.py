"""Per-run context: the raw message, which customer it is about, and the run's dependencies. Never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.dependencies import Services


@dataclass(frozen=True)
class Context:
    """Passed at invocation; the customer comes from the session or the operator, never from the message."""

    services: Services
    # The raw message lives only here: state (and so every checkpoint) holds the PII-masked text.
    user_text: str
    customer_id: str | None = None
    user: str | None = None  # who asked (the front end's login), for the audit log only
    # The asker's role from the session: "customer" may act on their own accounts, "analyst" may only read.
    role: str = "customer"
    # Filled by mask_pii from its one presidio pass: this message's placeholders -> the values as typed, for
    # the asker's own view (tools/own_values.py). Only the front end reads it; it is never checkpointed.
    own_values: dict[str, str] = field(default_factory=dict)
