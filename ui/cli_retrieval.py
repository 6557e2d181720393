"""The `train-retriever` command: fine-tune the retrieval embedder on customer wording (finetune/retrieval_encoder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tools.errors import BankassistError
from ui.cli_common import stdout_to_stderr


def train_retriever_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Adapter .npz (its card: .json beside); default: the configured one.")
    ] = None,
    epochs: Annotated[float, typer.Option("--epochs", min=0.05, max=20, help="Passes over the training pairs.")] = 1.5,
    max_per_intent: Annotated[
        int | None, typer.Option("--max-per-intent", min=1, help="Quick run: cap the training queries per intent.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the shuffles and the LoRA initialisation.")] = 0,
    unit_questions: Annotated[
        bool,
        typer.Option(
            "--unit-questions/--no-unit-questions",
            help="Also train on the written customer questions each policy sentence answers (measured, not shipped).",
        ),
    ] = False,
) -> None:
    """Fine-tune the retrieval embedder (LoRA) on BANKING77 queries minus every evaluated one, then save it."""
    from agent.service import get_settings
    from finetune.retrieval_encoder import RetrieverTraining, train_retriever

    settings = get_settings()
    path = out or settings.retrieval_adapter
    if path is None:
        raise BankassistError("No adapter path: pass --out or set BANKASSIST_RETRIEVAL_ADAPTER.")
    if settings.external_data_dir is None or not (settings.external_data_dir / "banking77" / "train.csv").is_file():
        raise BankassistError(
            f"BANKING77 not found under {settings.external_data_dir}: set BANKASSIST_EXTERNAL_DATA_DIR."
        )
    config = RetrieverTraining(epochs=epochs, max_per_intent=max_per_intent, seed=seed, unit_questions=unit_questions)
    with stdout_to_stderr():
        trained = train_retriever(
            settings.external_data_dir, settings.corpus_dir, settings.embedding_model, path, config
        )
    card = trained.card
    print(
        f"Saved {path} ({card['adapter_bytes']} bytes) and its card {path.with_suffix('.json')}: "
        f"{card['data']['pairs']} pairs, {card['steps']} steps, {card['seconds']['training']} s of training. "
        "Run `bankassist ingest` (or start the assistant) to re-embed the index with it."
    )
