"""Where one fine-tuning run writes: a new adapter folder unless told to overwrite, and its own TensorBoard run.

Retraining must never replace the shipped adapter by accident (the CPU recipe scores far below the GPU
one), and each run's curves are kept beside the earlier runs', so they can be compared in TensorBoard.
Everything here is decided from the config and the file system, before any model loads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from finetune.config import TrainConfig
from tools.errors import InvalidInputError

log = logging.getLogger(__name__)
RUNS_DIR = Path("finetune/runs")  # `tensorboard --logdir finetune/runs` shows every run
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")  # one folder name, never a path


@dataclass(frozen=True)
class RunPlan:
    """The config to train with (its output_dir is where this run's adapter goes) and its TensorBoard folder."""

    config: TrainConfig
    run_dir: Path
    moved_from: Path | None = None  # the config's output_dir, when it held an adapter and this run went elsewhere


def plan_run(config: TrainConfig, run_name: str | None, overwrite: bool) -> RunPlan:
    """Name the run, give it a new TensorBoard folder, and keep it off an existing adapter unless `overwrite`."""
    name = run_name if run_name is not None else default_run_name(config)
    runs_dir = RUNS_DIR
    if not RUN_NAME.fullmatch(name):
        raise InvalidInputError(f"Run name {name!r}: use 1-80 letters, digits, '.', '_' or '-', starting alnum.")
    run_dir = runs_dir / name
    if run_dir.exists():
        raise InvalidInputError(f"A training run named {name!r} already exists in {runs_dir}; choose another.")
    if overwrite or not holds_adapter(config.output_dir):
        return RunPlan(config, run_dir)
    target = config.output_dir.with_name(f"{config.output_dir.name}-{name}")
    if holds_adapter(target):
        raise InvalidInputError(f"{target} already holds an adapter; choose another run name or pass --overwrite.")
    log.warning(
        "%s already holds an adapter: this run writes to %s (--overwrite replaces it)", config.output_dir, target
    )
    return RunPlan(replace(config, output_dir=target), run_dir, moved_from=config.output_dir)


def default_run_name(config: TrainConfig) -> str:
    """The adapter folder's name and the UTC time to the second: unique enough for one person's runs."""
    return f"{config.output_dir.name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def holds_adapter(folder: Path) -> bool:
    """A finished adapter is there (an interrupted run leaves only checkpoints, which --resume continues)."""
    return (folder / "adapter_config.json").is_file()
