import json

import pytest

from tests.fakes import fake_services
from tools.counters import CounterStore
from tools.demo_data import demo_customers
from tools.errors import AuthenticationError, InvalidInputError, PermissionDeniedError, UnknownCustomerError
from tools.report_import import import_report
from tools.users import UserStore, seed_demo_users
from ui.auth import own_customer, require_analyst, user_from_api_key
from ui.rate_limit import MemoryCounters, RateLimiter, retry_after


@pytest.fixture
def users(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path / 'app.db'}")
    seed_demo_users(store, "s3cret!")
    yield store
    store.close()


def test_demo_users_have_roles_customers_and_hashed_passwords(users):
    assert [(u.name, u.role, u.customer_id) for u in users.list_users()] == [
        ("alice", "customer", "C0001"), ("ana", "analyst", None), ("bob", "customer", "C0002"),
    ]  # fmt: skip
    assert users.check_password("alice", "s3cret!").name == "alice"
    assert users.check_password("alice", "wrong") is None and users.check_password("nobody", "s3cret!") is None
    stored = users._db.execute("SELECT password_hash FROM app_users WHERE name = 'alice'").fetchone()[0]
    assert stored.startswith("$argon2") and "s3cret!" not in stored


def test_api_keys_are_shown_once_stored_hashed_and_revocable(users):
    key_id, secret = users.create_api_key("bob")
    assert user_from_api_key(users, secret).customer_id == "C0002"
    assert secret not in json.dumps(users._db.execute("SELECT * FROM api_keys").fetchall())
    users.revoke_api_key(key_id)
    with pytest.raises(AuthenticationError, match="unknown or revoked"):
        user_from_api_key(users, secret)
    with pytest.raises(InvalidInputError):
        users.revoke_api_key(key_id)
    with pytest.raises(InvalidInputError, match="no user"):
        users.create_api_key("mallory")
    with pytest.raises(AuthenticationError, match="required"):
        user_from_api_key(users, None)


def test_threads_belong_to_whoever_started_them(users):
    assert users.claim_thread("t1", "alice") and users.claim_thread("t1", "alice")
    assert not users.claim_thread("t1", "bob")
    assert users.threads_of("alice") == ["t1"] and users.threads_of("bob") == []


def test_roles_gate_analyst_and_customer_views(users):
    alice, ana = users.get_user("alice"), users.get_user("ana")
    assert require_analyst(ana) is ana and own_customer(alice) == "C0001"
    with pytest.raises(PermissionDeniedError):
        require_analyst(alice)
    with pytest.raises(PermissionDeniedError):
        own_customer(ana)


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "app-db"])
def test_the_rate_limiter_allows_per_minute_calls_a_minute_from_the_first(shared, tmp_path):
    now = [1000.0]
    counters = CounterStore(f"sqlite:///{tmp_path / 'app.db'}") if shared else MemoryCounters()
    limiter = RateLimiter(per_minute=2, counters=counters, clock=lambda: now[0])
    assert limiter.take("u") == 0
    now[0] += 20
    assert limiter.take("u") == 0
    wait = limiter.take("u")
    assert wait == pytest.approx(40.0) and retry_after(wait) == "40" and limiter.take("other") == 0
    now[0] += 40
    assert limiter.take("u") == 0


def test_two_limiters_on_one_app_db_share_the_count(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    first, second = (RateLimiter(3, CounterStore(url)) for _ in range(2))
    assert [first.take("u"), second.take("u"), first.take("u")] == [0, 0, 0]
    assert second.take("u") > 0 and first.take("u") > 0 and second.take("v") == 0


def test_report_import_validates_against_the_schema(isolated_settings):
    reports = fake_services(isolated_settings).reports
    report = json.loads(demo_customers(count=1)[0][2][1].model_dump_json())
    with pytest.raises(UnknownCustomerError):
        import_report(reports, "C9999", report)
    with pytest.raises(InvalidInputError, match="score"):
        import_report(reports, "C0001", report | {"score": 9000})
    with pytest.raises(InvalidInputError, match="not valid"):
        import_report(reports, "C0001", "{not json")
    assert import_report(reports, "C0001", json.dumps(report | {"report_date": "2026-11-01"})).score == report["score"]
