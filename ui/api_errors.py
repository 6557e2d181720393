"""The API's error shape and the status each typed error maps to."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools.errors import (
    AuthenticationError,
    BankassistError,
    CaseClosedError,
    ConfigurationError,
    InvalidInputError,
    ModelFilesError,
    ModelServerError,
    NotFoundError,
    NothingToConfirmError,
    PermissionDeniedError,
    StoreError,
    TurnTimeoutError,
    UnknownCustomerError,
)
from ui.api_models import ErrorResponse
from ui.rate_limit import RateLimited, retry_after

log = logging.getLogger(__name__)
STATUS_BY_ERROR: tuple[tuple[type[BankassistError], int, str], ...] = (
    (AuthenticationError, 401, "unauthorized"),
    (PermissionDeniedError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (UnknownCustomerError, 404, "not_found"),
    (InvalidInputError, 400, "invalid_input"),
    (NothingToConfirmError, 409, "nothing_to_confirm"),
    (CaseClosedError, 409, "already_closed"),
    (TurnTimeoutError, 504, "timeout"),
    (ModelServerError, 503, "model_unavailable"),
    (StoreError, 503, "store_unavailable"),
    (ModelFilesError, 500, "server_misconfigured"),
    (ConfigurationError, 500, "server_misconfigured"),
)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422, 429, 500, 503, 504)
}


def status_for(error: BankassistError) -> tuple[int, str]:
    """HTTP status and error code of a typed error."""
    for kind, http_status, code in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return http_status, code
    return 500, "internal_error"


# Server-side failures get a fixed message: upstream URLs and driver errors stay in the log.
SERVER_MESSAGES = {
    "model_unavailable": "The language model is unavailable right now; please try again shortly.",
    "timeout": "One step of this turn took too long, so the turn was stopped; please try again.",
    "store_unavailable": "A data store is unavailable right now; please try again shortly.",
    "server_misconfigured": "The server is misconfigured; the operators have the details in the log.",
    "internal_error": "Internal error; the server log has the details.",
}


def public_error(error: Exception) -> tuple[int, str, str]:
    """Status, code and the message a caller may see; 5xx details are logged, not returned."""
    http_status, code = status_for(error) if isinstance(error, BankassistError) else (500, "internal_error")
    if http_status < 500:
        return http_status, code, str(error)
    log.error("%s: %s", code, error, exc_info=not isinstance(error, BankassistError))
    return http_status, code, SERVER_MESSAGES[code]


def error_response(http_status: int, code: str, message: str) -> JSONResponse:
    """`{"error": {"code", "message"}}` with the status."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=http_status)


def install_error_handlers(app: FastAPI) -> None:
    """One JSON error shape for every failure; counted by code; never a stack trace."""

    def counted(request: Request, http_status: int, code: str, message: str) -> JSONResponse:
        request.app.state.api.metrics.errors.labels(code).inc()
        return error_response(http_status, code, message)

    @app.exception_handler(BankassistError)
    async def on_error(request: Request, exc: BankassistError) -> JSONResponse:
        http_status, code, message = public_error(exc)
        response = counted(request, http_status, code, message)
        if http_status == status.HTTP_401_UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RateLimited)
    async def on_rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        response = counted(request, 429, "rate_limited", str(exc))
        response.headers["Retry-After"] = retry_after(exc.wait)
        return response

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return counted(request, 422, "invalid_request", f"{where}: {first.get('msg')}"[:300])

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = counted(request, exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        return counted(request, *public_error(exc))
