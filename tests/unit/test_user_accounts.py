"""Production accounts: `bankassist users add|passwd|disable|enable|list`, the password policy, and the
front ends that refuse to start with nobody to sign in."""

import sqlite3
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from agent.dependencies import open_user_store
from tests.fakes import fake_services
from tools.errors import AuthenticationError, ConfigurationError, InvalidInputError
from tools.users import UserStore
from ui.api import create_app
from ui.auth import require_users, user_from_api_key

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path / 'app.db'}")
    yield store
    store.close()


def test_the_password_policy_and_the_name_rules_are_one_line_errors(users):
    with pytest.raises(InvalidInputError, match="at least 12 characters"):
        users.create_user("ana", "analyst", None, "short-pass")
    with pytest.raises(InvalidInputError, match="must not contain the user name"):
        users.create_user("margaret", "analyst", None, "Margaret-2026-spring")
    with pytest.raises(InvalidInputError, match="not a valid user name"):
        users.create_user("ana smith; drop", "analyst", None, PASSWORD)
    assert users.list_users() == []


def test_a_second_add_of_the_same_name_is_refused_and_keeps_the_first_password(users):
    users.create_user("ana", "analyst", None, PASSWORD)
    with pytest.raises(InvalidInputError, match="already a user 'ana'"):
        users.create_user("ana", "customer", "C0001", "another long password")
    assert users.check_password("ana", PASSWORD).role == "analyst"


def test_passwd_replaces_the_password_and_unknown_names_are_errors(users):
    users.create_user("ana", "analyst", None, PASSWORD)
    users.set_password("ana", "a brand new passphrase")
    assert users.check_password("ana", PASSWORD) is None
    assert users.check_password("ana", "a brand new passphrase").name == "ana"
    with pytest.raises(InvalidInputError, match="no user 'nobody'"):
        users.set_password("nobody", "a brand new passphrase")
    with pytest.raises(InvalidInputError, match="no user 'nobody'"):
        users.set_disabled("nobody", True)


def test_disabling_stops_the_password_and_the_api_keys_at_once_and_enabling_restores_them(users):
    users.create_user("bob", "customer", "C0002", PASSWORD)
    _, secret = users.create_api_key("bob")
    users.set_disabled("bob", True)
    assert users.check_password("bob", PASSWORD) is None and users.get_user("bob") is None
    with pytest.raises(AuthenticationError):
        user_from_api_key(users, secret)
    assert [(u.name, u.disabled) for u in users.list_users()] == [("bob", True)]
    users.set_disabled("bob", False)
    assert user_from_api_key(users, secret).customer_id == "C0002"
    assert users.check_password("bob", PASSWORD).name == "bob"


def test_a_users_table_from_before_disabling_gains_the_column_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, customer_id TEXT, password_hash TEXT)"
        )
        db.execute("INSERT INTO users VALUES ('alice', 'customer', 'C0001', NULL)")
    store = UserStore(f"sqlite:///{path}")
    try:
        assert store.get_user("alice").customer_id == "C0001"
        store.set_disabled("alice", True)
        assert store.list_users()[0].disabled
    finally:
        store.close()


def test_production_needs_someone_who_can_sign_in(users, isolated_settings):
    production = isolated_settings.model_copy(update={"mode": "production"})
    with pytest.raises(ConfigurationError, match="bankassist users add NAME --role analyst"):
        require_users(production, users)
    users.create_user("ana", "analyst", None, PASSWORD)
    require_users(production, users)
    users.set_disabled("ana", True)
    with pytest.raises(ConfigurationError):
        require_users(production, users)
    require_users(isolated_settings, users)  # demo mode has its demo users


def test_production_seeds_no_demo_users(isolated_settings):
    store = open_user_store(isolated_settings.model_copy(update={"mode": "production"}))
    try:
        assert store.list_users() == []
    finally:
        store.close()


def test_the_api_refuses_to_start_without_users_and_a_disabled_users_key_gets_401(isolated_settings):
    settings = isolated_settings.model_copy(update={"mode": "production"})
    services = fake_services(settings, ["A domestic wire costs $25 [1]."])
    with pytest.raises(ConfigurationError, match="no user who can sign in"), TestClient(create_app(settings, services)):
        pass
    admin = open_user_store(settings)  # another connection, as the CLI's would be
    admin.create_user("bob", "customer", "C0002", PASSWORD)
    key = admin.create_api_key("bob")[1]
    with TestClient(create_app(settings, services), headers={"Authorization": f"Bearer {key}"}) as client:
        assert client.get("/v1/threads").status_code == 200
        admin.set_disabled("bob", True)
        refused = client.get("/v1/threads")
        assert refused.status_code == 401 and "unknown or revoked" in refused.json()["error"]["message"]
    admin.close()
    services.close()


def cli(args, tmp_path, stdin="", **env):
    """`bankassist ARGS` in its own process on a temporary data dir, production mode."""
    environ = {
        "BANKASSIST_MODE": "production", "BANKASSIST_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1", **env,
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "ui", *args], input=stdin, env=environ, capture_output=True, text=True, timeout=120
    )


def test_the_users_commands_as_an_operator_runs_them(tmp_path):
    refused = cli(["ui"], tmp_path, CHAINLIT_AUTH_SECRET="s")
    assert refused.returncode == 1 and refused.stderr.strip().splitlines() == [
        "error: Production mode has no user who can sign in: add one with "
        "`bankassist users add NAME --role analyst`; refusing to start."
    ]
    added = cli(["users", "add", "ana", "--role", "analyst"], tmp_path, stdin=PASSWORD + "\n")
    assert added.returncode == 0 and added.stdout.strip() == "added ana (analyst)"
    again = cli(["users", "add", "ana", "--role", "analyst"], tmp_path, stdin=PASSWORD + "\n")
    assert again.returncode == 1 and again.stderr.strip().splitlines() == [
        "error: There is already a user 'ana'; `bankassist users passwd` changes a password."
    ]
    stranger = cli(["users", "add", "eve", "--role", "customer", "--customer", "C9999"], tmp_path, stdin=PASSWORD)
    assert stranger.returncode == 1 and "no customer 'C9999'" in stranger.stderr
    weak = cli(["users", "add", "bob", "--role", "customer", "--customer", "C0002"], tmp_path, stdin="bob12345\n")
    assert weak.returncode == 1 and "at least 12 characters" in weak.stderr
    disabled = cli(["users", "disable", "ana"], tmp_path)
    assert disabled.stdout.strip() == "disabled ana"
    listed = cli(["users"], tmp_path)
    assert listed.stdout.split() == ["ana", "analyst", "-", "disabled"]
