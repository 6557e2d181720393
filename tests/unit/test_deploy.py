"""The deployment files: the compose file validates against the Compose specification, offline."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    return subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(path)], capture_output=True, text=True
    )


def test_the_compose_file_matches_the_compose_specification():
    result = validate(DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_compose_file(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  app:\n    image: 5\n    ports: not-a-list\n    healthcheck: {interval: []}\n")
    assert validate(broken).returncode != 0


@pytest.mark.parametrize("name", ["compose.yaml", ".env.example"])
def test_every_bankassist_variable_in_the_deployment_is_a_real_setting(name):
    text = (DEPLOY / name).read_text()
    used = set(re.findall(r"BANKASSIST_([A-Z0-9_]+)", text))
    assert used and used <= {field.upper() for field in Settings.model_fields}


def test_the_compose_file_migrates_once_then_starts_the_ui_and_two_api_replicas_on_one_database():
    text = (DEPLOY / "compose.yaml").read_text()
    services = yaml.safe_load(text)["services"]
    assert list(services) == ["vllm", "weaviate", "postgres", "migrate", "app", "api"]
    assert text.count("healthcheck:") == 5 and "capabilities: [gpu]" in text
    assert services["migrate"]["command"] == ["bankassist", "db", "upgrade"]
    for name in ("app", "api"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["environment"]["BANKASSIST_DATABASE_URL"].startswith("postgresql://")
    assert services["api"]["deploy"]["replicas"] == 2


@pytest.mark.parametrize("mounted", [(), ("credit-extractor",), ("credit-extractor", "credit-advisor")])
def test_the_vllm_service_serves_the_adapters_that_are_mounted(tmp_path, mounted):
    """The service's start script, run by sh as compose runs it (`$$` is compose's escape for `$`)."""
    import yaml

    service = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["vllm"]
    assert service["entrypoint"] == ["/bin/sh", "-c"]
    adapters = tmp_path / "adapters"
    script = service["command"][0].replace("$$", "$").replace("/adapters", str(adapters))
    for name in mounted:
        (adapters / name).mkdir(parents=True)
        (adapters / name / "adapter_config.json").write_text("{}")
    fake = tmp_path / "bin" / "vllm"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin", "VLLM_BASE_MODEL": "meta-llama/Meta-Llama-3-8B-Instruct"}
    done = subprocess.run(["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=10)
    args = done.stdout.splitlines()
    assert done.returncode == 0 and args[:2] == ["serve", "--model=meta-llama/Meta-Llama-3-8B-Instruct"]
    assert ("--enable-lora" in args) is bool(mounted)
    assert args.count("--lora-modules") == (1 if mounted else 0)  # vLLM keeps only the last such flag
    assert [a for a in args if "=" in a and a.split("=")[0] in ("credit-extractor", "credit-advisor")] == [
        f"{name}={adapters / name}" for name in mounted
    ]
    for name in ("credit-extractor", "credit-advisor"):
        assert (f"no adapter in {adapters / name}" in done.stderr) is (name not in mounted)
