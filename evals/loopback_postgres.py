"""A throwaway PostgreSQL server on loopback (Debian's binaries), for tests and drills."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from evals.loopback_server import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def pg_tool(name: str) -> str:
    """initdb or pg_ctl: from PATH, else Debian's versioned folder."""
    return shutil.which(name) or str(PG_BIN / name)


def why_postgres_cannot_run() -> str | None:
    """None when a server can be started here, else the reason."""
    if not Path(pg_tool("initdb")).exists():
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0 and not _has_user("postgres"):
        return "running as root without a postgres user"
    return None


@dataclass
class LoopbackPostgres:
    """A running server: its URL (database `postgres`, trust auth on 127.0.0.1) and data folder."""

    url: str
    root: Path

    def restart(self) -> None:
        """Stop it (fast: open connections are cut) and start it again on the same port."""
        self._pg_ctl("-m", "fast", "restart")

    def stop(self) -> None:
        """Stop it and remove its files."""
        self._pg_ctl("-m", "fast", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        command = [pg_tool("pg_ctl"), "-D", str(self.root / "data"), "-o", options, "-l", str(self.root / "log")]
        subprocess.run(_as_postgres_user([*command, "-w", *args]), check=check, capture_output=True)


def start_postgres() -> LoopbackPostgres:
    """initdb a fresh cluster in a temporary folder and start it on a free port."""
    root = Path(tempfile.mkdtemp(prefix="bankassist-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    init = [pg_tool("initdb"), "-D", str(root / "data"), "-U", "postgres", "--auth=trust"]
    subprocess.run(_as_postgres_user(init), check=True, capture_output=True)
    server = LoopbackPostgres(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", root)
    server._pg_ctl("start")
    return server


def create_database(server_url: str) -> str:
    """A new, empty database on the server (so users of one server never see each other's rows); its URL."""
    import uuid

    import psycopg

    name = f"app_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command
