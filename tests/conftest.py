"""Every test runs offline, with all bankassist paths pointed at a fresh temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.settings import get_settings

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One converted-model cache per test session: the GGUF conversion runs once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, model_cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Point data, DBs and the model cache at temporary paths; no .env file is read."""
    for name in list(os.environ):
        if name.startswith("BANKASSIST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BANKASSIST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BANKASSIST_MODEL_CACHE_DIR", str(model_cache_dir))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
