"""`bankassist db upgrade`: bring the app database (and the conversation tables beside it) to the newest schema.

The app image runs it before the servers start, so replicas starting together never race to migrate.
Servers also upgrade on open, under the same lock, for a machine where nobody ran it.
"""

from __future__ import annotations

import typer

db_app = typer.Typer(help="The app database's schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Run the migrations of BANKASSIST_DATABASE_URL, then set up the checkpoint and chat-history tables."""
    from agent.service import get_settings, upgrade_database
    from ui.chat_store import ensure_schema

    settings = get_settings()
    print(upgrade_database(settings))
    assert settings.chat_db_url is not None  # filled by the settings validator
    ensure_schema(settings.chat_db_url)
