"""`bankassist finetune`: build the dataset, train a LoRA adapter (extractor, advisor, answerer), measure it, card it.

Example commands:
    bankassist finetune --config finetune/configs/smollm2-cpu.yaml   # a new folder beside the shipped adapter
    bankassist finetune --config finetune/configs/llama3-8b.yaml --eval-pairs 300   # on a GPU
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agent.runtime.backends import build_base_extractor, build_chat_model
from agent.settings import get_settings
from evals.advisor import run_advisor_suite
from evals.credit import run_credit_suite
from evals.rag import run_rag_suite
from finetune.chats import generated_chats
from finetune.config import TrainConfig, load_config
from finetune.export import write_model_card
from finetune.run_plan import plan_run
from finetune.train import train


@dataclass(frozen=True)
class FinetuneReport:
    """Where the adapter (and merged model) went and what was measured."""

    adapter_dir: Path
    merged_dir: Path | None
    metrics: dict[str, Any]
    run_dir: Path  # the run's TensorBoard folder
    moved_from: Path | None = None  # the config's output_dir, when it held an adapter and this run went elsewhere


def run_finetune(
    config_path: Path, eval_pairs: int, run_name: str | None = None, overwrite: bool = False, **overrides: Any
) -> FinetuneReport:
    """Train on generated pairs, evaluate on held-out test pairs, and record both in the model card."""
    plan = plan_run(load_config(config_path, **overrides), run_name, overwrite)
    config = replace(plan.config, test_examples=eval_pairs)  # the model card reports the pairs actually measured
    train_set, val_set = generated_chats(config)
    result = train(config, train_set, val_set, plan.run_dir)
    metrics = dict(result.metrics)
    if eval_pairs > 0:
        evaluate = {"advisor": evaluate_advisor, "answerer": evaluate_answerer}.get(config.task, evaluate_adapter)
        metrics |= evaluate(config, result.adapter_dir, eval_pairs)
    write_model_card(result.adapter_dir, config, metrics, reproduce_command())
    return FinetuneReport(result.adapter_dir, result.merged_dir, metrics, plan.run_dir, plan.moved_from)


def evaluate_adapter(config: TrainConfig, adapter_dir: Path, pairs: int) -> dict[str, Any]:
    """The credit eval suite on the new adapter and its base, over held-out test pairs."""
    update = {"base_model": config.base_model, "adapter_path": adapter_dir, "backend": "local", "use_adapter": True}
    settings = get_settings().model_copy(update=update)
    extractor, synthesizer = build_chat_model("extractor", settings), build_chat_model("synthesizer", settings)
    suite = run_credit_suite(extractor, build_base_extractor(settings), synthesizer, pairs, config.data_seed)
    return dict(suite.metrics())


def evaluate_advisor(config: TrainConfig, adapter_dir: Path, questions: int) -> dict[str, Any]:
    """The advisor suite on the new adapter against the base model, over held-out questions."""
    update = {"base_model": config.base_model, "advisor_adapter_path": adapter_dir, "backend": "local"}
    settings = get_settings().model_copy(update=update | {"use_advisor": True})
    advisor, base = build_chat_model("advisor", settings), build_chat_model("synthesizer", settings)
    return dict(run_advisor_suite(advisor, base, questions).metrics())


def evaluate_answerer(config: TrainConfig, adapter_dir: Path, limit: int) -> dict[str, Any]:
    """The RAG suite with the new adapter writing the banking answers (`limit` questions per set)."""
    update = {"base_model": config.base_model, "answerer_adapter_path": adapter_dir, "backend": "local"}
    settings = get_settings().model_copy(update=update | {"use_answerer": True, "banking_answers": "generative"})
    return {name: value for name, value in run_rag_suite(settings, limit).metrics().items() if value is not None}


def reproduce_command() -> str:
    """The command line that ran this, for the model card."""
    return shlex.join(["bankassist", *sys.argv[1:]])
