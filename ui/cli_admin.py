"""CLI commands around the REST API: `api` (serve it), `apikey create|revoke|list`, `serve` (vLLM)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ui.cli_users import user_store

if TYPE_CHECKING:
    from agent.service import Settings

apikey_app = typer.Typer(help="Create, revoke and list API keys.", no_args_is_help=True)


def serve_api(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
    write_openapi: Annotated[
        Path | None, typer.Option("--write-openapi", help="Write the OpenAPI spec to this file and exit.")
    ] = None,
) -> None:
    """Serve the REST API (FastAPI on uvicorn); OpenAPI docs at /docs, the spec at /openapi.json."""
    from ui.api import create_app

    if write_openapi is not None:
        spec = json.dumps(create_app().openapi(), indent=2, sort_keys=True)
        write_openapi.write_text(spec + "\n", encoding="utf-8")
        return
    import uvicorn

    from agent.service import get_settings
    from ui.cli_web import check_users

    check_users(get_settings())
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


@apikey_app.command("create")
def create_key(user: Annotated[str, typer.Option("--user", help="The key's owner, e.g. alice.")]) -> None:
    """Create a key for a user; it is printed once and stored only as a hash."""
    with user_store() as users:
        key_id, secret = users.create_api_key(user)
    print(secret)
    typer.echo(f"key id {key_id} for {user}; keep the key secret, it is not shown again.", err=True)


@apikey_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="The key id printed at creation (`apikey list`).")]) -> None:
    """Revoke a key: calls with it get 401 from now on."""
    with user_store() as users:
        users.revoke_api_key(key_id)
    print(f"revoked {key_id}")


@apikey_app.command("list")
def list_keys() -> None:
    """Every key's id, owner and dates (never the key itself)."""
    with user_store() as users:
        for key in users.list_api_keys():
            print(f"{key.key_id}  {key.user_name:<12} created {key.created_at}  revoked {key.revoked_at or '-'}")


def serve_vllm(
    print_only: Annotated[bool, typer.Option("--print", help="Print only the command.")] = False,
    run: Annotated[bool, typer.Option("--run", help="Run the command (needs the `gpu` extra and a GPU).")] = False,
) -> None:
    """Show (or run) the vLLM command serving the base model and the credit adapters (extractor, advisor)."""
    import os
    import shutil

    from agent.service import get_settings, shell_line, vllm_command
    from tools.errors import ConfigurationError

    settings = get_settings()
    command = vllm_command(settings)
    if not run:
        print(shell_line(command))
        if not print_only:
            typer.echo(_client_settings(settings), err=True)
        return
    if shutil.which("vllm") is None:
        raise ConfigurationError("vllm is not installed: `pip install -e '.[gpu]'` on a machine with a CUDA GPU.")
    os.execvp(command[0], command)  # replace this process: signals and exit status are vLLM's own


def _client_settings(settings: Settings) -> str:
    """How to point bankassist at the server the command starts; a role without its adapter uses the base."""
    from agent.service import ADVISOR_MODULE, ANSWERER_MODULE, EXTRACTOR_MODULE

    line = (
        f"# then: BANKASSIST_BACKEND=openai BANKASSIST_OPENAI_BASE_URL=http://<gpu-host>:{settings.vllm_port}/v1 "
        f"BANKASSIST_OPENAI_SYNTHESIZER_MODEL={settings.vllm_served_model_name} "
        f"BANKASSIST_OPENAI_EXTRACTOR_MODEL={EXTRACTOR_MODULE}"
    )
    line += f" BANKASSIST_OPENAI_ADVISOR_MODEL={ADVISOR_MODULE}" if settings.advisor_adapter_path else ""
    return line + (f" BANKASSIST_OPENAI_ANSWERER_MODEL={ANSWERER_MODULE}" if settings.answerer_adapter_path else "")
