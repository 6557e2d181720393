"""CLI commands around the web UI: `ui` (serve the Chainlit app) and `feedback export`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agent.service import Settings

APP_ROOT = Path(__file__).resolve().parents[1]  # where .chainlit/config.toml and public/ (logo, theme) live
APP_FILE = APP_ROOT / "ui" / "app.py"
feedback_app = typer.Typer(help="Ratings users gave the assistant's answers in the web UI.", no_args_is_help=True)


def serve_ui(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
) -> None:
    """Serve the Chainlit web UI (the same app as `chainlit run ui/app.py`)."""
    from agent.service import get_settings
    from ui.web_runtime import AUTH_SECRET_ENV, check_launch, demo_auth_secret

    settings, env = get_settings(), dict(os.environ)
    check_launch(settings, env)
    check_users(settings)
    if not env.get(AUTH_SECRET_ENV):
        env[AUTH_SECRET_ENV] = demo_auth_secret(settings.data_dir)
        typer.echo(f"demo mode: signing sessions with the secret in {settings.data_dir}/chainlit_auth_secret", err=True)
    env["CHAINLIT_APP_ROOT"] = str(APP_ROOT)
    chainlit = Path(sys.executable).with_name("chainlit")
    args = [str(chainlit), "run", str(APP_FILE), "--headless", "--host", host, "--port", str(port)]
    typer.echo(f"bankassist web UI on http://{host}:{port}", err=True)
    os.execve(chainlit, args, env)  # the server replaces this process, so Ctrl-C and signals reach it directly


def check_users(settings: Settings) -> None:
    """Production needs a user who can sign in before it serves anyone (`bankassist users add`)."""
    from ui.auth import require_users
    from ui.cli_users import user_store

    with user_store(settings) as users:
        require_users(settings, users)


@feedback_app.command("export")
def export_feedback(
    out: Annotated[Path, typer.Argument(help="The JSON Lines file to write, e.g. feedback.jsonl.")],
) -> None:
    """Write every rated answer (thumbs up or down, the comment, the masked exchange) as JSON lines."""
    from agent.service import get_settings
    from tools.errors import InvalidInputError
    from ui.chat_store import export_feedback as export

    if not out.parent.is_dir():
        raise InvalidInputError(f"The directory {out.parent} does not exist.")
    url = get_settings().chat_db_url
    assert url is not None  # filled by the settings validator
    count = export(url, out)
    typer.echo(f"{count} rated answers written to {out}", err=True)
