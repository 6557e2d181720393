"""LoRA fine-tuning of the credit extractor and advisor (`task`): transformers Trainer + peft, QLoRA (4-bit) on CUDA.

Example commands:
    python -m finetune.train --config finetune/configs/smollm2-cpu.yaml  # CPU, the default SmolLM2-135M base
    python -m finetune.train --config finetune/configs/smollm2-cpu.yaml --max-steps 3 --output-dir /tmp/ft-smoke
    python -m finetune.train --config finetune/configs/llama3-8b.yaml --resume  # GPU QLoRA, from the last checkpoint
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finetune.chats import Chat, generated_chats, read_chats
from finetune.config import LAYER_SELECTION_FILE, TrainConfig, load_config
from finetune.export import (
    base_module_names,
    load_base_model,
    merge_adapter,
    merged_path,
    save_adapter,
    write_model_card,
)
from finetune.layer_selection import ModuleScore, rank_modules, select_modules, unmatched_targets
from finetune.run_plan import plan_run
from tools.errors import BankassistError, ConfigurationError, InvalidInputError

log = logging.getLogger(__name__)
IGNORE_INDEX = -100  # the label torch's cross-entropy skips
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class TrainResult:
    """Where the adapter (and the merged model) went, and the run's measurements."""

    adapter_dir: Path
    merged_dir: Path | None
    metrics: dict[str, float]


def chat_token_ids(tokenizer: Any, messages: Chat, **kwargs: Any) -> list[int]:
    """Token ids of a rendered chat; transformers 5 returns a BatchEncoding where 4.x returned a list."""
    ids = tokenizer.apply_chat_template(messages, tokenize=True, **kwargs)
    return [int(token) for token in (ids["input_ids"] if isinstance(ids, Mapping) else ids)]


def encode_example(tokenizer: Any, messages: Chat, max_seq_len: int) -> dict[str, list[int]] | None:
    """Tokenize one chat with labels -100 on the prompt; None when it is longer than max_seq_len."""
    if not messages or messages[-1].get("role") != "assistant":
        raise InvalidInputError("A training chat must end with the assistant's answer.")
    prompt = chat_token_ids(tokenizer, messages[:-1], add_generation_prompt=True)
    full = chat_token_ids(tokenizer, messages)
    if full[: len(prompt)] != prompt or len(full) == len(prompt):
        raise ConfigurationError("The base model's chat template does not render the prompt as a prefix of the chat.")
    if len(full) > max_seq_len:
        return None
    # Everything after the generation prompt is the answer, its end-of-turn token included: the model learns to stop.
    labels = [IGNORE_INDEX] * len(prompt) + full[len(prompt) :]
    return {"input_ids": full, "attention_mask": [1] * len(full), "labels": labels}


def encode_chats(tokenizer: Any, chats: list[Chat], max_seq_len: int, split: str) -> list[dict[str, list[int]]]:
    """Encode every chat, dropping (and counting in the log) those longer than max_seq_len."""
    kept = [e for e in (encode_example(tokenizer, chat, max_seq_len) for chat in chats) if e is not None]
    if len(kept) < len(chats):
        log.warning("Dropped %d of %d %s chats over %d tokens", len(chats) - len(kept), len(chats), split, max_seq_len)
    return kept


@dataclass(frozen=True)
class PadCollator:
    """Right-pad a batch: the pad id on input_ids, 0 on attention_mask, -100 on labels."""

    pad_id: int

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        """Stack the features into padded long tensors."""
        import torch

        width = max(len(feature["input_ids"]) for feature in features)
        fills = {"input_ids": self.pad_id, "attention_mask": 0, "labels": IGNORE_INDEX}
        return {
            key: torch.tensor([f[key] + [fill] * (width - len(f[key])) for f in features], dtype=torch.long)
            for key, fill in fills.items()
        }


