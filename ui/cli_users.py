"""`bankassist users`: add users, set their passwords, disable and enable them, list them.

Passwords come from a hidden prompt (typed twice) or, when stdin is not a terminal, from its first line:
never from the command line, where `ps` and the shell's history would show them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from tools.errors import InvalidInputError

if TYPE_CHECKING:
    from agent.service import Settings, UserStore

users_app = typer.Typer(help="Add users, set passwords, disable and enable users, list them.")
NameArg = Annotated[str, typer.Argument(help="The user's sign-in name, e.g. ana.")]


class RoleChoice(StrEnum):
    """The roles a user can have."""

    customer = "customer"
    analyst = "analyst"


@users_app.callback(invoke_without_command=True)
def users_main(context: typer.Context) -> None:
    """Without a command: list the users."""
    if context.invoked_subcommand is None:
        list_users()


@users_app.command("list")
def list_users() -> None:
    """Every user: name, role, customer and whether they are disabled."""
    with user_store() as users:
        for user in users.list_users():
            state = "disabled" if user.disabled else "active"
            print(f"{user.name:<12} {user.role:<9} {user.customer_id or '-':<8} {state}")


@users_app.command("add")
def add_user(
    name: NameArg,
    role: Annotated[RoleChoice, typer.Option("--role", help="customer: their own data only; analyst: any customer.")],
    customer: Annotated[str | None, typer.Option("--customer", help="The customer id a customer user is.")] = None,
) -> None:
    """Add a user; the password is asked for (or read from stdin)."""
    from agent.service import get_settings

    settings = get_settings()
    check_customer_link(settings, role, customer)
    password = read_password()
    with user_store(settings) as users:
        users.create_user(name, role.value, customer, password)
    print(f"added {name} ({role.value}{f', customer {customer}' if customer else ''})")


@users_app.command("passwd")
def change_password(name: NameArg) -> None:
    """Set a user's password; it is asked for (or read from stdin)."""
    password = read_password()
    with user_store() as users:
        users.set_password(name, password)
    print(f"password changed for {name}")


@users_app.command("disable")
def disable_user(name: NameArg) -> None:
    """Stop a user at once: their web sessions and API keys are refused from the next request on."""
    with user_store() as users:
        users.set_disabled(name, True)
    print(f"disabled {name}")


@users_app.command("enable")
def enable_user(name: NameArg) -> None:
    """Let a disabled user sign in again (their keys that were not revoked work again)."""
    with user_store() as users:
        users.set_disabled(name, False)
    print(f"enabled {name}")


def check_customer_link(settings: Settings, role: RoleChoice, customer: str | None) -> None:
    """A customer user names an existing customer; an analyst names none."""
    from agent.service import list_customers

    if role is RoleChoice.analyst:
        if customer is not None:
            raise InvalidInputError("An analyst is not a customer: leave out --customer.")
        return
    if not customer:
        raise InvalidInputError("A customer user needs --customer ID (the customer they are, e.g. C0001).")
    known = any(listed.id == customer for listed in list_customers(settings))
    if not known:
        raise InvalidInputError(
            f"There is no customer {customer[:40]!r}; `bankassist seed` or `import-report` adds them."
        )


def read_password() -> str:
    """A hidden prompt typed twice at a terminal; otherwise stdin's first line."""
    from agent.service import check_utf8

    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = check_utf8(sys.stdin.readline(), "The password").rstrip("\r\n")
    if not line:
        raise InvalidInputError("No password: type it at the prompt, or give it as the first line of stdin.")
    return line


@contextmanager
def user_store(settings: Settings | None = None) -> Iterator[UserStore]:
    """The user store of the configured app DB."""
    from agent.service import get_settings, open_user_store

    store = open_user_store(settings or get_settings())
    try:
        yield store
    finally:
        store.close()
