"""Convert the base model (and the base with a role's adapter merged in) once into CTranslate2's format.

Each conversion lands in the model cache under a key naming the model, the adapter's hash, the engine and the
precision. It is staged in a temporary folder and renamed into place, so a reader never sees half a model; a
manifest of file sizes written last lets a later start tell a complete conversion from a damaged one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from tools.errors import ModelFilesError, first_line

log = logging.getLogger(__name__)
ENGINE = "ct2"
MANIFEST = "bankassist-manifest.json"
STAGING_PREFIX = ".converting-"


def adapter_hash(adapter_dir: Path) -> str:
    """A short hash of the adapter's config and weights: a retrained adapter gets a new cache entry."""
    digest = hashlib.sha256()
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        path = adapter_dir / name
        if not path.is_file():
            raise ModelFilesError(f"No LoRA adapter found at {adapter_dir} ({name} is missing).")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def conversion_key(model_dir: Path, adapter_dir: Path | None, precision: str) -> str:
    """`<model>-<adapter hash or base>-ct2-<precision>`, a folder name in the model cache."""
    adapter = f"lora{adapter_hash(adapter_dir)}" if adapter_dir else "base"
    return f"{model_dir.name}-{adapter}-{ENGINE}-{precision}"


def converted_model(model_dir: Path, adapter_dir: Path | None, precision: str, cache_dir: Path) -> Path:
    """Return the CTranslate2 model for the base (or base + adapter), converting it first if needed."""
    target = cache_dir / conversion_key(model_dir, adapter_dir, precision)
    if is_complete(target):
        return target
    if target.exists():
        log.warning("The converted model at %s is incomplete or damaged: converting it again", target)
        shutil.rmtree(target, ignore_errors=True)
    remove_abandoned_staging(cache_dir)
    _convert_into(target, model_dir, adapter_dir, precision)
    return target


def is_complete(target: Path) -> bool:
    """Every file the manifest lists is there with its recorded size."""
    try:
        sizes = json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(sizes, dict) and all(
        (target / name).is_file() and (target / name).stat().st_size == size for name, size in sizes.items()
    )


def remove_abandoned_staging(cache_dir: Path) -> None:
    """Delete staging folders of conversions whose process died (killed, out of memory) before finishing."""
    for staging in cache_dir.glob(f"{STAGING_PREFIX}*"):
        pid = _staging_pid(staging)
        if pid is None or not _process_alive(pid):
            log.warning("Removing %s, left by an interrupted conversion", staging.name)
            shutil.rmtree(staging, ignore_errors=True)


def _staging_pid(staging: Path) -> int | None:
    """The converting process's id, which the staging folder's name carries."""
    parts = staging.name[len(STAGING_PREFIX) :].split("-")
    return int(parts[0]) if parts and parts[0].isdigit() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _convert_into(target: Path, model_dir: Path, adapter_dir: Path | None, precision: str) -> None:
    """Convert in a staging folder, write the manifest last, then rename it into place (atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    what = f"{model_dir.name} with the adapter {adapter_dir.name}" if adapter_dir else model_dir.name
    log.warning("Converting %s for CTranslate2 (%s), once; later starts reuse %s", what, precision, target)
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=target.parent))
    try:
        source = _merged_checkpoint(model_dir, adapter_dir, staging / "merged") if adapter_dir else model_dir
        output = staging / "model"
        _run_converter(source, output, precision)
        _write_manifest(output)
        try:
            os.rename(output, target)
        except OSError:
            if not is_complete(target):
                raise
            log.info("Another process converted %s first", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.warning("Converted %s in %.0f s", target.name, time.monotonic() - started)


def _merged_checkpoint(model_dir: Path, adapter_dir: Path, out_dir: Path) -> Path:
    """The base with the LoRA adapter merged into its weights, saved as a plain checkpoint."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(model_dir)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(out_dir)
    return out_dir


def _run_converter(source: Path, output: Path, precision: str) -> None:
    """CTranslate2's converter for transformers checkpoints, quantizing the weights to `precision`."""
    from ctranslate2.converters import TransformersConverter

    try:
        TransformersConverter(str(source), copy_files=["tokenizer.json"]).convert(
            str(output), quantization=precision, force=True
        )
    except (OSError, ValueError, NotImplementedError) as exc:
        raise ModelFilesError(f"Cannot convert {source.name} for CTranslate2: {first_line(exc)}") from exc


def _write_manifest(output: Path) -> None:
    """Record each file's size; written last, so its presence means the conversion finished."""
    sizes = {path.name: path.stat().st_size for path in output.iterdir() if path.is_file()}
    (output / MANIFEST).write_text(json.dumps(sizes, sort_keys=True))