def load_base(config: TrainConfig) -> tuple[Any, Any]:
    """The base model and tokenizer: fp32 on CPU; bf16 on CUDA, 4-bit NF4 there unless quantize_4bit is never."""
    import torch
    from peft import prepare_model_for_kbit_training

    cuda = torch.cuda.is_available()
    quantized = cuda and config.quantize_4bit == "auto"
    model, tokenizer = load_base_model(config.base_model, torch.bfloat16 if cuda else torch.float32, quantized)
    model.config.use_cache = False  # the KV cache is useless in training and warns with checkpointing
    if quantized:
        model = prepare_model_for_kbit_training(model)
    return model, tokenizer


def apply_lora(model: Any, config: TrainConfig) -> tuple[Any, list[ModuleScore]]:
    """Wrap the base in fresh LoRA adapters (only they are trainable); with snr selection, also the ranking."""
    from peft import LoraConfig, get_peft_model

    ranking = rank_modules(model, list(config.target_modules)) if config.layer_selection == "snr" else []
    targets = select_modules(ranking, config.snr_top_fraction) if ranking else list(config.target_modules)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora), ranking


def training_arguments(config: TrainConfig, has_eval: bool) -> Any:
    """Trainer arguments: checkpoints under <output_dir>/checkpoints; TensorBoard is a callback (its own folder)."""
    import torch
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(config.output_dir / CHECKPOINTS),  # TensorBoard writes to <this>/runs
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # transformers 5 reads a value below 1 as a ratio
        eval_strategy="steps" if has_eval else "no",
        eval_steps=config.eval_steps,
        save_steps=config.save_steps,
        save_total_limit=2,
        logging_steps=config.logging_steps,
        report_to=[],  # tensorboard_callback writes the curves, to the run's own folder
        disable_tqdm=False,
        remove_unused_columns=False,  # the collator needs the labels column the model signature lacks
        use_cpu=not cuda,
        bf16=cuda,
        dataloader_num_workers=0,
        seed=config.seed,
    )


def tensorboard_callback(run_dir: Path | None) -> list[Any]:
    """A TensorBoard writer on the run's own folder (earlier runs keep theirs); none without a folder."""
    from transformers.integrations import TensorBoardCallback, is_tensorboard_available

    if run_dir is None:
        return []
    if not is_tensorboard_available():
        log.warning("tensorboard is not installed: no training curves (the losses stay in trainer_state.json)")
        return []
    from torch.utils.tensorboard import SummaryWriter

    return [TensorBoardCallback(SummaryWriter(log_dir=str(run_dir)))]


def build_trainer(
    config: TrainConfig, train_messages: list[Chat], val_messages: list[Chat], run_dir: Path | None = None
) -> tuple[Any, list[ModuleScore]]:
    """Load the base, add LoRA and make a Trainer over the encoded chats; the SNR ranking when selecting by it."""
    from transformers import Trainer

    model, tokenizer = load_base(config)
    train_set = encode_chats(tokenizer, train_messages, config.max_seq_len, "train")
    val_set = encode_chats(tokenizer, val_messages, config.max_seq_len, "val")
    if not train_set:
        raise InvalidInputError(f"No training chat fits in max_seq_len={config.max_seq_len} tokens.")
    # Llama-3 has no pad token; padding is masked out of attention and loss, so eos serves.
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    adapted, ranking = apply_lora(model, config)
    trainer = Trainer(
        model=adapted,
        args=training_arguments(config, has_eval=bool(val_set)),
        train_dataset=train_set,  # a list of dicts is a map-style dataset
        eval_dataset=val_set or None,
        data_collator=PadCollator(pad_id),
        callbacks=tensorboard_callback(run_dir),
    )
    return trainer, ranking


