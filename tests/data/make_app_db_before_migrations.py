"""Build tests/data/app_db_before_migrations.db with the code of d0b6e82 (before migrations): every table has rows.

Run from a checkout of that commit: `PYTHONPATH=. python make_app_db_before_migrations.py OUT.db`.
"""

import json
import sys
import time
from pathlib import Path

from tools.account_actions import record_proposal
from tools.account_demo import seed_ledgers
from tools.account_proposals import Proposal
from tools.accounts import AccountStore
from tools.batch_jobs import BatchJobs
from tools.cases import open_handoff
from tools.demo_data import seed_store
from tools.reports import ReportStore
from tools.users import UserStore

path = Path(sys.argv[1])
path.unlink(missing_ok=True)
users = UserStore(path)
users.create_user("alice", "customer", "C0001", "correct horse battery")
users.create_user("ana", "analyst", None, "super secret words 1")
users.create_user("gone", "customer", "C0002", "a disabled password")
users.set_disabled("gone", True)
key_id, secret = users.create_api_key("ana")
for thread in ("t-first", "t-second", "t-third"):
    users.claim_thread(thread, "alice")
reports = ReportStore(path)
seed_store(reports, 3, 7)
accounts = AccountStore(path)
seed_ledgers(accounts, ["C0001", "C0002"])
card = accounts.cards("C0001")[0]
record_proposal(accounts, "C0001", "t-first", Proposal("freeze_card", {"card_id": card.id}, "Freeze it?"), 900)
open_handoff(accounts, "C0001", "t-second", "asked for a person", "user: a person please")
jobs = BatchJobs(path)
job = jobs.submit("ana", ["C0001", "C0002"])
for _ in range(100):
    if jobs.get(job.job_id, "ana").status == "done":
        break
    time.sleep(0.1)
jobs.close()
print(json.dumps({"api_key": secret, "key_id": key_id, "job_id": job.job_id}))
