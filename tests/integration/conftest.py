"""Integration tests: the real SmolLM2 model, real embeddings, real SQLite, real processes."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from agent.runtime.engine_cache import converted_model as engine_model
from agent.runtime.model_files import resolve_model_dir
from agent.service import open_guard
from agent.settings import DEFAULT_BASE_MODEL, Settings
from evals.loopback_server import free_port

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
    """Convert the packaged GGUF (and it, and it with the shipped adapter, for CTranslate2) and distil the
    shipped guard's token table, once for the whole run.

    The other xdist worker waits on the lock and then finds both cached, instead of repeating them.
    """
    with FileLock(str(model_cache_dir / ".filling.lock")):
        model_dir = Path(resolve_model_dir(DEFAULT_BASE_MODEL, model_cache_dir))
        open_guard(Settings(model_cache_dir=model_cache_dir))
        settings = Settings(model_cache_dir=model_cache_dir)
        for adapter in (None, settings.extractor_adapter):  # the default engine's two models
            engine_model(model_dir, adapter, settings.local_precision, model_cache_dir)
    return model_dir


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


PG_BIN = Path("/usr/lib/postgresql/15/bin")
INITDB = shutil.which("initdb") or str(PG_BIN / "initdb")
PG_CTL = shutil.which("pg_ctl") or str(PG_BIN / "pg_ctl")


def has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on loopback, for the whole session (skipped where none can run)."""
    if not Path(INITDB).exists():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and not has_user("postgres"):
        pytest.skip("running as root without a postgres user")
    root = Path(tempfile.mkdtemp(prefix="bankassist-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        as_postgres_user([INITDB, "-D", str(data), "-U", "postgres", "--auth=trust"]), check=True, capture_output=True
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(
        as_postgres_user([PG_CTL, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres_user([PG_CTL, "-D", str(data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
