"""Start and stop a real OpenAI-compatible server (`transformers serve`) on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

START_TIMEOUT_S = 120


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(
    url: str,
    process: subprocess.Popen,
    timeout_s: float = START_TIMEOUT_S,
    path: str = "/health",
    name: str = "transformers serve",
) -> None:
    """Poll `path` until it answers 200; fail fast if the server process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{name} did not become healthy in {timeout_s:g} s")


def log_tail(log: IO[str], chars: int = 1500) -> str:
    """The end of the server's log, or a note where the file cannot be read back (opened write-only)."""
    try:
        log.flush()
        log.seek(0)
        return log.read()[-chars:]
    except (OSError, ValueError) as exc:
        return f"(unreadable: {exc})"


@contextmanager
def transformers_serve(log: IO[str], *extra_args: str, port: int | None = None) -> Iterator[str]:
    """Run `transformers serve` on loopback (a free port unless given); yields its base URL, stops it on exit."""
    port = port or free_port()
    command = [str(Path(sys.executable).parent / "transformers"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([*command, *extra_args], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(url, process)
        except (RuntimeError, TimeoutError) as exc:
            raise type(exc)(f"{exc}; its log ends with: {log_tail(log)}") from None
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM, then SIGKILL after `grace_s`: a server still working through queued requests may not stop."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
