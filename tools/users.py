"""Users, roles and API keys in the app DB: shared by the REST API and the web UI.

API keys are random 256-bit tokens, so a SHA-256 digest is a safe way to store them (a slow password hash
guards low-entropy secrets). Passwords are hashed with argon2.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from tools.errors import InvalidInputError
from tools.migrate import open_database

Role = Literal["customer", "analyst"]
KEY_PREFIX = "bk_"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000  # a bound on what argon2 is asked to hash; the web login cuts there too
ENABLED = "disabled_at IS NULL"
USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
# The demo users an outside browser check relies on: exactly these names and customers.
DEMO_USERS: tuple[tuple[str, Role, str | None], ...] = (
    ("alice", "customer", "C0001"),
    ("bob", "customer", "C0002"),
    ("ana", "analyst", None),
)


@dataclass(frozen=True)
class User:
    """Who is calling: customers see only their own customer id's data; analysts see any customer."""

    name: str
    role: Role
    customer_id: str | None
    disabled: bool = False


@dataclass(frozen=True)
class ApiKey:
    """A stored key: its public id (for revocation and listing) and owner, never the secret."""

    key_id: str
    user_name: str
    created_at: str
    revoked_at: str | None


class UserStore:
    """Users, API keys and thread ownership; every write is one transaction."""

    def __init__(self, url: str) -> None:
        """Open the app database at `url` (sqlite:///... or postgresql://...)."""
        self._db = open_database(url)

    def add_user(self, name: str, role: Role, customer_id: str | None, password: str | None = None) -> None:
        """Create or update a user; a password, when given, is stored as an argon2 hash."""
        password_hash = hash_password(password) if password else None
        self._db.execute(
            "INSERT INTO app_users (name, role, customer_id, password_hash) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET role = excluded.role, customer_id = excluded.customer_id, "
            "password_hash = COALESCE(excluded.password_hash, app_users.password_hash)",
            (name, role, customer_id, password_hash),
        )

    def create_user(self, name: str, role: Role, customer_id: str | None, password: str) -> None:
        """Add a new user with a password that meets the policy; an existing name is refused."""
        check_user_name(name)
        check_password_policy(name, password)
        from sqlalchemy.exc import IntegrityError

        try:
            self._db.execute(
                "INSERT INTO app_users (name, role, customer_id, password_hash) VALUES (?, ?, ?, ?)",
                (name, role, customer_id, hash_password(password)),
            )
        except IntegrityError as exc:  # two `users add` of one name, even racing on two machines
            raise InvalidInputError(
                f"There is already a user {name[:40]!r}; `bankassist users passwd` changes a password."
            ) from exc

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password (the policy applies); an unknown name is an error."""
        check_password_policy(name, password)
        self._update_user(name, "password_hash = ?", (hash_password(password),))

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable a user (their web sessions and API keys stop at the next request) or enable them again."""
        self._update_user(name, "disabled_at = ?", (_now() if disabled else None,))

    def _update_user(self, name: str, assignment: str, values: tuple[str | None, ...]) -> None:
        changed = self._db.execute(f"UPDATE app_users SET {assignment} WHERE name = ?", (*values, name)).rowcount
        if not changed:
            raise InvalidInputError(f"There is no user {name[:40]!r}; `bankassist users list` lists them.")

    def get_user(self, name: str) -> User | None:
        """One enabled user, or None (unknown or disabled)."""
        row = self._db.execute(
            f"SELECT name, role, customer_id FROM app_users WHERE name = ? AND {ENABLED}", (name,)
        ).fetchone()
        return User(*row) if row else None

    def list_users(self) -> list[User]:
        """Every user, disabled ones too, by name."""
        rows = self._db.execute("SELECT name, role, customer_id, disabled_at IS NOT NULL FROM app_users ORDER BY name")
        return [User(name, role, customer_id, bool(disabled)) for name, role, customer_id, disabled in rows]

    def can_anyone_sign_in(self) -> bool:
        """Some enabled user has a password or an active API key."""
        row = self._db.execute(
            f"SELECT 1 FROM app_users u WHERE {ENABLED} AND (password_hash IS NOT NULL OR EXISTS "
            "(SELECT 1 FROM api_keys k WHERE k.user_name = u.name AND k.revoked_at IS NULL)) LIMIT 1"
        ).fetchone()
        return row is not None

    def check_password(self, name: str, password: str) -> User | None:
        """The enabled user when the password matches their stored hash, else None (always one argon2 check)."""
        row = self._db.execute(f"SELECT password_hash FROM app_users WHERE name = ? AND {ENABLED}", (name,)).fetchone()
        stored = row[0] if row and row[0] else None
        # Unknown and disabled users are checked against a dummy hash so the answer takes as long either way.
        matches = verify_password(stored or _dummy_hash(), password)
        return self.get_user(name) if stored and matches else None

    def create_api_key(self, user_name: str) -> tuple[str, str]:
        """A new key for an existing user: (key_id, secret). The secret is shown once and stored hashed."""
        if self.get_user(user_name) is None:
            raise InvalidInputError(f"There is no user {user_name[:40]!r}; `bankassist users` lists them.")
        key_id, secret = secrets.token_hex(4), KEY_PREFIX + secrets.token_urlsafe(32)
        self._db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, NULL)", (key_id, user_name, _digest(secret), _now()))
        return key_id, secret

    def revoke_api_key(self, key_id: str) -> None:
        """Revoke a key by its id; an unknown or already revoked id is an error."""
        changed = self._db.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (_now(), key_id)
        ).rowcount
        if not changed:
            raise InvalidInputError(f"There is no active API key {key_id[:40]!r}; `bankassist apikey list` lists them.")

    def list_api_keys(self) -> list[ApiKey]:
        """Every key's id, owner and dates (never the secret)."""
        rows = self._db.execute("SELECT key_id, user_name, created_at, revoked_at FROM api_keys ORDER BY created_at")
        return [ApiKey(*row) for row in rows]

    def user_for_key(self, secret: str) -> User | None:
        """The owner of an active key, or None for an unknown or revoked one."""
        row = self._db.execute(
            "SELECT u.name, u.role, u.customer_id FROM api_keys k JOIN app_users u ON u.name = k.user_name "
            f"WHERE k.key_hash = ? AND k.revoked_at IS NULL AND u.{ENABLED}",
            (_digest(secret),),
        ).fetchone()
        return User(*row) if row else None

    def claim_thread(self, thread_id: str, user_name: str) -> bool:
        """Record the owner of a new thread; False when it already belongs to someone else."""
        inserted = self._db.execute(
            "INSERT INTO thread_owners (thread_id, user_name, claimed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (thread_id) DO NOTHING",
            (thread_id, user_name, time.time()),
        )
        return inserted.rowcount == 1 or self.thread_owner(thread_id) == user_name

    def thread_owner(self, thread_id: str) -> str | None:
        """Who owns a thread (None: unknown, or started outside the API)."""
        row = self._db.execute("SELECT user_name FROM thread_owners WHERE thread_id = ?", (thread_id,)).fetchone()
        return row[0] if row else None

    def threads_of(self, user_name: str) -> list[str]:
        """The ids of a user's threads."""
        rows = self._db.execute(
            "SELECT thread_id FROM thread_owners WHERE user_name = ? ORDER BY claimed_at, thread_id", (user_name,)
        )
        return [thread_id for (thread_id,) in rows]

    def close(self) -> None:
        """Close the connections."""
        self._db.close()


def seed_demo_users(store: UserStore, password: str | None) -> None:
    """Create alice, bob and ana; their password is set only when a demo password is given."""
    for name, role, customer_id in DEMO_USERS:
        store.add_user(name, role, customer_id, password)


def check_user_name(name: str) -> None:
    """1 to 64 letters, digits and . _ @ -: a name that prints safely in logs and lists."""
    if not USER_NAME.fullmatch(name):
        raise InvalidInputError(
            f"{name[:40]!r} is not a valid user name: use 1 to 64 letters, digits, '.', '_', '@' or '-'."
        )


def check_password_policy(name: str, password: str) -> None:
    """At least MIN_PASSWORD_LENGTH characters and not built on the user name; else a one-line error."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError(f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInputError(f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters.")
    if name.strip().lower() in password.lower():
        raise InvalidInputError("The password must not contain the user name.")


def hash_password(password: str) -> str:
    """An argon2id hash with the library's recommended parameters."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, for timing parity."""
    return hash_password(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    """SHA-256 hex digest of an API key."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    """UTC timestamp, ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
