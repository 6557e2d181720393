"""Integration tests: the real SmolLM2 model, real embeddings, real SQLite, real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.model_files import resolve_model_dir
from agent.settings import DEFAULT_BASE_MODEL

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
    """Convert the packaged GGUF once for the session (the first run's one-time cost)."""
    return Path(resolve_model_dir(DEFAULT_BASE_MODEL, model_cache_dir))


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
