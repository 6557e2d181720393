"""The import contracts (pyproject.toml's [tool.importlinter]) hold on the tree, and catch a break."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("agent", "tools", "retrieval", "finetune", "ui", "evals")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the packages under `root`, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def tree_with_contracts(tmp_path: Path, files: dict[str, str]) -> Path:
    """A throwaway tree: the six packages (empty but for `files`) under the project's own contracts."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for sub in ("agent/service", "agent/runtime", "agent/scope", "agent/nodes", "retrieval/stores"):
        (tmp_path / sub).mkdir(exist_ok=True)
        (tmp_path / sub / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (tmp_path / ".importlinter").write_text(to_ini(config))
    return tmp_path


def to_ini(config: dict) -> str:
    """import-linter's INI form of the TOML contracts (a tmp tree has no pyproject to read them from)."""
    lines = ["[importlinter]", "root_packages =\n    " + "\n    ".join(config["root_packages"])]
    for number, contract in enumerate(config["contracts"]):
        lines.append(f"\n[importlinter:contract:{number}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =" + "".join(f"\n    {item}" for item in value))
            else:
                lines.append(f"{key} = {value}")
        # A small tree need not use every import the project's contract allows.
        lines.append("unmatched_ignore_imports_alerting = none")
    return "\n".join(lines) + "\n"


def test_the_project_keeps_every_contract():
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_tools_importing_the_agent_breaks_a_contract(tmp_path):
    root = tree_with_contracts(tmp_path, {"agent/graph.py": "", "tools/diff.py": "import agent.graph\n"})
    result = lint_imports(root)
    assert result.returncode == 1
    assert "tools.diff -> agent.graph" in result.stdout


def test_a_front_end_reaching_past_agent_service_breaks_a_contract(tmp_path):
    files = {
        "agent/graph.py": "",
        "ui/api.py": "import agent.service\nimport tools.errors\nimport agent.graph\n",
        "tools/errors.py": "",
    }
    result = lint_imports(tree_with_contracts(tmp_path, files))
    assert result.returncode == 1
    assert "ui.api -> agent.graph" in result.stdout
    assert "ui.api -> agent.service" not in result.stdout and "ui.api -> tools.errors" not in result.stdout


def test_an_import_cycle_between_two_modules_breaks_a_contract(tmp_path):
    files = {"evals/rag.py": "import evals.judge\n", "evals/judge.py": "import evals.rag\n"}
    result = lint_imports(tree_with_contracts(tmp_path, files))
    assert result.returncode == 1
    assert "No cycles are allowed in evals" in result.stdout


def import_cycles(packages: tuple[str, ...] = PACKAGES) -> list[list[str]]:
    """Groups of modules that import each other, at any depth (a package and its own module included)."""
    import grimp

    graph = grimp.build_graph(*packages, cache_dir=None)
    return [sorted(group) for group in strongly_connected(graph) if len(group) > 1]


def strongly_connected(graph) -> list[set[str]]:
    """Tarjan's strongly connected components of the module graph, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = set()
                while (member := stack.pop()) != module:
                    group.add(member)
                groups.append(group | {module})
    return groups


def test_no_module_is_in_an_import_cycle_with_its_own_package_either():
    assert import_cycles() == []


def test_a_package_and_its_module_importing_each_other_is_a_cycle(tmp_path, monkeypatch):
    # A package name of its own, so the project's already imported packages are not disturbed.
    package = tmp_path / "cyclic_stores"
    package.mkdir()
    (package / "__init__.py").write_text("from cyclic_stores.weaviate import Store\n")
    (package / "weaviate.py").write_text("from cyclic_stores import Options\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(("cyclic_stores",)) == [["cyclic_stores", "cyclic_stores.weaviate"]]
