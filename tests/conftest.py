"""Every test runs offline, with all bankassist paths pointed at a fresh temporary directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.settings import get_settings
from evals.loopback_postgres import start_postgres, why_postgres_cannot_run

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"


def share_cores_between_workers() -> None:
    """Under pytest-xdist, give each worker (and the CLIs and servers it starts) its share of the cores:
    two workers whose torch each spins a thread per core oversubscribe the CPU and both run slower."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))


share_cores_between_workers()


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """One converted-model cache per test run, shared by the xdist workers: each conversion runs once."""
    if worker_id == "master":  # not under xdist
        return tmp_path_factory.mktemp("models")
    shared = tmp_path_factory.getbasetemp().parent / "models"  # the run's directory, above the workers' own
    shared.mkdir(exist_ok=True)
    return shared


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


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on loopback, for the whole session (skipped where none can run)."""
    reason = why_postgres_cannot_run()
    if reason:
        pytest.skip(reason)
    server = start_postgres()
    try:
        yield server.url
    finally:
        server.stop()
