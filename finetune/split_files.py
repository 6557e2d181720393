"""Dataset files: each split's records as JSON lines, and the command line of the modules that write them.

`finetune.credit_data` (extractor pairs) and `finetune.advisor_data` (advisor questions) both write
`<split>.jsonl` files this way; `finetune.chats.read_chats` reads them back for training.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_split_files(out_dir: Path, records: dict[str, list[dict[str, Any]]]) -> dict[str, Path]:
    """Each split's records as JSON lines, `<split>.jsonl` under `out_dir`: what `read_chats` reads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, rows in records.items():
        path = out_dir / f"{split}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        files[split] = path
    return files


Writer = Callable[[Path, dict[str, int], int], dict[str, Path]]  # (out_dir, split sizes, seed) -> files


def write_splits_command(description: str, write: Writer, sizes: dict[str, int]) -> None:
    """A dataset module's command line: `--out DIR`, a size per split (`--train N` ...) and `--seed`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True)
    for split, default in sizes.items():
        parser.add_argument(f"--{split}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    files = write(args.out, {split: getattr(args, split) for split in sizes}, args.seed)
    print(" ".join(str(path) for path in files.values()))
