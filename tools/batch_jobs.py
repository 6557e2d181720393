"""Batch jobs: credit reviews for many customers, queued in a table and run by a worker thread."""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.credit_review import credit_review, review_to_dict
from tools.errors import BankassistError, InvalidInputError, StoreError
from tools.reports import ReportStore

log = logging.getLogger(__name__)
MAX_BATCH = 100
JOBS_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_jobs (
    job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL,
    customer_ids TEXT NOT NULL, results TEXT
);
"""


@dataclass(frozen=True)
class BatchJob:
    """A batch of credit reviews: queued, running, done; results per customer once done."""

    job_id: str
    owner: str
    status: str
    customer_ids: list[str]
    results: list[dict[str, Any]] | None


class BatchJobs:
    """Batch reviews run one job at a time in a worker thread; jobs are kept in SQLite."""

    def __init__(self, db_path: Path) -> None:
        """Open the jobs table; jobs left unfinished by a restart are marked failed.

        Statements autocommit one by one, so request threads and the worker never share a transaction;
        the worker reads reports through its own connection.
        """
        try:
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            with self._db:
                self._db.executescript(JOBS_SCHEMA)
                self._db.execute("UPDATE batch_jobs SET status = 'failed' WHERE status IN ('queued', 'running')")
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the batch job table at {db_path}: {exc}") from exc
        self._reports = ReportStore(db_path)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch")

    def submit(self, owner: str, customer_ids: list[str]) -> BatchJob:
        """Queue a job for 1 to MAX_BATCH customer ids; returns it with status `queued`."""
        if not 1 <= len(customer_ids) <= MAX_BATCH:
            raise InvalidInputError(f"A batch has 1 to {MAX_BATCH} customer ids; this one has {len(customer_ids)}.")
        job = BatchJob(uuid.uuid4().hex, owner, "queued", customer_ids, None)
        with self._db:
            row = (job.job_id, owner, job.status, json.dumps(customer_ids))
            self._db.execute("INSERT INTO batch_jobs VALUES (?, ?, ?, ?, NULL)", row)
        self._worker.submit(self._run, job)
        return job

    def get(self, job_id: str, owner: str) -> BatchJob | None:
        """The owner's job, or None (another user's job is not found either)."""
        row = self._db.execute(
            "SELECT job_id, owner, status, customer_ids, results FROM batch_jobs WHERE job_id = ? AND owner = ?",
            (job_id, owner),
        ).fetchone()
        if row is None:
            return None
        return BatchJob(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]) if row[4] else None)

    def close(self) -> None:
        """Let the running job finish, then close the table."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._reports.close()
        self._db.close()

    def _run(self, job: BatchJob) -> None:
        """Review each customer; one customer's error is recorded, not fatal to the batch."""
        try:
            self._set(job.job_id, "running", None)
            results = [self._review(customer_id) for customer_id in job.customer_ids]
            self._set(job.job_id, "done", results)
        except Exception:  # a worker thread has no caller to raise to: record it, keep the detail in the log
            log.exception("Batch job %s failed", job.job_id)
            self._set(job.job_id, "failed", None)

    def _review(self, customer_id: str) -> dict[str, Any]:
        """One customer's review, or their error message."""
        try:
            return review_to_dict(customer_id, credit_review(self._reports, customer_id))
        except BankassistError as exc:
            return {"customer_id": customer_id, "error": str(exc)}

    def _set(self, job_id: str, status: str, results: list[dict[str, Any]] | None) -> None:
        """Record a job's status (and results)."""
        with self._db:
            self._db.execute(
                "UPDATE batch_jobs SET status = ?, results = ? WHERE job_id = ?",
                (status, json.dumps(results) if results is not None else None, job_id),
            )
