"""`bankassist train-selector`: fit the extractive banking answers' selector on the tuning questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def train_selector(
    out: Annotated[Path | None, typer.Option("--out", help="Weights file; default: the shipped one.")] = None,
) -> None:
    """Fit the answer selector's weights and thresholds on the tuning questions (never the test split)."""
    from agent.service import get_settings
    from finetune.answer_selector import train_and_save

    settings = get_settings()
    report = train_and_save(settings, out)
    print(json.dumps({"saved": str(out or settings.answer_selector_path), **report}))
