"""The README's two commands are the ones CI runs."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start, flags=re.S)


def test_ci_runs_the_readme_install_and_test_commands_verbatim():
    install, server_install, test = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and server_install in ci
    assert test in ci
    assert "pip install" in install and "bankassist ask" in install
    assert ".venv-langgraph" in server_install and "constraints-langgraph.txt" in server_install
    assert "pytest" in test


def test_every_file_the_readme_names_exists():
    text = (ROOT / "README.md").read_text()
    folders = "agent|tools|retrieval|finetune|ui|evals|tests|deploy|docs"
    named = set(re.findall(rf"`((?:{folders})/[\w./-]+\.(?:py|jsonl|json|yaml))`", text))
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"the README names files that do not exist: {missing}"


@pytest.mark.parametrize("constraints", ["constraints.txt", "constraints-langgraph.txt"])
def test_every_pin_resolves_from_pypi_alone(constraints):
    """A local version label (`torch==2.13.0+cpu`) exists only on its maker's index, not on PyPI."""
    pins = [line for line in (ROOT / constraints).read_text().splitlines() if "==" in line]
    local = [pin for pin in pins if "+" in pin.split("==", 1)[1]]
    assert len(pins) > 100 and not local, f"pins PyPI cannot serve: {local}"
