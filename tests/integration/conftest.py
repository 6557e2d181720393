"""Integration tests: the real SmolLM2 model, real embeddings, real SQLite, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from agent.dependencies import build_embedder, load_unanswered_questions
from agent.runtime.engine_cache import converted_model as engine_model
from agent.runtime.model_files import resolve_model_dir
from agent.service import open_assistant, open_guard
from agent.settings import DEFAULT_BASE_MODEL, Settings

BANKASSIST = [sys.executable, "-m", "ui"]
pytestmark = pytest.mark.slow


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self):
        lines = self.stdout.splitlines()
        assert len(lines) == 1, f"expected exactly one line on stdout, got {self.stdout!r}"
        return json.loads(lines[0])


@pytest.fixture(scope="session")
def converted_model(model_cache_dir: Path) -> Path:
    """Convert the packaged GGUF (and it, and it with each shipped adapter, for CTranslate2), distil the
    shipped guard's token table and embed the selector's question sets (about a minute), once for the whole run.

    The other xdist worker waits on the lock and then finds both cached, instead of repeating them.
    """
    with FileLock(str(model_cache_dir / ".filling.lock")):
        model_dir = Path(resolve_model_dir(DEFAULT_BASE_MODEL, model_cache_dir))
        open_guard(Settings(model_cache_dir=model_cache_dir))
        settings = Settings(model_cache_dir=model_cache_dir)
        for adapter in (None, settings.extractor_adapter, settings.advisor_adapter):  # the default engine's models
            engine_model(model_dir, adapter, settings.local_precision, model_cache_dir)
        # Else the first test to answer a banking question pays for it, inside its own timeout.
        load_unanswered_questions(settings, build_embedder(settings), None)
    return model_dir


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, converted_model, model_cache_dir):
    """The assistant as shipped (real guard, retriever, selector and models), with a data folder of its own."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("assistant"), model_cache_dir=model_cache_dir)
    with open_assistant(settings) as opened:
        yield opened


@pytest.fixture
def cli(converted_model):
    """Run `bankassist` in a subprocess with the test's settings in its environment."""

    def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: int = 240) -> Run:
        done = subprocess.run(
            [*BANKASSIST, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run
