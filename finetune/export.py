"""Ship a trained extractor adapter: save it small, merge it into its base, and write its model card.

Example commands:
    # fold an adapter into its base for `transformers serve` (which loads plain models only)
    python -m finetune.export --adapter finetune/adapters/smollm2-credit-extractor --out /tmp/smollm2-merged
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.runtime.model_files import resolve_model_dir
from agent.runtime.serving import read_adapter
from agent.settings import get_settings
from finetune.config import LAYER_SELECTION_FILE, TrainConfig
from tools.errors import BankassistError, ModelFilesError

TASK = (
    "Reads a side-by-side sheet of two credit reports of one customer (an older and a newer snapshot) and "
    "lists what changed, one fact a line: `Good:- ...` for a change that helps the customer's credit, "
    "`Bad:- ...` for one that hurts it."
)
ANSWERER_TASK = (
    "Answers a bank customer's question from the policy passages retrieved for it: it quotes the sentence that "
    "answers, exactly as the passage states it, cites its source as [n], or gives the contact line when no "
    "passage answers."
)
ADVISOR_TASK = (
    "Answers a customer's question about their own credit report in a short paragraph, from the checked facts "
    "and the improvement plan the assistant gives it: it states only their figures and says what to do first."
)


@dataclass(frozen=True)
class CardText:
    """What a model card says about one task: its title, what the adapter does, its tags and its data."""

    title: str
    description: str
    tag: str
    module: str  # the served LoRA module name
    source: str


CARDS = {
    "extractor": CardText(
        "Credit-fact extractor",
        TASK + " It is the `extractor` role of bankassist; the assistant turns the facts into the customer's answer.",
        "information-extraction",
        "credit-extractor",
        "`finetune.credit_data.split_pairs` (synthetic report pairs; facts from the report diff)",
    ),
    "advisor": CardText(
        "Credit advisor",
        ADVISOR_TASK + " It phrases bankassist's credit answers; every draft is still checked against the facts.",
        "question-answering",
        "credit-advisor",
        "`finetune.advisor_data.split_examples` (questions about synthetic reports; answers pass the draft checks)",
    ),
    "answerer": CardText(
        "Banking answerer",
        ANSWERER_TASK + " It writes bankassist's model-written banking answers; each is still number-checked.",
        "question-answering",
        "banking-answerer",
        "`finetune.answerer_data` (the customer questions of `retrieval/unit_questions.jsonl` with the passages "
        "the retriever returns, and the unanswerable tuning questions; no eval question)",
    ),
}


def load_base_model(base_model: str, dtype: Any, quantize_4bit: bool = False) -> tuple[Any, Any]:
    """The base model and its tokenizer through the model cache; 4-bit NF4 (QLoRA, CUDA only) on request."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    settings = get_settings()
    assert settings.model_cache_dir is not None  # filled by the settings validator
    source = resolve_model_dir(base_model, settings.model_cache_dir)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if quantize_4bit:
        from transformers import BitsAndBytesConfig  # needs bitsandbytes, installed on GPU machines only

        kwargs["device_map"] = {"": 0}
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype
        )
    return AutoModelForCausalLM.from_pretrained(source, **kwargs), AutoTokenizer.from_pretrained(source)


def base_module_names(base_model: str) -> list[str]:
    """Every module name of the base's architecture, built on the meta device from its config: no weights read."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    settings = get_settings()
    assert settings.model_cache_dir is not None  # filled by the settings validator
    source = resolve_model_dir(base_model, settings.model_cache_dir)
    try:
        architecture = AutoConfig.from_pretrained(source)
    except (OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFilesError(f"Cannot read the base model's config {base_model}: {reason}") from exc
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(architecture)
    return [name for name, _ in model.named_modules()]


def save_adapter(model: Any, config: TrainConfig) -> Path:
    """Save adapter_config.json + adapter_model.safetensors to output_dir, LoRA weights cast to adapter_dtype."""
    import torch

    dtype = getattr(torch, config.adapter_dtype)
    for name, parameter in model.named_parameters():
        if "lora_" in name:
            parameter.data = parameter.data.to(dtype)  # training is over; bf16 halves the shipped file
    # peft records the local cache path; serving compares this field with the served (hub) base name.
    model.peft_config["default"].base_model_name_or_path = config.base_model
    config.output_dir.mkdir(parents=True, exist_ok=True)
    # No vocabulary check: we never resize embeddings, and peft's "auto" asks the Hub about the base name.
    model.save_pretrained(str(config.output_dir), save_embedding_layers=False)
    _make_readable(config.output_dir, ["adapter_model.safetensors"])
    return config.output_dir


def merged_path(config: TrainConfig) -> Path:
    """The merged model's directory: beside the adapter, never inside it (it is as large as the base)."""
    return config.output_dir.with_name(config.output_dir.name + "-merged")


