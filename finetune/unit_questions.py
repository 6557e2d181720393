"""Keep the units' questions (`retrieval/unit_questions.jsonl`) apart from every question the evals ask.

The questions were written by helper agents from the corpus's units alone, but short FAQ questions come out
the same whoever writes them ("What is the overdraft fee?" is a golden question too), and a selector that has
seen an eval's question scores it too well. This drops every written question within a cosine of
NEAR_DUPLICATE of any eval or tuning question (the golden, customer-wording and unanswerable sets, every split, and
each wording of the conversation personas' turns), and rewrites the file:

    python -m finetune.unit_questions          # prints how many were dropped
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from agent.service import get_settings, open_retriever
from evals.conversation_personas import PERSONAS_PATH, SLOT
from evals.retrieval import CUSTOMER_PATH, GOLDEN_PATH, UNANSWERABLE_PATH, UNANSWERABLE_TUNING_PATH, load_golden
from retrieval.embeddings import Embedder
from retrieval.unit_questions import DEFAULT_UNIT_QUESTIONS, read_unit_questions

NEAR_DUPLICATE = 0.85  # retrieval-encoder cosine; 301 of 10,024 written questions were this close (2026-12-05)
MAX_WORDINGS = 200  # a persona turn's alternatives multiply; the first 200 wordings are plenty to compare


def evaluation_questions() -> list[str]:
    """Every question an eval asks: the three question sets and each wording of the personas' turns."""
    sets = (GOLDEN_PATH, CUSTOMER_PATH, UNANSWERABLE_PATH, UNANSWERABLE_TUNING_PATH)
    asked = [q.question for path in sets for q in load_golden(path)]
    for line in PERSONAS_PATH.read_text(encoding="utf-8").splitlines():
        if line.strip():
            asked.extend(wording for turn in json.loads(line)["turns"] for wording in wordings(turn["say"]))
    return asked


def wordings(template: str) -> list[str]:
    """The texts a persona's template can say: "{wire fee|fee for wire}??" -> "wire fee??", "fee for wire??"."""
    parts = SLOT.split(template)  # every odd part is a slot's content
    options = [part.split("|") if n % 2 else [part] for n, part in enumerate(parts)]
    return ["".join(choice) for choice in itertools.islice(itertools.product(*options), MAX_WORDINGS)]


def near_evaluation(questions: list[str], embedder: Embedder, asked: list[str]) -> np.ndarray:
    """True for each question within NEAR_DUPLICATE of one the evals ask."""
    return np.asarray((embedder.embed(questions) @ embedder.embed(asked).T).max(axis=1) >= NEAR_DUPLICATE)


def decontaminate(path: Path, embedder: Embedder) -> dict[str, int]:
    """Rewrite the file without questions near the evals'; a unit left with none is dropped."""
    units = read_unit_questions(path)
    flat = [question for _, questions in units for question in questions]
    near = iter(near_evaluation(flat, embedder, evaluation_questions()))
    kept = [(key, [q for q in questions if not next(near)]) for key, questions in units]
    lines = [json.dumps({"doc_id": d, "text": t, "questions": qs}, ensure_ascii=False) for (d, t), qs in kept if qs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"questions": len(flat), "dropped": len(flat) - sum(len(qs) for _, qs in kept), "units": len(lines)}


def main() -> None:
    """Decontaminate the shipped file with the configured retrieval encoder."""
    with open_retriever(get_settings()) as retriever:
        print(json.dumps(decontaminate(DEFAULT_UNIT_QUESTIONS, retriever.embedder)))


if __name__ == "__main__":
    main()
