"""The app database on SQLite: migrations, upgrading a file from before them, batch-job claims, bad URLs."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tools.accounts import AccountStore
from tools.batch_jobs import BatchJobs
from tools.database import SCHEMA_HEAD, Database
from tools.errors import ConfigurationError, StoreError
from tools.migrate import alembic_config, current_revision, open_database, upgrade
from tools.reports import ReportStore
from tools.users import UserStore

# Made by the code of d0b6e82, the last commit before migrations, with tests/data/make_app_db_before_migrations.py.
BEFORE_MIGRATIONS = Path(__file__).parent.parent / "data" / "app_db_before_migrations.db"
OLD_API_KEY = "bk_PrRqrnnbxRmJA2wphKxrCRHETV-cT3Am3YfyaxEmxd0"
OLD_JOB = "0a03fe69c78e455e968519d36e56498f"
FAILING_REVISION = f"""
from alembic import op
revision = "0099"
down_revision = "{SCHEMA_HEAD}"

def upgrade():
    op.execute("CREATE TABLE half_done (id TEXT)")
    op.execute("ALTER TABLE customers ADD COLUMN half_done TEXT")
    raise RuntimeError("this migration fails half way")
"""


def row_counts(path: Path) -> dict[str, int]:
    """Rows per table, read with plain sqlite3 (our users table is `users` before, `app_users` after)."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables}
    counts["app_users"] = counts.pop("users", counts.get("app_users", 0))
    return {name: count for name, count in counts.items() if name not in ("alembic_version", "counters")}


def test_the_schema_head_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_a_file_from_before_migrations_is_upgraded_and_every_row_is_found(tmp_path):
    path = tmp_path / "bankassist.db"
    shutil.copy(BEFORE_MIGRATIONS, path)
    before = row_counts(path)
    url = f"sqlite:///{path}"
    users, reports, accounts, jobs = UserStore(url), ReportStore(url), AccountStore(url), BatchJobs(url, worker=False)
    try:
        assert row_counts(path) == before and sum(before.values()) > 190
        assert users.check_password("alice", "correct horse battery").customer_id == "C0001"
        assert users.user_for_key(OLD_API_KEY).name == "ana" and users.get_user("gone") is None
        assert users.threads_of("alice") == ["t-first", "t-second", "t-third"]  # the order they were started in
        users.claim_thread("t-fourth", "alice")
        assert users.threads_of("alice")[-1] == "t-fourth"
        assert [(c.id, c.reports) for c in reports.list_customers()] == [("C0001", 2), ("C0002", 2), ("C0003", 2)]
        assert all(c.latest_score for c in reports.list_customers())
        assert len(accounts.transactions("C0001")) > 50 and accounts.cases()[0].thread_id == "t-second"
        old_job = jobs.get(OLD_JOB, "ana")
        assert old_job.status == "done" and [r["customer_id"] for r in old_job.results] == ["C0001", "C0002"]
    finally:
        for store in (users, reports, accounts, jobs):
            store.close()
    assert current_revision(Database(url)) == SCHEMA_HEAD


def test_a_failing_migration_leaves_the_schema_as_it_was(tmp_path):
    (tmp_path / "versions").mkdir()
    (tmp_path / "versions" / "0099_fails.py").write_text(FAILING_REVISION, encoding="utf-8")
    database = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    with pytest.raises(RuntimeError, match="half way"):
        upgrade(database, "0099", locations=[tmp_path / "versions"])
    assert current_revision(database) == SCHEMA_HEAD
    assert database.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert "half_done" not in [row[1] for row in database.execute("PRAGMA table_info(customers)")]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@db/bank", "BANKASSIST_DATABASE_URL must be sqlite:///PATH or postgresql://"),
        ("postgresql://nobody:secret@127.0.0.1:9/none", "(BANKASSIST_DATABASE_URL) is unavailable"),
        ("sqlite:////proc/no/such/place/app.db", "Cannot open the app DB"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line_naming_it(url, message):
    with pytest.raises((ConfigurationError, StoreError)) as caught:
        UserStore(url)
    assert message in str(caught.value) and "\n" not in str(caught.value) and "secret" not in str(caught.value)


def wait_for(condition, timeout_s: float = 20.0) -> None:
    """Poll until `condition()` holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_workers_do_each_job_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    ReportStore(url).save_customer("C0001", "Ann", [])
    first, second = BatchJobs(url, poll_s=0.05), BatchJobs(url, poll_s=0.05)
    try:
        submitted = [(first if n % 2 else second).submit("ana", ["C0001", "C0404"]) for n in range(12)]
        wait_for(lambda: all(first.get(job.job_id, "ana").status == "done" for job in submitted))
        attempts = Database(url).execute("SELECT attempts, claimed_by FROM batch_jobs").fetchall()
        assert [count for count, _ in attempts] == [1] * 12  # claimed once each
        assert {worker for _, worker in attempts} <= {first.worker_id, second.worker_id}
        result = first.get(submitted[0].job_id, "ana").results
        assert result[1] == {"customer_id": "C0404", "error": result[1]["error"]} and "C0404" in result[1]["error"]
    finally:
        first.close()
        second.close()


def test_a_job_whose_worker_died_is_taken_over_and_the_dead_worker_cannot_finish_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    ReportStore(url).save_customer("C0001", "Ann", [])
    dead = BatchJobs(url, lease_s=0.3, worker=False)
    job = dead.submit("ana", ["C0001"])
    assert dead.claim().job_id == job.job_id  # ...and then its process is killed: no renewal, no result
    live = BatchJobs(url, lease_s=0.3, poll_s=0.05)
    try:
        wait_for(lambda: live.get(job.job_id, "ana").status == "done")
        dead.run(dead.get(job.job_id, "ana"))  # a worker that only seemed dead comes back: it changes nothing
        row = Database(url).execute("SELECT attempts, claimed_by FROM batch_jobs").one()
        assert row == (2, live.worker_id)
    finally:
        live.close()
        dead.close()


def test_db_upgrade_says_what_it_did_and_a_database_that_is_down_is_one_line(tmp_path):
    import os
    import subprocess
    import sys

    shutil.copy(BEFORE_MIGRATIONS, tmp_path / "bankassist.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANKASSIST_")} | {
        "BANKASSIST_DATA_DIR": str(tmp_path)
    }

    def upgrade_cli(**extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ui", "db", "upgrade"]
        return subprocess.run(command, env=env | extra, capture_output=True, text=True, timeout=120)

    first, second = upgrade_cli(), upgrade_cli()
    assert f"upgraded from an unversioned schema to revision {SCHEMA_HEAD}" in first.stdout, first.stderr
    assert f"already at revision {SCHEMA_HEAD}" in second.stdout
    down = upgrade_cli(BANKASSIST_DATABASE_URL="postgresql://ops:hunter2@127.0.0.1:9/bank")
    assert down.returncode == 1 and down.stdout == ""
    assert down.stderr.count("\n") == 1 and "BANKASSIST_DATABASE_URL" in down.stderr and "hunter2" not in down.stderr
