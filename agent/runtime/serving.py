"""The vLLM command that serves the base model and its adapters (extractor, advisor, answerer) from one server."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from agent.settings import Settings
from tools.errors import ConfigurationError

EXTRACTOR_MODULE = "credit-extractor"
ADVISOR_MODULE = "credit-advisor"
ANSWERER_MODULE = "banking-answerer"


@dataclass(frozen=True)
class AdapterInfo:
    """What `adapter_config.json` says about a peft LoRA adapter."""

    path: Path
    rank: int
    base_model: str


def read_adapter(path: Path) -> AdapterInfo:
    """Read a peft adapter directory; a missing or malformed config is a one-line ConfigurationError."""
    config_file = path.expanduser() / "adapter_config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        return AdapterInfo(path.expanduser(), int(config["r"]), str(config["base_model_name_or_path"]))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{path} is not a LoRA adapter directory: it has no adapter_config.json.") from exc
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{config_file} is not a valid peft adapter config ({exc}).") from exc


def adapter_problem(path: Path, base_model: str) -> str | None:
    """Why a base model cannot wear the adapter at `path` (missing, malformed, another base's), or None."""
    try:
        adapter = read_adapter(path)
    except ConfigurationError as exc:
        return str(exc).rstrip(".")
    if adapter.base_model != base_model:
        return f"{path} was trained on {adapter.base_model!r}, not on the base model {base_model!r}"
    return None


# Pre-quantized checkpoints: the served model is a quantized copy of the base the adapter was trained on.
CHECKPOINT_QUANTIZATIONS = ("awq", "gptq")


def check_adapter(adapter: AdapterInfo, settings: Settings) -> None:
    """Refuse an adapter vLLM would reject: rank above --max-lora-rank, or trained on another base model."""
    if adapter.rank > settings.vllm_max_lora_rank:
        raise ConfigurationError(
            f"{adapter.path}: the adapter's LoRA rank is {adapter.rank}, above --max-lora-rank "
            f"{settings.vllm_max_lora_rank}; raise BANKASSIST_VLLM_MAX_LORA_RANK."
        )
    if settings.vllm_quantization in CHECKPOINT_QUANTIZATIONS:
        check_quantized_checkpoint(adapter, settings)
    elif adapter.base_model != settings.vllm_base_model:
        raise ConfigurationError(
            f"{adapter.path}: the adapter was trained on {adapter.base_model!r} but the server would serve "
            f"{settings.vllm_base_model!r}; set BANKASSIST_VLLM_BASE_MODEL to the adapter's base."
        )


def check_quantized_checkpoint(adapter: AdapterInfo, settings: Settings) -> None:
    """An AWQ/GPTQ checkpoint must be a quantized copy of the adapter's base, named after it and the method.

    LoRA weights are added to the layers' outputs in 16 bits, so an adapter trained on the full-precision
    base works on its AWQ/GPTQ copy; on another model's copy it would load and answer wrongly.
    """
    served = settings.vllm_base_model.lower()
    base_name = adapter.base_model.rstrip("/").rsplit("/", 1)[-1].lower()
    if base_name not in served or settings.vllm_quantization not in served:
        raise ConfigurationError(
            f"{adapter.path}: --quantization {settings.vllm_quantization} serves a pre-quantized checkpoint, and "
            f"{settings.vllm_base_model!r} does not look like an {settings.vllm_quantization.upper()} copy of the "
            f"adapter's base {adapter.base_model!r}; set BANKASSIST_VLLM_BASE_MODEL to one (its name holds both)."
        )


def vllm_command(settings: Settings) -> list[str]:
    """`vllm serve` with the served name, the credit adapters as LoRA modules, and the memory settings."""
    command = ["vllm", "serve", settings.vllm_base_model, "--served-model-name", settings.vllm_served_model_name]
    command += lora_flags(settings)
    if settings.vllm_quantization != "none":
        command += ["--quantization", settings.vllm_quantization]
    if settings.vllm_tool_call_parser:
        command += ["--enable-auto-tool-choice", "--tool-call-parser", settings.vllm_tool_call_parser]
    command += ["--max-model-len", str(settings.vllm_max_model_len)]
    command += ["--gpu-memory-utilization", f"{settings.vllm_gpu_memory_utilization:g}"]
    return [*command, "--host", settings.vllm_host, "--port", str(settings.vllm_port)]


def served_adapters(settings: Settings) -> dict[str, Path]:
    """The LoRA modules to serve, by name: only adapters the operator configured (the shipped ones are SmolLM2's)."""
    configured = {
        EXTRACTOR_MODULE: settings.adapter_path,
        ADVISOR_MODULE: settings.advisor_adapter_path,
        ANSWERER_MODULE: settings.answerer_adapter_path,
    }
    return {name: path for name, path in configured.items() if path is not None}


def lora_flags(settings: Settings) -> list[str]:
    """`--enable-lora` and every adapter, checked, in one `--lora-modules` (vLLM keeps only its last occurrence)."""
    adapters = {name: read_adapter(path) for name, path in served_adapters(settings).items()}
    if not adapters:
        return []
    for adapter in adapters.values():
        check_adapter(adapter, settings)
    modules = [f"{name}={adapter.path}" for name, adapter in adapters.items()]
    flags = ["--enable-lora", "--lora-modules", *modules, "--max-lora-rank", str(settings.vllm_max_lora_rank)]
    # vLLM's --max-loras (default 1) is how many adapters one batch may mix; at 1 an advisor request waits for
    # the extractor requests in flight to finish.
    return flags + ["--max-loras", str(len(adapters))] if len(adapters) > 1 else flags


def shell_line(command: list[str]) -> str:
    """The command as one copy-pasteable shell line."""
    return shlex.join(command)
