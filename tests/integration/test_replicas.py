"""Two `bankassist api` replicas on one PostgreSQL, with nothing else shared (each has its own data dir)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from evals.loopback_postgres import create_database
from tests.integration.api_server import ApiServer, start_api
from tests.unit.test_app_database import wait_for
from tools.batch_jobs import BatchJob, BatchJobs
from tools.database import Database

PER_MINUTE = 30


@pytest.fixture(scope="module")
def shared_db(postgres_url) -> str:
    return create_database(postgres_url)


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, converted_model, model_cache_dir, shared_db):
    """Both started at once, so they also race to migrate and seed the same database."""
    settings = {
        "database_url": shared_db, "pii_key": "replicas-share-this-key", "job_lease_s": "2",
        "rate_limit_per_minute": str(PER_MINUTE), "max_new_tokens": "24",
    }  # fmt: skip
    folders = [tmp_path_factory.mktemp(name) for name in ("replica-a", "replica-b")]
    with ThreadPoolExecutor(2) as pool:
        started = list(pool.map(lambda folder: start_api(folder, model_cache_dir, **settings), folders))
    yield started
    for server in started:
        server.stop()


def call(server: ApiServer, method: str, path: str, key: str, **kwargs) -> httpx.Response:
    return httpx.request(method, server.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=120, **kwargs)


def newest_key_id(server: ApiServer, user: str) -> str:
    listed = [line.split() for line in server.cli("apikey", "list").stdout.splitlines()]
    return [row[0] for row in listed if row[1] == user][-1]


def test_a_key_made_on_one_replica_works_on_the_other_and_revoking_or_disabling_stops_both(replicas):
    first, second = replicas
    key = first.key("bob")
    assert call(second, "GET", "/v1/threads", key).status_code == 200
    assert second.cli("users", "disable", "bob").returncode == 0
    assert [call(server, "GET", "/v1/threads", key).status_code for server in replicas] == [401, 401]
    assert first.cli("users", "enable", "bob").returncode == 0
    assert call(second, "GET", "/v1/threads", key).status_code == 200
    assert second.cli("apikey", "revoke", newest_key_id(second, "bob")).returncode == 0
    assert [call(server, "GET", "/v1/threads", key).status_code for server in replicas] == [401, 401]


def test_a_thread_started_on_one_replica_continues_on_the_other(replicas):
    first, second = replicas
    key = first.key("alice")
    started = call(first, "POST", "/v1/chat", key, json={"message": "What is my checking balance?"})
    assert started.status_code == 200 and started.json()["route"] == "account", started.text
    thread = started.json()["thread_id"]
    went_on = call(second, "POST", "/v1/chat", key, json={"message": "Is anything pending?", "thread_id": thread})
    assert went_on.status_code == 200 and went_on.json()["thread_id"] == thread, went_on.text
    messages = call(first, "GET", f"/v1/threads/{thread}", key).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "Is anything pending?"
    assert thread in call(second, "GET", "/v1/threads", key).json()["threads"]
    other = second.key("bob")
    assert call(second, "GET", f"/v1/threads/{thread}", other).status_code == 404  # not found for anyone else


def held_by(worker: BatchJobs, tries: int = 5) -> BatchJob:
    """A job `worker` submitted and claimed itself.

    The replicas' workers poll the same table: one may take the job between its submission and the claim (it
    did once in CI), and is then the one doing it. Submit again until this worker holds its own.
    """
    for _ in range(tries):
        job = worker.submit("ana", ["C0003"])
        claimed = worker.claim()
        if claimed is not None and claimed.job_id == job.job_id:
            return job
    raise AssertionError(f"the replicas took each of {tries} jobs before the worker could claim one")


def test_batch_jobs_posted_to_both_are_each_done_once_and_a_dead_workers_job_is_taken_over(replicas, shared_db):
    first, second = replicas
    key = first.key("ana")
    dead = BatchJobs(shared_db, lease_s=2, worker=False)  # a worker that claims a job, then is killed
    abandoned = held_by(dead)
    body = {"customer_ids": ["C0001", "C0002"]}
    posted = [call(server, "POST", "/v1/batch/reviews", key, json=body) for server in replicas * 3]
    assert [response.status_code for response in posted] == [202] * 6
    job_ids = [response.json()["job_id"] for response in posted]
    database = Database(shared_db)
    done = "SELECT COUNT(*) FROM batch_jobs WHERE status = 'done' AND job_id IN ({})"
    wait_for(lambda: database.execute(done.format(",".join("?" * 7)), (*job_ids, abandoned.job_id)).one()[0] == 7, 60)
    attempts = dict(database.execute("SELECT job_id, attempts FROM batch_jobs").fetchall())
    assert [attempts[job_id] for job_id in job_ids] == [1] * 6 and attempts[abandoned.job_id] == 2
    result = call(second, "GET", f"/v1/batch/{job_ids[0]}", key).json()  # posted to the first
    assert [r["customer_id"] for r in result["results"]] == ["C0001", "C0002"] and result["results"][0]["facts"]
    dead.close()


def test_the_rate_limit_holds_across_both_replicas(replicas):
    first, second = replicas
    added = first.cli("users", "add", "carol", "--role", "customer", "--customer", "C0003", stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    key = second.key("carol")
    codes = [call(replicas[n % 2], "GET", "/v1/threads", key).status_code for n in range(PER_MINUTE + 2)]
    assert codes == [200] * PER_MINUTE + [429, 429]
    refused = call(second, "GET", "/v1/threads", key)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
