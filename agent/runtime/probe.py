"""Is the model backend reachable? The readiness probe's model check."""

from __future__ import annotations

import httpx

from agent.settings import Settings


def backend_reachable(settings: Settings) -> bool:
    """The local backend is in process; an OpenAI-compatible server must answer GET /models within 2 s."""
    if settings.backend == "local":
        return True
    try:
        return _get_models(settings).is_success
    except httpx.HTTPError:
        return False


def served_models(settings: Settings) -> set[str] | None:
    """The model names an OpenAI-compatible server serves; None when it does not say (down, or no list)."""
    try:
        response = _get_models(settings)
        response.raise_for_status()
        return {str(model["id"]) for model in response.json()["data"]}
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def _get_models(settings: Settings) -> httpx.Response:
    """GET <base_url>/models, with the API key when one is set, within 2 s."""
    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    return httpx.get(f"{str(settings.openai_base_url).rstrip('/')}/models", headers=headers, timeout=2.0)
