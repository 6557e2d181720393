"""What the CLI's command modules share: stdout kept for results, and errors as one line on stderr."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Iterator
from typing import NoReturn

from pydantic import ValidationError


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Keep library chatter off stdout, which carries only the result."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def setting_error(exc: ValidationError) -> str:
    """Name the environment variable of the first invalid setting (a rule across settings names its own)."""
    first = exc.errors()[0]
    if not first["loc"]:
        return f"invalid settings: {first['msg'].removeprefix('Value error, ')}"
    name = "_".join(str(part) for part in first["loc"]).upper()
    return f"invalid setting BANKASSIST_{name}: {first['msg']}"


def fail(message: str) -> NoReturn:
    """Print one error line and exit with status 1."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def operator() -> str:
    """Who runs the CLI, for the audit log: the OS account (`--customer` is an operator's tool)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container's uid with no passwd entry and no USER
        return "cli"
