"""The banking answerer's dataset: customers' questions, the passages the retriever really returns, the answer.

Each example is the generative banking prompt exactly as the node builds it (`answer_banking.source_prompt`:
the retrieved documents as numbered sources, then the question) with the answer the extractive path would
quote: the policy sentence that answers, as written, cited with its document's number. The questions are the
customer-worded ones written for each policy sentence (`retrieval/unit_questions.jsonl`, already kept away
from every eval question), so the retrieved documents hold the distractors a real turn sees. Where the
retriever misses the answering sentence, a share of those questions teach abstaining (the contact line), as do
the unanswerable questions kept for tuning (`evals/data/unanswerable_tuning.jsonl`). Every answer passes the
node's number check before it is kept. Train and val draw their questions from different policy sentences;
every sentence is asked once before any is asked twice, so a larger set asks each in more customers' words.

Example commands:
    python -m finetune.answerer_data --out /tmp/answerer-chats        # train/val .jsonl (chats, kind)
    python -m finetune.train --config finetune/configs/smollm2-answerer-cpu.yaml --chats /tmp/answerer-chats
    python -m finetune.answerer_data --out /tmp/answerer-chats --train 6000 --val 64   # for the GPU config
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from agent import prompts
from agent.nodes.answer_banking import grounded, source_prompt
from agent.service.operations import open_retriever
from agent.settings import Settings
from evals.retrieval import UNANSWERABLE_TUNING_PATH, load_golden
from finetune.split_files import write_split_files, write_splits_command
from retrieval.answer_selector import document_units
from retrieval.answer_units import AnswerUnit, quoted
from retrieval.retriever import RetrievedDocument, Retriever
from retrieval.unit_questions import DEFAULT_UNIT_QUESTIONS

# Of the questions whose answering sentence the retriever misses, this share teaches abstaining; the rest are
# left out, since another retrieved sentence may answer them and the label would be wrong.
MISSING_SHARE = 0.25
VAL_SHARE = 0.05  # of the policy sentences, whose questions go to val only


@dataclass(frozen=True)
class AnswererExample:
    """One question, the documents retrieved for it and the answer: a cited sentence, or the contact line."""

    question: str
    documents: list[RetrievedDocument]
    answer: str
    kind: str  # "answer", "missing" (the answering sentence not retrieved) or "unanswerable"

    def messages(self) -> list[dict[str, str]]:
        """The chat the adapter is trained on: the node's system prompt and sources, then the answer."""
        return [
            {"role": "system", "content": prompts.BANKING_SYSTEM},
            {"role": "user", "content": source_prompt(self.documents, self.question)},
            {"role": "assistant", "content": self.answer},
        ]


def cited_sentence(sentence: str, units: list[list[AnswerUnit]]) -> str | None:
    """The sentence as the extractive answer quotes it, cited [n]; None when no retrieved document's units hold it."""
    wanted = " ".join(sentence.split()).lower()
    for number, of_document in enumerate(units, start=1):
        for unit in of_document:
            if " ".join(unit.text.split()).lower() == wanted:
                return f"{quoted([unit])[0]} [{number}]"
    return None


def example_for(question: str, sentence: str | None, retriever: Retriever, settings: Settings,
                rng: random.Random) -> AnswererExample | None:  # fmt: skip
    """The example of one question (None: nothing retrieved, a missed sentence left out, or a failed check).

    The documents are those the node would read: the same top-k and relevance floor.
    """
    retrieved = retriever.retrieve(question, settings.retrieval_top_k)
    documents = [d for d in retrieved if d.score >= settings.retrieval_min_score]
    if not documents:
        return None
    if sentence is None:
        return AnswererExample(question, documents, prompts.NO_ANSWER, "unanswerable")
    units = [document_units(document) for document in documents]
    if (answer := cited_sentence(sentence, units)) is None:
        missed = rng.random() < MISSING_SHARE
        return AnswererExample(question, documents, prompts.NO_ANSWER, "missing") if missed else None
    texts = [[unit.text for unit in of_document] for of_document in units]
    return AnswererExample(question, documents, answer, "answer") if not grounded(answer, texts)[1] else None


def examples(sizes: dict[str, int], seed: int) -> dict[str, list[AnswererExample]]:
    """`sizes` examples per split (train, val); a policy sentence's questions all go to one split.

    Each sentence gives one question before any gives a second (`asked_in_rounds`), so a small set covers every
    sentence and a large one (6,000 chats for a GPU) asks each in several customers' words.
    """
    rng = random.Random(seed)
    sentences = [json.loads(line) for line in DEFAULT_UNIT_QUESTIONS.read_text(encoding="utf-8").splitlines()]
    rng.shuffle(sentences)
    cut = round(len(sentences) * VAL_SHARE)
    pools = {"val": sentences[:cut], "train": sentences[cut:]}
    unanswerable = [q.question for q in load_golden(UNANSWERABLE_TUNING_PATH)]
    settings = Settings()
    found: dict[str, list[AnswererExample]] = {}
    with open_retriever(settings) as retriever:
        for split, count in sizes.items():
            drawn = rng if split == "train" else random.Random(seed + 1)  # val's draw does not hang on train's
            asked = asked_in_rounds(pools[split], unanswerable if split == "train" else [], drawn)
            made = (example_for(question, sentence, retriever, settings, drawn) for question, sentence in asked)
            found[split] = list(islice((example for example in made if example is not None), count))
    return found


def asked_in_rounds(
    sentences: list[dict[str, Any]], unanswerable: list[str], rng: random.Random
) -> Iterator[tuple[str, str | None]]:
    """(question, the sentence that answers it or None), a round at a time: round k asks each sentence's k-th question.

    The first round, shuffled with the unanswerable questions, is what a one-question-per-sentence set was; the
    later rounds (each shuffled) add the other wordings. A sentence runs out when its questions do.
    """
    orders = [rng.sample(row["questions"], len(row["questions"])) for row in sentences]
    for round_ in range(max((len(order) for order in orders), default=1)):
        pairs = zip(orders, sentences, strict=True)
        asked = [(order[round_], row["text"]) for order, row in pairs if round_ < len(order)]
        asked += [(question, None) for question in (unanswerable if round_ == 0 else [])]
        rng.shuffle(asked)
        yield from asked


def example_record(example: AnswererExample) -> dict[str, Any]:
    """A JSON line: the chat and the kind of answer."""
    return {"messages": example.messages(), "kind": example.kind}


def write_splits(out_dir: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, Path]:
    """Each split as JSON lines under `out_dir` (training reads them with `python -m finetune.train --chats`)."""
    records = {split: [example_record(e) for e in rows] for split, rows in examples(sizes, seed).items()}
    return write_split_files(out_dir, records)


if __name__ == "__main__":
    write_splits_command(__doc__.splitlines()[0], write_splits, {"train": 800, "val": 32})