def merge_adapter(base_model: str, adapter_dir: Path, out_dir: Path) -> Path:
    """Fold the adapter into the fp32 base and save model + tokenizer to out_dir, replacing it atomically."""
    import torch
    from peft import PeftModel

    base, tokenizer = load_base_model(base_model, torch.float32)
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    retired = staging.with_name(staging.name + "-old")
    try:
        merged.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        _make_readable(staging, [path.name for path in staging.iterdir()])
        # Readers see the old model or the new one, never a half-written directory.
        if out_dir.exists():
            os.rename(out_dir, retired)
        os.rename(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return out_dir


def _make_readable(directory: Path, names: list[str]) -> None:
    """Mode 644 files in a 755 directory: safetensors writes 0600 and mkdtemp 0700, which a serving user cannot read."""
    directory.chmod(0o755)
    for name in names:
        (directory / name).chmod(0o644)


def write_model_card(adapter_dir: Path, config: TrainConfig, metrics: dict[str, float], command: str) -> Path:
    """Write README.md in the adapter directory: front matter, task, hyper-parameters, data, metrics, use."""
    text = CARDS[config.task]
    front = {
        "base_model": config.base_model,
        "library_name": "peft",
        "pipeline_tag": "text-generation",
        "tags": ["lora", "peft", "bankassist", "banking" if config.task == "answerer" else "credit-report", text.tag],
    }
    sections = [
        f"---\n{yaml.safe_dump(front, sort_keys=False)}---",
        f"# {text.title}: LoRA adapter for {config.base_model}",
        text.description,
        "## LoRA\n\n" + _table(_lora_rows(config)),
        *_layer_selection(adapter_dir),
        "## Data\n\n" + _table(_data_rows(config)),
        "## Metrics\n\n" + _table([(key, _number(value)) for key, value in metrics.items()], "metric"),
        f"## Reproduce\n\n```bash\n{command}\n```",
        _serving(adapter_dir, config),
    ]
    card = adapter_dir / "README.md"
    card.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return card


def _layer_selection(adapter_dir: Path) -> list[str]:
    """With SNR selection: the modules adapted and each kind's ranking (from layer_selection.json)."""
    path = adapter_dir / LAYER_SELECTION_FILE
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    chosen = set(data["chosen"])
    rows = [
        f"| {score['kind']} | `{score['name']}` | {score['snr']:.4g} | {'yes' if score['name'] in chosen else ''} |"
        for score in data["ranking"]
    ]
    return [
        f"## Layer selection\n\nLoRA on {len(chosen)} of {len(rows)} modules: the highest signal-to-noise ratio "
        "of each kind's weight matrices (Spectrum; `finetune/layer_selection.py`), best first.\n\n"
        "| kind | module | SNR | adapted |\n|---|---|---|---|\n" + "\n".join(rows)
    ]


def _lora_rows(config: TrainConfig) -> list[tuple[str, str]]:
    """The adapter's and the optimizer's hyper-parameters."""
    steps = f"{config.max_steps} steps" if config.max_steps > 0 else f"{config.epochs:g} epochs"
    return [
        ("rank r / alpha / dropout", f"{config.lora_r} / {config.lora_alpha} / {config.lora_dropout:g}"),
        ("target modules", ", ".join(f"`{name}`" for name in config.target_modules)),
        ("layer selection", _selection_text(config)),
        ("learning rate / warmup ratio", f"{config.learning_rate:g} / {config.warmup_ratio:g}"),
        ("batch size x gradient accumulation", f"{config.batch_size} x {config.grad_accum}"),
        ("training length", steps),
        ("base weights", f"{'4-bit NF4 (QLoRA)' if config.quantize_4bit == 'auto' else 'bf16'} on CUDA, fp32 on CPU"),
        ("saved adapter dtype", config.adapter_dtype),
        ("seed", str(config.seed)),
    ]


def _selection_text(config: TrainConfig) -> str:
    """`all`, or the SNR share adapted."""
    if config.layer_selection == "all":
        return "all layers"
    return f"snr: the top {config.snr_top_fraction:g} of each kind by signal-to-noise ratio"


def _data_rows(config: TrainConfig) -> list[tuple[str, str]]:
    """Dataset sizes: synthetic pairs from `finetune.credit_data`, disjoint seeds per split."""
    return [
        ("source", CARDS[config.task].source),
        ("train / val / test examples", f"{config.train_examples} / {config.val_examples} / {config.test_examples}"),
        ("data seed", str(config.data_seed)),
        ("max sequence length", f"{config.max_seq_len} tokens (longer chats are dropped)"),
        ("loss", "answer tokens only (the prompt is masked)"),
    ]


def _serving(adapter_dir: Path, config: TrainConfig) -> str:
    """How to serve the adapter: vLLM with LoRA, or a merged model with `transformers serve`."""
    module = CARDS[config.task].module
    vllm = (
        f"vllm serve {config.base_model} --enable-lora "
        f"--lora-modules {module}={adapter_dir} --max-lora-rank {config.lora_r}"
    )
    return (
        f"## Serve\n\nvLLM serves the base and this adapter from one server; request the model "
        f"`{module}`:\n\n```bash\n{vllm}\n```\n\n"
        f"`transformers serve` needs a merged model: `python -m finetune.export --adapter {adapter_dir} "
        f"--out {merged_path(config)}`."
    )


def _table(rows: list[tuple[str, str]], header: str = "setting") -> str:
    """A two-column Markdown table."""
    return "\n".join([f"| {header} | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)])


def _number(value: float) -> str:
    """A metric for the card: integers plain, floats to four significant digits."""
    if isinstance(value, int) or (not math.isnan(value) and float(value).is_integer()):
        return str(int(value))
    return f"{value:.4g}"


def main(argv: list[str] | None = None) -> None:
    """Command line: merge an adapter into the base named in its adapter_config.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adapter", type=Path, required=True, help="Adapter directory (adapter_config.json).")
    parser.add_argument("--out", type=Path, required=True, help="Directory of the merged model.")
    args = parser.parse_args(argv)
    try:
        print(merge_adapter(read_adapter(args.adapter).base_model, args.adapter, args.out))
    except BankassistError as exc:
        raise SystemExit(f"error: {exc}") from exc


if __name__ == "__main__":
    main()
