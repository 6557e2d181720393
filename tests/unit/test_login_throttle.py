"""The web UI's login throttle: too many wrong passwords for one name lock that name for a while."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest

from agent.settings import get_settings
from ui.rate_limit import LoginThrottle, MemoryAttemptStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(throttle: LoginThrottle, name: str, right: bool) -> bool | None:
    """One login as log_in does it: None when refused unchecked, else whether the password was right."""
    if not throttle.allow(name):
        return None
    if right:
        throttle.succeeded(name)
    else:
        throttle.failed(name)
    return right


def test_failures_lock_the_name_and_then_even_the_right_password_is_refused():
    throttle = LoginThrottle(3, 900, clock=Clock())
    assert [attempt(throttle, "alice", right=False) for _ in range(3)] == [False, False, False]
    assert attempt(throttle, "alice", right=True) is None
    assert attempt(throttle, "bob", right=False) is False  # other names are untouched


def test_the_lock_ends_with_the_window():
    clock = Clock()
    throttle = LoginThrottle(2, 900, clock=clock)
    attempt(throttle, "alice", right=False)
    clock.now += 600
    attempt(throttle, "alice", right=False)
    clock.now += 299  # the window opened at the first failure, 899 s ago
    assert attempt(throttle, "alice", right=True) is None
    clock.now += 1
    assert attempt(throttle, "alice", right=True) is True


def test_a_success_clears_the_count():
    throttle = LoginThrottle(3, 900, clock=Clock())
    attempt(throttle, "alice", right=False)
    attempt(throttle, "alice", right=False)
    assert attempt(throttle, "alice", right=True) is True
    assert [attempt(throttle, "alice", right=False) for _ in range(3)] == [False, False, False]
    assert attempt(throttle, "alice", right=True) is None


def test_the_name_is_counted_however_it_is_typed():
    throttle = LoginThrottle(2, 900, clock=Clock())
    attempt(throttle, "Alice", right=False)
    attempt(throttle, " alice ", right=False)
    assert attempt(throttle, "ALICE", right=True) is None


def test_attempts_still_being_checked_count_so_parallel_guesses_cannot_slip_in():
    throttle = LoginThrottle(3, 900, clock=Clock())
    assert [throttle.allow("alice") for _ in range(4)] == [True, True, True, False]


def test_the_lockout_is_logged_once_with_the_name_and_never_the_password(caplog):
    throttle = LoginThrottle(2, 900, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="bankassist.ui"):
        for _ in range(4):
            attempt(throttle, "Mallory", right=False)
    assert len(caplog.records) == 1
    assert "'mallory'" in caplog.text and "locked for 900 s" in caplog.text


def test_the_memory_store_sweeps_ended_windows_once_it_grows():
    clock, store = Clock(), MemoryAttemptStore(scan_above=4)
    throttle = LoginThrottle(5, 900, clock=clock, store=store)
    for number in range(5):
        throttle.allow(f"sprayed{number}")
    clock.now += 900
    throttle.allow("late")
    assert store.get("sprayed0") is None and store.get("late") is not None


class FakeUsers:
    """The users table as log_in sees it: alice's password is "right"; every check is recorded."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def check_password(self, name: str, password: str) -> SimpleNamespace | None:
        self.checked.append(name)
        return SimpleNamespace(name="alice", role="customer") if (name, password) == ("alice", "right") else None


@pytest.fixture
def web_login(monkeypatch):
    """ui.app's log_in over fake users, with the settings' throttle limits at 2 failures per 60 s."""
    import ui.app as app  # chainlit is slow to import: only the tests that need it pay for it

    monkeypatch.setenv("BANKASSIST_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("BANKASSIST_LOGIN_LOCKOUT_S", "60")
    get_settings.cache_clear()
    users = FakeUsers()
    monkeypatch.setattr(app, "get_runtime", lambda: SimpleNamespace(settings=get_settings(), users=users))
    app.login_throttle.cache_clear()
    yield app, users
    app.login_throttle.cache_clear()


def test_the_web_login_takes_its_limits_from_the_settings(web_login):
    app, _ = web_login
    throttle = app.login_throttle()
    assert (throttle.max_failures, throttle.window_s) == (2, 60)
    assert app.login_throttle() is throttle  # one per process, so the counts persist between logins


def test_the_web_login_refuses_a_locked_name_without_checking_its_password(web_login):
    app, users = web_login
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    assert asyncio.run(app.log_in("Alice ", "guess")) is None
    assert asyncio.run(app.log_in("alice", "right")) is None
    assert users.checked == ["alice", "Alice"]  # the third, right password was never checked


def test_a_web_login_resets_the_count(web_login):
    app, _ = web_login
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    user = asyncio.run(app.log_in("alice", "right"))
    assert user is not None and user.identifier == "alice" and user.metadata == {"role": "customer"}
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    assert asyncio.run(app.log_in("alice", "right")) is not None
