"""Start `bankassist api` as a real uvicorn process on loopback, and create API keys with the real CLI."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from evals.loopback_server import free_port, stop
from tests.integration.conftest import BANKASSIST


@dataclass
class ApiServer:
    """A running server: its base URL, environment (for CLI calls on the same DB) and process."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def key(self, user: str) -> str:
        """A fresh API key for `user`, from `bankassist apikey create`."""
        done = subprocess.run(
            [*BANKASSIST, "apikey", "create", "--user", user], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run another bankassist command against the server's DB."""
        return subprocess.run([*BANKASSIST, *args], env=self.env, capture_output=True, text=True, input=stdin)

    def stop(self) -> None:
        """Terminate the server (killed if it does not stop)."""
        stop(self.process)


def start_api(data_dir: Path, model_cache_dir: Path, **settings: str) -> ApiServer:
    """Start the server with BANKASSIST_* settings; wait until /healthz answers (or fail with its log)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANKASSIST_")}
    env |= {"BANKASSIST_DATA_DIR": str(data_dir), "BANKASSIST_MODEL_CACHE_DIR": str(model_cache_dir)}
    env |= {f"BANKASSIST_{name.upper()}": value for name, value in settings.items()}
    log = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen([*BANKASSIST, "api", "--port", str(port)], env=env, stdout=sink, stderr=sink)
    server = ApiServer(f"http://127.0.0.1:{port}", env, process, log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"the API server did not start in 180 s: {log.read_text()[-2000:]}")
