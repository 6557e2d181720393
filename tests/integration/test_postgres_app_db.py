"""The app database on a real PostgreSQL on loopback: migrations, job claims, counters, users and actions."""

from __future__ import annotations

import threading

import pytest

from evals.loopback_postgres import create_database
from tests.unit.test_app_database import FAILING_REVISION, wait_for
from tools.account_actions import decide, record_proposal
from tools.account_demo import seed_ledgers
from tools.account_proposals import propose
from tools.account_requests import read_request
from tools.accounts import AccountStore
from tools.batch_jobs import BatchJobs
from tools.counters import CounterStore
from tools.database import SCHEMA_HEAD, Database
from tools.errors import InvalidInputError
from tools.migrate import current_revision, open_database, upgrade
from tools.reports import ReportStore
from tools.users import UserStore


@pytest.fixture
def app_db(postgres_url) -> str:
    return create_database(postgres_url)


def test_replicas_migrating_at_once_take_turns_and_a_failed_migration_changes_nothing(app_db, tmp_path):
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_database(app_db).close()
        except BaseException as exc:  # collected: the test fails with it below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and current_revision(Database(app_db)) == SCHEMA_HEAD
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "0099_fails.py").write_text(FAILING_REVISION, encoding="utf-8")
    with pytest.raises(RuntimeError, match="half way"):
        upgrade(Database(app_db), "0099", locations=[tmp_path / "versions"])
    database = Database(app_db)
    assert current_revision(database) == SCHEMA_HEAD
    assert database.execute("SELECT to_regclass('half_done')").one() == (None,)
    columns = database.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'")
    assert "half_done" not in {name for (name,) in columns}


def test_users_and_keys_are_one_set_for_every_store_on_the_database(app_db):
    one, two = UserStore(app_db), UserStore(app_db)
    one.create_user("ana", "analyst", None, "a long enough secret")
    with pytest.raises(InvalidInputError, match="already a user 'ana'"):
        two.create_user("ana", "analyst", None, "another long secret")
    key_id, secret = two.create_api_key("ana")
    assert one.user_for_key(secret).name == "ana"
    one.set_disabled("ana", True)
    assert two.user_for_key(secret) is None and two.check_password("ana", "a long enough secret") is None
    one.set_disabled("ana", False)
    one.revoke_api_key(key_id)
    assert two.user_for_key(secret) is None
    assert one.claim_thread("t1", "ana") and not two.claim_thread("t1", "bob") and two.threads_of("ana") == ["t1"]


def test_two_workers_claim_each_job_once_and_take_over_a_dead_workers_job(app_db):
    ReportStore(app_db).save_customer("C0001", "Ann", [])
    dead = BatchJobs(app_db, lease_s=0.5, worker=False)
    abandoned = dead.submit("ana", ["C0001"])
    assert dead.claim().job_id == abandoned.job_id  # its worker is killed now: no renewal, no result
    first, second = BatchJobs(app_db, lease_s=0.5, poll_s=0.05), BatchJobs(app_db, lease_s=0.5, poll_s=0.05)
    try:
        jobs = [(first if n % 2 else second).submit("ana", ["C0001"]) for n in range(16)]
        wait_for(lambda: all(first.get(job.job_id, "ana").status == "done" for job in [*jobs, abandoned]))
        rows = dict(Database(app_db).execute("SELECT job_id, attempts FROM batch_jobs").fetchall())
        assert [rows[job.job_id] for job in jobs] == [1] * 16 and rows[abandoned.job_id] == 2
    finally:
        first.close()
        second.close()
        dead.close()


def test_counters_racing_on_one_key_never_overspend(app_db):
    stores = [CounterStore(app_db) for _ in range(4)]
    allowed: list[bool] = []

    def spend(store: CounterStore) -> None:
        for _ in range(10):
            allowed.append(store.add("rate:ana", 1, 1000.0, 60.0).hits <= 25)

    threads = [threading.Thread(target=spend, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 25 and stores[0].get("rate:ana").hits == 40


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_money_move_confirmed_at_once_on_two_replicas_runs_once(database, postgres_url, tmp_path):
    url = create_database(postgres_url) if database == "postgres" else f"sqlite:///{tmp_path / 'app.db'}"
    stores = [AccountStore(url) for _ in range(4)]  # one per replica
    seed_ledgers(stores[0], ["C0001"])
    for store in stores:
        store.accounts("C0001")  # each has a connection open, so none is slowed by connecting
    checking, savings = stores[0].accounts("C0001")
    proposal = propose(stores[0], "C0001", read_request("move $250 to my savings"))
    action = record_proposal(stores[0], "C0001", "thread", proposal, 60.0)
    outcomes: list[str] = []
    together = threading.Barrier(len(stores))

    def confirm(store: AccountStore) -> None:
        together.wait()  # all four confirmations arrive at the same moment
        outcomes.append(decide(store, action, "C0001", "confirm").status)

    threads = [threading.Thread(target=confirm, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_done"] * 3 + ["done"]
    after = {a.kind: a.balance_cents for a in stores[1].accounts("C0001")}
    assert after == {"checking": checking.balance_cents - 25_000, "savings": savings.balance_cents + 25_000}
    for store in stores:
        store.close()
