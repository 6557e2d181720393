"""Who is calling, and what their role allows: shared by the REST API and the web UI."""

from __future__ import annotations

from agent.service import Settings, User, UserStore
from tools.errors import AuthenticationError, ConfigurationError, PermissionDeniedError


def user_from_api_key(users: UserStore, secret: str | None) -> User:
    """The owner of an active API key; a missing, unknown or revoked key is an AuthenticationError."""
    if not secret:
        raise AuthenticationError("An API key is required: send `Authorization: Bearer <key>`.")
    user = users.user_for_key(secret.strip())
    if user is None:
        raise AuthenticationError("The API key is unknown or revoked.")
    return user


def require_analyst(user: User) -> User:
    """Analysts only."""
    if user.role != "analyst":
        raise PermissionDeniedError("Only analysts may do this.")
    return user


def own_customer(user: User) -> str:
    """The customer a customer-role user is; analysts have none of their own."""
    if user.role != "customer" or user.customer_id is None:
        raise PermissionDeniedError("Only customers have their own credit review; analysts use /v1/customers/{id}.")
    return user.customer_id


def require_users(settings: Settings, users: UserStore) -> None:
    """Production does not start when nobody could sign in: the operator adds users first."""
    if settings.mode == "production" and not users.can_anyone_sign_in():
        raise ConfigurationError(
            "Production mode has no user who can sign in: add one with "
            "`bankassist users add NAME --role analyst`; refusing to start."
        )
