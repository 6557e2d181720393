"""Batch jobs: credit reviews for many customers, queued in the app DB and run by every replica's worker.

A worker claims one queued job at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never take
the same row) and holds it by a lease it renews after each customer. A worker that dies stops renewing; once
the lease runs out another worker takes the job over from the start. Results are written only by the worker
that still holds the claim, so a job is done exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tools.credit_review import credit_review, review_to_dict
from tools.errors import BankassistError, InvalidInputError, StoreError
from tools.migrate import open_database
from tools.reports import ReportStore

log = logging.getLogger(__name__)
MAX_BATCH = 100
MAX_ATTEMPTS = 3  # a job whose workers died this often is failed, not retried forever
COLUMNS = "job_id, owner, status, customer_ids, results"


@dataclass(frozen=True)
class BatchJob:
    """A batch of credit reviews: queued, running, done (or failed); results per customer once done."""

    job_id: str
    owner: str
    status: str
    customer_ids: list[str]
    results: list[dict[str, Any]] | None


class BatchJobs:
    """The job table, and (unless `worker=False`) a thread that claims and runs jobs."""

    def __init__(self, url: str, lease_s: float = 30.0, poll_s: float = 1.0, worker: bool = True) -> None:
        """Open the table; the worker polls every `poll_s` seconds and holds a job for `lease_s` per customer."""
        self._db, self._reports = open_database(url), ReportStore(url)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._lease_s, self._poll_s = lease_s, poll_s
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._work, name="batch", daemon=True) if worker else None
        if self._thread:
            self._thread.start()

    def submit(self, owner: str, customer_ids: list[str]) -> BatchJob:
        """Queue a job for 1 to MAX_BATCH customer ids; returns it with status `queued`."""
        if not 1 <= len(customer_ids) <= MAX_BATCH:
            raise InvalidInputError(f"A batch has 1 to {MAX_BATCH} customer ids; this one has {len(customer_ids)}.")
        job = BatchJob(uuid.uuid4().hex, owner, "queued", customer_ids, None)
        self._db.execute(
            "INSERT INTO batch_jobs (job_id, owner, status, customer_ids, created_at) VALUES (?, ?, ?, ?, ?)",
            (job.job_id, owner, job.status, json.dumps(customer_ids), time.time()),
        )
        self._wake.set()
        return job

    def get(self, job_id: str, owner: str) -> BatchJob | None:
        """The owner's job, or None (another user's job is not found either)."""
        row = self._db.execute(
            f"SELECT {COLUMNS} FROM batch_jobs WHERE job_id = ? AND owner = ?", (job_id, owner)
        ).fetchone()
        if row is None:
            return None
        return BatchJob(row[0], row[1], row[2], json.loads(row[3]), json.loads(row[4]) if row[4] else None)

    def close(self) -> None:
        """Let the running customer's review finish, then close the table (an unfinished job's lease runs out)."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join()
        self._reports.close()
        self._db.close()

    def run_once(self) -> bool:
        """Claim and run one job; False when none was waiting."""
        job = self.claim()
        if job is not None:
            self.run(job)
        return job is not None

    def _work(self) -> None:
        """Run jobs until closed; a database that is down is retried at the next poll."""
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except StoreError as exc:
                log.warning("Batch worker: %s", exc)
                busy = False
            if not busy:
                self._wake.wait(self._poll_s)
                self._wake.clear()

    def claim(self) -> BatchJob | None:
        """Take the oldest queued job, or a running one whose lease ran out; too many attempts fail it."""
        now = time.time()
        with self._db.transaction() as db:
            row = db.execute(
                "SELECT job_id, owner, customer_ids, attempts FROM batch_jobs WHERE status = 'queued' "
                "OR (status = 'running' AND (lease_until IS NULL OR lease_until < ?)) ORDER BY created_at LIMIT 1"
                + db.skip_locked,
                (now,),
            ).fetchone()
            if row is None:
                return None
            job_id, owner, customer_ids, attempts = row
            if attempts >= MAX_ATTEMPTS:
                db.execute("UPDATE batch_jobs SET status = 'failed', claimed_by = NULL WHERE job_id = ?", (job_id,))
                log.error("Batch job %s failed: its worker stopped %d times", job_id, attempts)
                return None
            db.execute(
                "UPDATE batch_jobs SET status = 'running', claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
                "WHERE job_id = ?",
                (self.worker_id, now + self._lease_s, job_id),
            )
        return BatchJob(job_id, owner, "running", json.loads(customer_ids), None)

    def run(self, job: BatchJob) -> None:
        """Review each customer, renewing the claim between them; one customer's error is recorded, not fatal."""
        try:
            results = []
            for customer_id in job.customer_ids:
                if not self._hold(job.job_id, "running", None):
                    log.warning("Batch job %s was taken over by another worker", job.job_id)
                    return
                results.append(self._review(customer_id))
            self._hold(job.job_id, "done", results)
        except StoreError:
            raise  # the lease runs out and another worker (or this one, later) takes the job over
        except Exception:  # a worker thread has no caller to raise to: record it, keep the detail in the log
            log.exception("Batch job %s failed", job.job_id)
            self._hold(job.job_id, "failed", None)

    def _review(self, customer_id: str) -> dict[str, Any]:
        """One customer's review, or their error message."""
        try:
            # Batches are the analysts': their reviews read about the customer.
            return review_to_dict(customer_id, credit_review(self._reports, customer_id), for_analyst=True)
        except BankassistError as exc:
            return {"customer_id": customer_id, "error": str(exc)}

    def _hold(self, job_id: str, status: str, results: list[dict[str, Any]] | None) -> bool:
        """Renew the lease or settle the job, only while this worker still holds it; whether it did."""
        changed = self._db.execute(
            "UPDATE batch_jobs SET status = ?, results = ?, lease_until = ? "
            "WHERE job_id = ? AND claimed_by = ? AND status = 'running'",
            (
                status,
                json.dumps(results) if results is not None else None,
                time.time() + self._lease_s,
                job_id,
                self.worker_id,
            ),
        ).rowcount
        return changed == 1
