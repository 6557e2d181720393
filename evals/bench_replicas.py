"""Replica drill: two `bankassist api` replicas on one PostgreSQL under a steady load of turns, while faults hit.

Real processes on loopback, each replica with its own data dir (they share only the database). Clients
send turns through a stand-in load balancer that sends each request to the next replica and, like a real
one, moves a request it could not connect to onto the other. While they do:

1. replica B is killed with SIGKILL, then started again;
2. PostgreSQL is restarted (`pg_ctl restart -m fast`: every open connection is cut);
3. a batch job of 100 reviews is posted, and the replica whose worker claimed it is killed with SIGKILL
   mid-job (found from the job's `claimed_by`), then started again.

At the end every thread is read back. A completed turn is one the client got a 200 for: `lost` counts those
missing from their thread, `duplicated` those stored twice. Failed turns are split into a clear HTTP error
(with its code) and a connection cut while the request was in flight (the replica died under it).

    python -m evals.bench_replicas                 # 4 clients, about 4 minutes on 2 cores
    python -m evals.bench_replicas --clients 2 --lease 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from evals.loopback_postgres import LoopbackPostgres, start_postgres
from evals.loopback_server import free_port, wait_until_healthy
from tools.database import Database

QUESTIONS = [
    "What is my checking balance?",
    "Is anything pending on my account?",
    "What is the status of my debit card?",
    "Show my transactions from last week",
    "What is the fee for an outgoing domestic wire transfer?",
]
USERS = {"alice": "C0001", "bob": "C0002", "drill3": "C0003", "drill4": "C0004"}


@dataclass
class Replica:
    """One `bankassist api` process."""

    name: str
    folder: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait for /healthz (the port is new each time, as a new container's would be)."""
        self.port = free_port()
        with (self.folder / "server.log").open("ab") as log:
            command = [sys.executable, "-m", "ui", "api", "--port", str(self.port)]
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        wait_until_healthy(self.url, self.process, 300, "/healthz", f"replica {self.name} (log: {self.folder})")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """A bankassist command against the replica's settings; its stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "ui", *args], env=self.env, input=stdin, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


class Balancer:
    """Round robin over the replicas; a request that cannot connect goes to the next one."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas, self._next, self._lock = replicas, 0, threading.Lock()

    def request(self, method: str, path: str, key: str, **kwargs: object) -> httpx.Response:
        """Send to the next replica; on a refused connection, try the others once each."""
        with self._lock:
            start, self._next = self._next, self._next + 1
        for offset in range(len(self.replicas)):
            replica = self.replicas[(start + offset) % len(self.replicas)]
            try:
                headers = {"Authorization": f"Bearer {key}"}
                return httpx.request(method, replica.url + path, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]
            except httpx.ConnectError:
                continue
        raise httpx.ConnectError("no replica accepted the connection")


@dataclass
class Client:
    """One user's conversation: every turn sent, and how each ended."""

    user: str
    key: str
    thread_id: str | None = None
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def run(self, balancer: Balancer, stop: threading.Event) -> None:
        """Send turns until stopped."""
        number = 0
        while not stop.is_set():
            message = f"{QUESTIONS[number % len(QUESTIONS)]} (ref {self.user}-{number})"
            number += 1
            outcome = self.turn(balancer, message)
            self.outcomes[outcome] += 1
            (self.completed if outcome == "completed" else self.failed).append(message)
            if outcome != "completed":
                time.sleep(0.2)  # a client backs off a little after a failure

    def turn(self, balancer: Balancer, message: str) -> str:
        """One turn: completed, error:<code>, or dropped (the connection was cut in flight)."""
        body = {"message": message, **({"thread_id": self.thread_id} if self.thread_id else {})}
        try:
            response = balancer.request("POST", "/v1/chat", self.key, json=body)
        except httpx.TransportError:
            return "dropped"
        if response.status_code != 200:
            return f"error:{response.status_code}:{response.json().get('error', {}).get('code', '?')}"
        self.thread_id = response.json()["thread_id"]
        return "completed"


