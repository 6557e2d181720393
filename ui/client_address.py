"""The address of the HTTP client whose request is being served, for code Chainlit calls without the request.

Chainlit's password callback gets only the name and password; the login throttle also counts wrong
passwords per client address. This ASGI middleware puts each request's address in a context variable,
which the callback, awaited in the same task, reads. Behind a proxy, start uvicorn with its proxy
headers on (`--forwarded-allow-ips`) so the address is the client's, not the proxy's.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("client_address", default=None)


class RememberClientAddress:
    """Pure ASGI middleware: HTTP requests run with CLIENT_ADDRESS set to their client's host."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Serve the request with the address set; other scopes (websockets, lifespan) pass through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = CLIENT_ADDRESS.set(str(client[0]) if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(token)


def client_address() -> str:
    """The current request's client host, or "unknown" outside a request."""
    return CLIENT_ADDRESS.get() or "unknown"