def train(
    config: TrainConfig, train_messages: list[Chat], val_messages: list[Chat], run_dir: Path | None = None
) -> TrainResult:
    """Fine-tune a LoRA adapter on the chats and save it to config.output_dir (optionally merged too).

    With `run_dir`, the losses and learning rate go to TensorBoard there (see finetune/run_plan.py).
    """
    from transformers.trainer_utils import get_last_checkpoint

    check_targets(config)  # before any model loads

    checkpoints = config.output_dir / CHECKPOINTS
    resume = config.resume and checkpoints.is_dir() and get_last_checkpoint(str(checkpoints)) is not None
    if not resume and checkpoints.exists():
        # A fresh run's checkpoints must not rotate against (or be resumed from) an earlier run's.
        log.warning("Starting fresh: removing the earlier run's checkpoints in %s", checkpoints)
        shutil.rmtree(checkpoints)
    trainer, ranking = build_trainer(config, train_messages, val_messages, run_dir)
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=True if resume else None)
    metrics: dict[str, float] = {
        "train_seconds": round(time.perf_counter() - started, 1),
        "train_loss": round(float(output.training_loss), 4),
        "eval_loss": final_eval_loss(trainer),
        "trainable_params": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "steps": trainer.state.global_step,
    }
    adapter_dir = save_adapter(trainer.model, config)
    if ranking:
        write_layer_selection(adapter_dir, ranking, select_modules(ranking, config.snr_top_fraction))
    merged_dir = merge_adapter(config.base_model, adapter_dir, merged_path(config)) if config.merge else None
    return TrainResult(adapter_dir, merged_dir, metrics)


def check_targets(config: TrainConfig) -> None:
    """Refuse target modules the base does not have, from its architecture alone."""
    missing = unmatched_targets(base_module_names(config.base_model), list(config.target_modules))
    if missing:
        raise InvalidInputError(f"target_modules {missing} match no module of {config.base_model}.")


def write_layer_selection(adapter_dir: Path, ranking: list[ModuleScore], chosen: list[str]) -> Path:
    """The SNR ranking and the modules adapted, beside the adapter (the model card reads it)."""
    path = adapter_dir / LAYER_SELECTION_FILE
    data = {"method": "snr (Spectrum)", "chosen": chosen, "ranking": [score.as_dict() for score in ranking]}
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def final_eval_loss(trainer: Any) -> float:
    """The validation loss after the last step: the Trainer evaluates its final step itself, so reuse that."""
    if trainer.eval_dataset is None:
        return float("nan")
    evals = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
    last = evals[-1] if evals and evals[-1].get("step") == trainer.state.global_step else trainer.evaluate()
    return round(float(last["eval_loss"]), 4)


def main(argv: list[str] | None = None) -> None:
    """Command line: train from a YAML config on generated credit pairs, then write the model card."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, required=True, help="YAML file of TrainConfig fields.")
    parser.add_argument("--output-dir", type=Path, help="Override output_dir.")
    parser.add_argument("--max-steps", type=int, help="Override max_steps.")
    parser.add_argument("--train-examples", type=int, help="Override train_examples.")
    parser.add_argument("--resume", action="store_true", default=None, help="Continue from the last checkpoint.")
    parser.add_argument("--run-name", help="TensorBoard run folder under finetune/runs (default: adapter + time).")
    parser.add_argument("--overwrite", action="store_true", help="Replace the adapter already in output_dir.")
    parser.add_argument("--chats", type=Path, help="Read train.jsonl and val.jsonl here instead of generating them.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        overrides = {k: v for k, v in vars(args).items() if k not in ("config", "run_name", "overwrite", "chats")}
        plan = plan_run(load_config(args.config, **overrides), args.run_name, args.overwrite)
        config = plan.config
        train_chats, val_chats = read_chats(args.chats, config) if args.chats else generated_chats(config)
        result = train(config, train_chats, val_chats, plan.run_dir)
    except BankassistError as exc:
        raise SystemExit(f"error: {exc}") from exc
    command = shlex.join(["python", "-m", "finetune.train", *(sys.argv[1:] if argv is None else argv)])
    write_model_card(result.adapter_dir, config, result.metrics, command)
    print(json.dumps({"adapter_dir": str(result.adapter_dir), "tensorboard_run": str(plan.run_dir), **result.metrics}))


if __name__ == "__main__":
    main()
