"""The training chats of a run: generated in memory for the config's task, or read from files written earlier.

Reading files lets a machine without the app's dependencies (a lent GPU with torch, transformers and peft
only) train on exactly the chats generated here: `python -m finetune.advisor_data --out DIR`, then
`python -m finetune.train --config ... --chats DIR`.
"""

from __future__ import annotations

import json
from pathlib import Path

from finetune.config import TrainConfig
from tools.errors import InvalidInputError

Chat = list[dict[str, str]]


def generated_chats(config: TrainConfig) -> tuple[list[Chat], list[Chat]]:
    """Train and val chats for the config's task, from the generators' disjoint seed ranges."""
    if config.task == "answerer":
        from finetune.answerer_data import examples

        made = examples({"train": config.train_examples, "val": config.val_examples}, config.data_seed)
        return [e.messages() for e in made["train"]], [e.messages() for e in made["val"]]
    if config.task == "advisor":
        from finetune.advisor_data import split_examples

        train = [e.messages() for e in split_examples("train", config.train_examples, config.data_seed)]
        return train, [e.messages() for e in split_examples("val", config.val_examples, config.data_seed)]
    from finetune.credit_data import split_pairs

    train = [p.messages() for p in split_pairs("train", config.train_examples, config.data_seed)]
    return train, [p.messages() for p in split_pairs("val", config.val_examples, config.data_seed)]


def read_chats(directory: Path, config: TrainConfig) -> tuple[list[Chat], list[Chat]]:
    """The first train_examples and val_examples chats of `train.jsonl` and `val.jsonl` in `directory`."""
    return (
        _read_split(directory / "train.jsonl", config.train_examples),
        _read_split(directory / "val.jsonl", config.val_examples),
    )


def _read_split(path: Path, count: int) -> list[Chat]:
    """`count` chats (the `messages` of each JSON line); a missing, short or malformed file is one line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InvalidInputError(f"Cannot read the training chats {path}: {reason}.") from exc
    chats = []
    for number, line in enumerate(lines[:count], start=1):
        try:
            messages = json.loads(line)["messages"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"Line {number} of {path} is not a JSON object with messages.") from exc
        chats.append(messages)
    if len(chats) < count:
        raise InvalidInputError(f"{path} holds {len(chats)} chats; the config asks for {count}.")
    return chats
