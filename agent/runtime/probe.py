"""Is the model backend reachable? The readiness probe's model check."""

from __future__ import annotations

import httpx

from agent.settings import Settings


def backend_reachable(settings: Settings) -> bool:
    """The local backend is in process; an OpenAI-compatible server must answer GET /models within 2 s."""
    if settings.backend == "local":
        return True
    key = settings.openai_api_key
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    url = f"{str(settings.openai_base_url).rstrip('/')}/models"
    try:
        return httpx.get(url, headers=headers, timeout=2.0).is_success
    except httpx.HTTPError:
        return False
