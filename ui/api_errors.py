"""The API's error shape, the status each typed error maps to, and the model-backend probe."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from agent.settings import Settings
from tools.errors import (
    AuthenticationError,
    BankassistError,
    ConfigurationError,
    InvalidInputError,
    ModelFilesError,
    ModelServerError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    UnknownCustomerError,
)
from ui.api_models import ErrorResponse

STATUS_BY_ERROR: tuple[tuple[type[BankassistError], int, str], ...] = (
    (AuthenticationError, 401, "unauthorized"),
    (PermissionDeniedError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (UnknownCustomerError, 404, "not_found"),
    (InvalidInputError, 400, "invalid_input"),
    (ModelServerError, 503, "model_unavailable"),
    (StoreError, 503, "store_unavailable"),
    (ModelFilesError, 500, "server_misconfigured"),
    (ConfigurationError, 500, "server_misconfigured"),
)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 422, 429, 500, 503)
}


def status_for(error: BankassistError) -> tuple[int, str]:
    """HTTP status and error code of a typed error."""
    for kind, http_status, code in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return http_status, code
    return 500, "internal_error"


def error_response(http_status: int, code: str, message: str) -> JSONResponse:
    """`{"error": {"code", "message"}}` with the status."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=http_status)


def backend_reachable(settings: Settings) -> bool:
    """The local backend is in process; an OpenAI-compatible server must answer GET /models within 2 s."""
    if settings.backend == "local":
        return True
    import httpx

    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    url = f"{str(settings.openai_base_url).rstrip('/')}/models"
    try:
        return httpx.get(url, headers=headers, timeout=2.0).is_success
    except httpx.HTTPError:
        return False
