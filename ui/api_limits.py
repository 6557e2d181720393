"""What the API enforces around every call: request size, and the counters it exports (rates: ui/rate_limit.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
TOO_LARGE = b'{"error":{"code":"payload_too_large","message":"The request body is larger than %d bytes."}}'


class BodySizeLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        """Wrap `app`."""
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse early when Content-Length says too much; count the bytes of a streamed body otherwise."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(send)
        seen, too_large = 0, False

        async def counted() -> Message:
            # Past the limit the app is told the client left; whatever it answers is replaced by the 413.
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                too_large = True
                return {"type": "http.disconnect"}
            return message

        async def replaced(message: Message) -> None:
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start":
                await self._refuse(send)

        await self.app(scope, counted, replaced)

    async def _refuse(self, send: Send) -> None:
        """Send the 413 error body."""
        body = TOO_LARGE % self.max_bytes
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Metrics:
    """Prometheus metrics of one app instance, in their own registry."""

    def __init__(self) -> None:
        """Register the turn histogram and the error, refusal and rate-limit counters."""
        self.registry = CollectorRegistry()
        self.turn_seconds = Histogram(
            "bankassist_turn_seconds", "Chat turn latency by route.", ["route"], registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )  # fmt: skip
        self.errors = Counter("bankassist_errors", "Error responses by code.", ["code"], registry=self.registry)
        self.refusals = Counter("bankassist_refusals", "Out-of-scope turns refused.", registry=self.registry)
        self.rate_limited = Counter("bankassist_rate_limited", "Calls refused with 429.", registry=self.registry)
