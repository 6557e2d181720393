"""The assistant's routes: where the scope guard sends a message, and the order of its classes."""

from __future__ import annotations

from typing import Literal

Route = Literal["banking", "credit", "smalltalk", "out_of_scope", "account", "handoff"]
# The order is the scope heads' class order: the first three are in scope (agent/scope/guard.py). The
# "account" and "handoff" routes are not head classes: parsers of the wording decide them after the heads.
ROUTES: tuple[Route, ...] = ("banking", "credit", "smalltalk", "out_of_scope")
