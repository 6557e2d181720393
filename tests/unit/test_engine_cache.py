"""The CTranslate2 conversion cache: keys, manifests, interrupted and damaged conversions (converter faked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.runtime import engine_cache
from agent.runtime.engine_cache import (
    MANIFEST,
    STAGING_PREFIX,
    conversion_key,
    converted_model,
    is_complete,
    remove_abandoned_staging,
)
from tools.errors import ModelFilesError


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "SmolLM2-test"
    folder.mkdir()
    return folder


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    folder = tmp_path / "adapter"
    folder.mkdir()
    (folder / "adapter_config.json").write_text('{"r": 8}')
    (folder / "adapter_model.safetensors").write_bytes(b"weights v1")
    return folder


@pytest.fixture
def fake_converter(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str]]:
    """Record conversions and write a small model instead of running CTranslate2."""
    calls: list[tuple[Path, str]] = []

    def convert(source: Path, output: Path, precision: str) -> None:
        calls.append((source, precision))
        output.mkdir()
        (output / "model.bin").write_bytes(b"x" * 100)
        (output / "config.json").write_text("{}")

    monkeypatch.setattr(engine_cache, "_run_converter", convert)
    monkeypatch.setattr(engine_cache, "_merged_checkpoint", lambda model, adapter, out: out)
    return calls


def test_the_key_names_model_adapter_hash_engine_and_precision(model_dir: Path, adapter: Path):
    key = conversion_key(model_dir, adapter, "int8")
    assert key.startswith("SmolLM2-test-lora") and key.endswith("-ct2-int8")
    assert conversion_key(model_dir, None, "float32") == "SmolLM2-test-base-ct2-float32"
    (adapter / "adapter_model.safetensors").write_bytes(b"weights v2")  # a retrained adapter
    assert conversion_key(model_dir, adapter, "int8") != key


def test_two_adapters_on_one_base_get_two_conversions(model_dir: Path, adapter: Path, tmp_path: Path):
    advisor = tmp_path / "advisor"
    advisor.mkdir()
    (advisor / "adapter_config.json").write_text('{"r": 8}')
    (advisor / "adapter_model.safetensors").write_bytes(b"advisor weights")
    keys = {conversion_key(model_dir, folder, "int8") for folder in (None, adapter, advisor)}
    assert len(keys) == 3


def test_a_missing_adapter_file_is_a_one_line_error(model_dir: Path, adapter: Path):
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelFilesError, match="adapter_model.safetensors is missing"):
        conversion_key(model_dir, adapter, "int8")


def test_a_conversion_runs_once_and_lands_complete(model_dir, tmp_path, fake_converter):
    cache = tmp_path / "cache"
    first = converted_model(model_dir, None, "int8", cache)
    again = converted_model(model_dir, None, "int8", cache)
    assert first == again and len(fake_converter) == 1
    assert is_complete(first) and json.loads((first / MANIFEST).read_text())["model.bin"] == 100
    assert not list(cache.glob(f"{STAGING_PREFIX}*"))


def test_a_damaged_conversion_is_converted_again(model_dir, tmp_path, fake_converter):
    cache = tmp_path / "cache"
    target = converted_model(model_dir, None, "int8", cache)
    (target / "model.bin").write_bytes(b"x" * 40)  # truncated
    assert not is_complete(target)
    assert converted_model(model_dir, None, "int8", cache) == target
    assert len(fake_converter) == 2 and is_complete(target)


def test_a_folder_without_its_manifest_is_not_complete(tmp_path: Path):
    (tmp_path / "model.bin").write_bytes(b"x")
    assert not is_complete(tmp_path)
    (tmp_path / MANIFEST).write_text("not json")
    assert not is_complete(tmp_path)


def test_staging_of_a_dead_process_is_removed_and_a_live_ones_kept(tmp_path: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    abandoned = tmp_path / f"{STAGING_PREFIX}{dead.stdout.strip()}-abc"
    running = tmp_path / f"{STAGING_PREFIX}{os.getpid()}-def"
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / "model.bin").write_bytes(b"partial")
    remove_abandoned_staging(tmp_path)
    assert not abandoned.exists() and running.exists()


def test_an_adapter_conversion_uses_the_merged_checkpoint(model_dir, adapter, tmp_path, fake_converter):
    target = converted_model(model_dir, adapter, "int8", tmp_path / "cache")
    source, precision = fake_converter[0]
    assert source.name == "merged" and precision == "int8" and "-lora" in target.name
