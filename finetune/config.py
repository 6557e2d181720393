"""The fine-tuning run's settings: TrainConfig and its YAML files in finetune/configs/.

Its own module so that training (train.py) and shipping (export.py, the model card) both read it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError

from agent.settings import DEFAULT_BASE_MODEL
from tools.errors import InvalidInputError

DEFAULT_OUTPUT_DIR = Path("finetune/adapters/smollm2-credit-extractor")
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
AdapterDType = Literal["bfloat16", "float16", "float32"]
Positive = Annotated[int, Field(gt=0)]
Ratio = Annotated[float, Field(ge=0, lt=1)]  # transformers reads a warmup of 1 or more as a step count
Share = Annotated[float, Field(gt=0, le=1)]
LAYER_SELECTION_FILE = "layer_selection.json"  # beside the adapter: the SNR ranking and the modules chosen


@dataclass
class TrainConfig:
    """Every knob of one fine-tuning run; the YAML keys in finetune/configs/ are these field names."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # load_config: an unknown YAML key is an error

    task: Literal["extractor", "advisor", "answerer"] = field(
        default="extractor",
        metadata={
            "help": "extractor: credit facts from a sheet; advisor: answers to credit questions; answerer: answers "
            "to banking questions from the retrieved passages."
        },
    )
    base_model: str = field(default=DEFAULT_BASE_MODEL, metadata={"help": "Base model: HF id, directory or .gguf."})
    output_dir: Path = field(default=DEFAULT_OUTPUT_DIR, metadata={"help": "Adapter dir; checkpoints go under it."})
    lora_r: Positive = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: Positive = field(default=32, metadata={"help": "LoRA alpha (the update is scaled by alpha / r)."})
    lora_dropout: Ratio = field(default=0.0, metadata={"help": "Dropout on the LoRA input."})
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR), metadata={"help": "LoRA targets."})
    layer_selection: Literal["all", "snr"] = field(
        default="all", metadata={"help": "all: every target module; snr: the highest-SNR share of each kind."}
    )
    snr_top_fraction: Share = field(default=0.5, metadata={"help": "With snr: the share of each kind adapted."})
    learning_rate: float = field(default=1e-3, metadata={"help": "Peak learning rate (linear decay)."})
    epochs: float = field(default=1.0, metadata={"help": "Passes over the training set when max_steps is -1."})
    max_steps: int = field(default=-1, metadata={"help": "Optimizer steps; -1 uses epochs."})
    batch_size: Positive = field(default=8, metadata={"help": "Examples per device per forward pass."})
    grad_accum: Positive = field(default=1, metadata={"help": "Forward passes per optimizer step."})
    max_seq_len: Positive = field(default=640, metadata={"help": "Longer chats are dropped, not truncated."})
    warmup_ratio: Ratio = field(default=0.03, metadata={"help": "Share of the steps spent warming up, in [0, 1)."})
    eval_steps: Positive = field(default=50, metadata={"help": "Validation loss every this many steps."})
    save_steps: Positive = field(default=50, metadata={"help": "Checkpoint every this many steps (the last two kept)."})
    logging_steps: Positive = field(default=10, metadata={"help": "Log the training loss every this many steps."})
    seed: int = field(default=42, metadata={"help": "Seed of the LoRA init, dropout and shuffling."})
    data_seed: int = field(default=0, metadata={"help": "Seed of the synthetic credit pairs (split_pairs)."})
    train_examples: Positive = field(default=1200, metadata={"help": "Training pairs generated."})
    val_examples: int = field(default=40, metadata={"help": "Validation pairs (eval loss)."})
    test_examples: int = field(default=200, metadata={"help": "Test pairs the evals score (noted in the card)."})
    merge: bool = field(default=False, metadata={"help": "Also write a merged model to <output_dir>-merged."})
    quantize_4bit: Literal["auto", "never"] = field(default="auto", metadata={"help": "auto: QLoRA when on CUDA."})
    adapter_dtype: AdapterDType = field(default="bfloat16", metadata={"help": "dtype of the saved LoRA weights."})
    resume: bool = field(default=False, metadata={"help": "Continue from the last checkpoint, if there is one."})


def load_config(path: Path, **overrides: Any) -> TrainConfig:
    """Read a YAML config; overrides that are not None (the command line) win over the file."""
    values = {**_read_yaml(path), **{key: value for key, value in overrides.items() if value is not None}}
    try:
        return TypeAdapter(TrainConfig).validate_python(values)
    except ValidationError as exc:
        error = exc.errors()[0]  # one line for the user: the first problem is enough to fix
        raise InvalidInputError(f"Training config key {error['loc'][0]!r} in {path}: {error['msg']}.") from exc


def _read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in a YAML file; a missing, unreadable or malformed file is one InvalidInputError line."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InvalidInputError(f"Cannot read the training config {path}: {reason}.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInputError(f"The training config {path} is not valid YAML{where}.") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"The training config {path} must be a mapping of TrainConfig fields.")
    return data