def main() -> None:
    """Start the servers, run the load and the faults, then check every thread."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4, choices=range(1, len(USERS) + 1))
    parser.add_argument("--lease", type=float, default=3.0, help="BANKASSIST_JOB_LEASE_S of the replicas")
    args = parser.parse_args()
    model_cache = prepare_model_cache()
    postgres, root = start_postgres(), Path(tempfile.mkdtemp(prefix="bankassist-drill-"))
    replicas: list[Replica] = []
    try:
        replicas = start_replicas(root, postgres.url, args.lease, model_cache)
        clients = make_clients(replicas[0], args.clients)
        report = drill(replicas, clients, postgres)
        print_report(report, clients, replicas[0])
    finally:
        for replica in replicas:
            replica.kill()
        postgres.stop()


def prepare_model_cache() -> Path:
    """Convert the default models once into the usual cache, so the replicas start from it, not converting."""
    from agent.runtime.engine_cache import converted_model
    from agent.runtime.model_files import resolve_model_dir
    from agent.service import open_guard
    from agent.settings import DEFAULT_BASE_MODEL, Settings

    settings = Settings()
    assert settings.model_cache_dir is not None  # filled by the settings validator
    model_dir = Path(resolve_model_dir(DEFAULT_BASE_MODEL, settings.model_cache_dir))
    open_guard(settings)
    for adapter in (None, settings.extractor_adapter):
        converted_model(model_dir, adapter, settings.local_precision, settings.model_cache_dir)
    return settings.model_cache_dir


def start_replicas(root: Path, database_url: str, lease_s: float, model_cache: Path) -> list[Replica]:
    """Two replicas on one database, started together (so they also race to migrate and seed)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BANKASSIST_")}
    settings = {
        "DATABASE_URL": database_url, "PII_KEY": "drill-replicas-share-this-key", "JOB_LEASE_S": str(lease_s),
        "RATE_LIMIT_PER_MINUTE": "100000", "MAX_NEW_TOKENS": "24", "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    replicas = []
    for name in ("A", "B"):
        folder = root / name
        folder.mkdir()
        env = base | {f"BANKASSIST_{k}": v for k, v in settings.items()}
        env |= {"BANKASSIST_DATA_DIR": str(folder), "BANKASSIST_MODEL_CACHE_DIR": str(model_cache)}
        replicas.append(Replica(name, folder, env))
    try:
        with ThreadPoolExecutor(len(replicas)) as pool:
            list(pool.map(Replica.start, replicas))  # re-raises a replica's failure to start
    except BaseException:
        for replica in replicas:
            replica.kill()
        raise
    return replicas


def make_clients(replica: Replica, count: int) -> list[Client]:
    """The demo users, plus drill users added with `users add` as an operator would."""
    clients = []
    for user, customer in list(USERS.items())[:count]:
        if user.startswith("drill"):
            replica.cli("users", "add", user, "--role", "customer", "--customer", customer, stdin="drill-password-1\n")
        clients.append(Client(user, replica.cli("apikey", "create", "--user", user)))
    return clients


def drill(replicas: list[Replica], clients: list[Client], postgres: LoopbackPostgres) -> dict[str, object]:
    """The load, with the three faults one after another; returns what happened to the batch job."""
    balancer, stop = Balancer(replicas), threading.Event()
    workers = [threading.Thread(target=client.run, args=(balancer, stop)) for client in clients]
    for worker in workers:
        worker.start()
    report: dict[str, object] = {}
    time.sleep(10)
    replicas[1].kill()  # 1. a replica dies...
    time.sleep(5)
    replicas[1].start()  # ...and its orchestrator starts it again (about a minute of start-up)
    time.sleep(5)
    started = time.monotonic()
    postgres.restart()  # 2. the database restarts
    report["postgres_restart_s"] = round(time.monotonic() - started, 1)
    time.sleep(10)
    report |= kill_mid_job(balancer, clients, replicas)  # 3. a worker dies mid-job
    time.sleep(10)
    stop.set()
    for worker in workers:
        worker.join()
    return report


def kill_mid_job(balancer: Balancer, clients: list[Client], replicas: list[Replica]) -> dict[str, object]:
    """Post a 100-review job as an analyst, kill the replica whose worker holds it while it runs, wait for it."""
    analyst = replicas[0].cli("apikey", "create", "--user", "ana")
    ids = [f"C{n:04d}" for n in range(1, 51)] * 2
    database = Database(replicas[0].env["BANKASSIST_DATABASE_URL"])
    for attempt in range(1, 4):
        job_id = balancer.request("POST", "/v1/batch/reviews", analyst, json={"customer_ids": ids}).json()["job_id"]
        claimed = wait_for_claim(database, job_id)
        if claimed is None:
            continue  # done before it could be caught running: try another
        victim = next(r for r in replicas if r.process and str(r.process.pid) == claimed.split(":")[1])
        victim.kill()
        victim.start()
        row = wait_for_done(database, job_id)
        return {"jobs_posted_to_catch_one_running": attempt, "job_worker_killed_on": victim.name, "job": row}
    return {"job": "finished before a kill could catch it, three times"}


def wait_for_claim(database: Database, job_id: str) -> str | None:
    """The claiming worker's id while the job runs; None when it finished first."""
    while True:
        status, claimed_by = database.execute(
            "SELECT status, claimed_by FROM batch_jobs WHERE job_id = ?", (job_id,)
        ).one()
        if status == "running" and claimed_by:
            return str(claimed_by)
        if status in ("done", "failed"):
            return None
        time.sleep(0.01)


def wait_for_done(database: Database, job_id: str, timeout_s: float = 300) -> dict[str, object]:
    """The job's final status, attempts and result count."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, attempts, results = database.execute(
            "SELECT status, attempts, results FROM batch_jobs WHERE job_id = ?", (job_id,)
        ).one()
        if status in ("done", "failed"):
            reviews = json.loads(results) if results else []
            customers = Counter(review["customer_id"] for review in reviews)
            return {"status": status, "attempts": attempts, "reviews": len(reviews), "distinct": len(customers)}
        time.sleep(0.2)
    return {"status": "not done in time"}


def print_report(report: dict[str, object], clients: list[Client], replica: Replica) -> None:
    """Read every thread back and print the counts."""
    outcomes: Counter[str] = Counter()
    lost = duplicated = recorded_though_failed = 0
    for client in clients:
        outcomes.update(client.outcomes)
        stored = Counter(stored_user_messages(replica, client))
        lost += sum(1 for message in client.completed if stored[message] == 0)
        duplicated += sum(1 for message in client.completed if stored[message] > 1)
        recorded_though_failed += sum(1 for message in client.failed if stored[message] > 0)
    sent = sum(outcomes.values())
    print(f"# Replica drill, {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores")
    print(f"turns sent: {sent}, completed: {outcomes['completed']}")
    for outcome, count in sorted(outcomes.items()):
        if outcome != "completed":
            print(f"failed, {outcome}: {count}")
    print(f"lost (completed, missing from the thread): {lost}")
    print(f"duplicated (completed, stored twice): {duplicated}")
    print(f"failed for the client but recorded in the thread: {recorded_though_failed}")
    for name, value in report.items():
        print(f"{name}: {value}")


def stored_user_messages(replica: Replica, client: Client) -> list[str]:
    """The user messages the thread holds, read through a replica."""
    if client.thread_id is None:
        return []
    response = httpx.get(
        f"{replica.url}/v1/threads/{client.thread_id}", headers={"Authorization": f"Bearer {client.key}"}, timeout=60
    )
    return [m["content"] for m in response.json()["messages"] if m["role"] == "user"]


if __name__ == "__main__":
    main()
