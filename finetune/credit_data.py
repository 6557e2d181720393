"""The extractor's dataset: synthetic report pairs rendered as sheets, with the diff's facts as answers.

Example commands:
    python -m finetune.credit_data --out /tmp/credit-data   # writes train/val/test .jsonl
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from agent.credit import extractor_chat
from finetune.narratives import reference_narrative
from finetune.split_files import write_split_files, write_splits_command
from tools.credit import CreditReport
from tools.credit_diff import Fact, diff_reports
from tools.credit_generator import generate_history
from tools.credit_sheet import comparison_sheet

# Disjoint seed ranges keep train, val and test pairs apart however many of each are drawn.
SPLIT_SEED_OFFSETS = {"train": 0, "val": 1_000_000, "test": 2_000_000}
FIRST_DATES = (date(2020, 1, 1), date(2025, 6, 1))
NAMES = ("Alex R.", "Sam T.", "Jordan K.", "Riley M.", "Casey L.", "Morgan P.")


@dataclass(frozen=True)
class CreditPair:
    """Two snapshots of one synthetic customer, the true change facts and a reference narrative."""

    old: CreditReport
    new: CreditReport
    facts: list[Fact]
    narrative: str

    @property
    def sheet(self) -> str:
        """The extractor's input."""
        return comparison_sheet(self.old, self.new)

    def messages(self) -> list[dict[str, str]]:
        """The chat example: system, the sheet as the user turn, the fact lines as the answer."""
        return extractor_chat(self.sheet) + [{"role": "assistant", "content": facts_text(self.facts)}]


def facts_text(facts: list[Fact]) -> str:
    """The extractor's answer format: one `Good:- ...` or `Bad:- ...` line per fact."""
    return "\n".join(fact.line for fact in facts)


def make_pair(seed: int) -> CreditPair:
    """One synthetic pair; the same seed always gives the same pair."""
    rng = random.Random(seed)
    span = (FIRST_DATES[1] - FIRST_DATES[0]).days
    first = FIRST_DATES[0] + timedelta(days=rng.randint(0, span))
    old, new = generate_history(rng, rng.choice(NAMES), first, gap_months=rng.randint(1, 12))
    facts = diff_reports(old, new)
    return CreditPair(old, new, facts, reference_narrative(facts, rng))


def split_pairs(split: str, count: int, seed: int = 0) -> list[CreditPair]:
    """`count` pairs of one split (train, val or test)."""
    start = SPLIT_SEED_OFFSETS[split] + seed * 10_000_000
    return [make_pair(start + index) for index in range(count)]


def pair_record(pair: CreditPair) -> dict[str, Any]:
    """A JSON line: the chat messages plus the reports, facts and narrative for evals."""
    return {
        "messages": pair.messages(),
        "facts": [fact.line for fact in pair.facts],
        "narrative": pair.narrative,
        "old": pair.old.model_dump(mode="json"),
        "new": pair.new.model_dump(mode="json"),
    }


def write_splits(out_dir: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, Path]:
    """Write each split as JSON lines under `out_dir`; returns the files."""
    records = {split: [pair_record(p) for p in split_pairs(split, count, seed)] for split, count in sizes.items()}
    return write_split_files(out_dir, records)


if __name__ == "__main__":
    write_splits_command(__doc__.splitlines()[0], write_splits, {"train": 2000, "val": 100, "test": 200})
