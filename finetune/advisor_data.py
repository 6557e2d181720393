"""The credit advisor's dataset: customers' credit questions, answered briefly from the checked facts and plan.

Each example is the synthesizer's own credit prompt (`agent.credit.answer_messages`: facts, suggestions,
question) with an ideal answer that addresses the question asked, states only figures from the facts and
plan, and says what to do first. Answers are varied (openers, paraphrases, order of advice) and every one
passes the run-time draft checks (`tools.draft_checks.draft_problem`) before it is kept, so the adapter
only ever sees answers the app would show.

Example commands:
    python -m finetune.advisor_data --out /tmp/advisor-chats   # train/val/test .jsonl (chats, kind, reference)
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.credit import answer_messages, facts_block, plan_block
from finetune.credit_data import SPLIT_SEED_OFFSETS, make_pair
from finetune.split_files import write_split_files, write_splits_command
from tools.credit_diff import Fact
from tools.credit_plan import PlanStep, score_improvement_plan
from tools.credit_review import PLAN_STEPS_SHOWN
from tools.draft_checks import draft_problem

# The questions customers ask about their report, by kind; a pair is asked only what its facts can answer.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "changed": (
        "What changed in my credit report?",
        "What's new on my credit report since last time?",
        "Can you tell me what changed on my report?",
        "what changed in my report",
        "Walk me through my latest credit report.",
        "Anything different on my credit file this month?",
    ),
    "score_move": (
        "Why did my score change?",
        "Why did my credit score move?",
        "What's behind the change in my score?",
        "why did my score go {way}?",
        "My score went {way}. Why?",
        "How come my credit score is {way}?",
    ),
    "improve": (
        "How can I improve my score?",
        "What should I do to raise my credit score?",
        "How do I get my score up?",
        "What's the best way to boost my credit?",
        "any tips to improve my credit",
        "What should I do first to fix my credit?",
    ),
    "utilization": (
        "What is my utilization?",
        "What is utilization and what is mine?",
        "How much of my credit am I using?",
        "Is my card utilization too high?",
        "Are my card balances hurting my score?",
    ),
    "oldest_card": (
        "Should I close my oldest card?",
        "Can I close my old credit card?",
        "Is it a good idea to close my oldest account?",
        "I never use my oldest card. Should I cancel it?",
    ),
    "late": (
        "I missed a payment. What should I do?",
        "How do I recover from a late payment?",
        "How long will my late payment hurt me?",
        "What do I do about my late payments?",
    ),
    "collection": (
        "Will paying this collection help?",
        "Should I pay off my collection?",
        "What should I do about the collection on my report?",
        "Does the collection account matter?",
    ),
    "inquiries": (
        "Should I apply for a new card now?",
        "Do hard inquiries hurt my score?",
        "Is it OK to apply for more credit right now?",
        "Why are there inquiries on my report?",
    ),
}
# Words an answer to each kind of question must use, whatever else it says (the eval's "addresses it" check).
KIND_KEYWORDS: dict[str, tuple[str, ...]] = {
    "changed": (),
    "score_move": ("score",),
    "improve": (),
    "utilization": ("utilization",),
    "oldest_card": ("open",),
    "late": ("on time",),
    "collection": ("collection",),
    "inquiries": ("inquir", "application"),
}
# Framing phrases claim nothing (two meaningful words at most), so the draft checks let them stand.
OPENERS = ("Here's what I see.", "Good question.", "Happy to help.", "Here's the short answer.", "Let's see.", "")
CLOSERS = ("Hope that helps!", "You've got this.", "Small steps add up.", "", "")
FIRST_STEP_LEADS = ("First, {}", "The first thing I'd do: {}", "Start here: {}", "Your best first step: {}")
NEXT_STEP_LEADS = ("After that, {}", "Next, {}", "Then {}")
REASON_LEADS = ("The main reason: {}", "What pulled it down: {}", "Behind it: {}")
GOOD_REASON_LEADS = ("What helped: {}", "Behind it: {}", "The main reason: {}")
SCORE_FACT = re.compile(
    r"Your (?P<model>.+?) score (?P<verb>fell|rose) (?P<pts>[\d,]+) points?, from (?P<a>\d+) to (?P<b>\d+)\."
)
UTILIZATION_FACT = re.compile(r"Your credit card utilization (?P<verb>fell|rose) from (?P<a>\d+%) to (?P<b>\d+%)\.")
# The sentences of an answer to one kind of question, or None when the report cannot answer it.
Answerer = Callable[[list[Fact], list[PlanStep], random.Random], list[str] | None]
MAX_FACTS_SPOKEN = 4  # a short answer; the rest are on the analyst's review
# A direct reply to a yes/no question comes first when the plan backs it; the checks drop one it does not.
DIRECT_REPLIES: dict[str, tuple[str, ...]] = {
    "oldest_card": ("No, I'd keep it open.", "I'd keep it open.", "Better to keep it open."),
    "inquiries": ("I'd avoid new applications for now.", "Best to avoid new credit applications for a while."),
    "collection": ("Yes, resolving the collection should help.", "Yes: resolve the collection."),
}
UTILIZATION_NOW = re.compile(r"utilization (?:from|to) (?P<now>\d+%)")


@dataclass(frozen=True)
class AdvisorExample:
    """One question about one customer's report, with the facts and plan the node gives and the ideal answer."""

    kind: str
    question: str
    facts: list[Fact]
    plan: list[PlanStep]
    answer: str

    def messages(self) -> list[dict[str, str]]:
        """The chat: the synthesizer's credit prompt, then the ideal answer."""
        roles = {"system": "system", "human": "user"}
        prompt = [{"role": roles[m.type], "content": str(m.content)} for m in answer_messages(*self.inputs())]
        return prompt + [{"role": "assistant", "content": self.answer}]

    def inputs(self) -> tuple[list[Fact], list[PlanStep], str]:
        """What the writer is given: the facts, the plan and the question."""
        return self.facts, self.plan, self.question


def lower_first(sentence: str) -> str:
    """A sentence continuing a lead: its first letter lower-cased ("Pay ..." -> "pay ...")."""
    return sentence[:1].lower() + sentence[1:]


def score_fact(facts: list[Fact]) -> Fact | None:
    """The fact about the score itself, if the report states one."""
    return next((f for f in facts if " score " in f.text and f.text.startswith("Your ")), None)


def say_fact(fact: Fact, rng: random.Random) -> str:
    """A fact in varied words that still say what its line says (the same figures, names and direction)."""
    if match := SCORE_FACT.fullmatch(fact.text):
        move = "drop" if match["verb"] == "fell" else "gain"
        points = "point" if match["pts"] == "1" else "points"
        options: tuple[str, ...] = (
            f"Your score {match['verb']} from {match['a']} to {match['b']}, a {match['pts']}-point {move}.",
            f"Your {match['model']} score {match['verb']} {match['pts']} {points}, from {match['a']} to {match['b']}.",
            f"Your score went from {match['a']} to {match['b']}: it {match['verb']} {match['pts']} {points}.",
        )
        return rng.choice(options)
    if match := UTILIZATION_FACT.fullmatch(fact.text):
        options = (
            f"Your card utilization {match['verb']} from {match['a']} to {match['b']}.",
            f"Your credit card utilization went from {match['a']} to {match['b']}: it {match['verb']}.",
        )
        return rng.choice(options)
    return fact.text


def say_steps(plan: list[PlanStep], rng: random.Random) -> list[str]:
    """The plan as advice, the first step named as the place to start."""
    if not plan:
        return []
    said = [rng.choice(FIRST_STEP_LEADS).format(lower_first(plan[0].action))]
    return said + [rng.choice(NEXT_STEP_LEADS).format(lower_first(step.action)) for step in plan[1:]]


def steps_of(plan: list[PlanStep], factor: str) -> list[PlanStep]:
    """The plan's steps about one factor (utilization, lates, ...)."""
    return [step for step in plan if step.factor == factor]


def facts_about(facts: list[Fact], *words: str) -> list[Fact]:
    """The facts that mention any of the words."""
    return [fact for fact in facts if any(word in fact.text.lower() for word in words)]


def answer_changed(facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> list[str] | None:
    """Every change (good news first), then where to start."""
    if not facts:
        return None
    ordered = sorted(facts, key=lambda f: f.polarity != "Good")[:MAX_FACTS_SPOKEN]
    return [say_fact(f, rng) for f in ordered] + say_steps(plan[:1], rng)


def answer_score_move(facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> list[str] | None:
    """The score's move, the changes that moved it the same way, and what to do first."""
    score = score_fact(facts)
    if score is None or "held steady" in score.text:
        return None
    reasons = [f for f in facts if f is not score and f.polarity == score.polarity][: MAX_FACTS_SPOKEN - 1]
    leads = GOOD_REASON_LEADS if score.polarity == "Good" else REASON_LEADS
    said = [say_fact(score, rng)]
    if reasons:
        said.append(rng.choice(leads).format(lower_first(say_fact(reasons[0], rng))))
        said += [say_fact(f, rng) for f in reasons[1:]]
    return said + say_steps(plan[:1], rng)


def answer_improve(facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> list[str] | None:
    """The plan, in order, first step first."""
    return say_steps(plan, rng) or None


def answer_topic(factor: str, words: tuple[str, ...]) -> Answerer:
    """An answer about one topic: its facts, then its plan steps (or the first step when it has none)."""

    def answer(facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> list[str] | None:
        related, steps = facts_about(facts, *words), steps_of(plan, factor)
        if not related and not steps:
            return None
        return [say_fact(f, rng) for f in related[:2]] + say_steps(steps or plan[:1], rng)

    return answer


def answer_utilization(facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> list[str] | None:
    """The customer's utilization in one sentence, then what brings it down."""
    body = answer_topic("utilization", ("utilization",))(facts, plan, rng)
    steps = steps_of(plan, "utilization")
    if body and steps and (match := UTILIZATION_NOW.search(steps[0].action)):
        body.insert(0, f"Right now your card utilization is {match['now']}.")
    return body


ANSWERS: dict[str, Answerer] = {
    "changed": answer_changed,
    "score_move": answer_score_move,
    "improve": answer_improve,
    "utilization": answer_utilization,
    "oldest_card": answer_topic("age", ("oldest",)),
    "late": answer_topic("lates", ("late", "past due")),
    "collection": answer_topic("collections", ("collection",)),
    "inquiries": answer_topic("inquiries", ("inquir",)),
}


def ask(kind: str, facts: list[Fact], rng: random.Random) -> str:
    """One phrasing of a kind of question; a score question says which way the score went."""
    score = score_fact(facts)
    way = "down" if score is not None and score.polarity == "Bad" else "up"
    return rng.choice(QUESTIONS[kind]).format(way=way)


def compose(kind: str, facts: list[Fact], plan: list[PlanStep], rng: random.Random) -> str | None:
    """An ideal answer that passes the run-time checks, or None when the report cannot answer this kind."""
    body = ANSWERS[kind](facts, plan, rng)
    if not body:
        return None
    trusted = f"{facts_block(facts)}\n{plan_block(plan)}"
    direct = rng.choice(DIRECT_REPLIES.get(kind, ("",)))
    opener = "" if direct else rng.choice(OPENERS)
    candidates = ([opener, direct, *body, rng.choice(CLOSERS)], [direct, *body], body)  # plainer when one trips
    for parts in candidates:
        answer = " ".join(part for part in parts if part)
        if draft_problem(answer, trusted) is None:
            return answer
    return None


def examples_for_seed(seed: int, per_pair: int = 2) -> list[AdvisorExample]:
    """Up to `per_pair` questions about one synthetic customer, of kinds their report can answer."""
    rng = random.Random(seed)
    pair = make_pair(seed)
    plan = score_improvement_plan(pair.new)[:PLAN_STEPS_SHOWN]
    kinds = list(QUESTIONS)
    rng.shuffle(kinds)
    examples: list[AdvisorExample] = []
    for kind in kinds:
        if len(examples) == per_pair:
            break
        if (answer := compose(kind, pair.facts, plan, rng)) is not None:
            examples.append(AdvisorExample(kind, ask(kind, pair.facts, rng), pair.facts, plan, answer))
    return examples


def split_examples(split: str, count: int, seed: int = 0) -> list[AdvisorExample]:
    """`count` examples of one split; train, val and test come from the extractor's disjoint seed ranges."""
    start = SPLIT_SEED_OFFSETS[split] + seed * 10_000_000 + 500_000  # not the extractor's pairs either
    examples: list[AdvisorExample] = []
    index = 0
    while len(examples) < count:
        examples += examples_for_seed(start + index)
        index += 1
    return examples[:count]


def example_record(example: AdvisorExample) -> dict[str, Any]:
    """A JSON line: the chat, the kind of question, and the reference answer."""
    return {"messages": example.messages(), "kind": example.kind, "reference": example.answer}


def write_splits(out_dir: Path, sizes: dict[str, int], seed: int = 0) -> dict[str, Path]:
    """Each split as JSON lines under `out_dir` (training reads them with `python -m finetune.train --chats`)."""
    records = {split: [example_record(e) for e in split_examples(split, count, seed)] for split, count in sizes.items()}
    return write_split_files(out_dir, records)


if __name__ == "__main__":
    write_splits_command(__doc__.splitlines()[0], write_splits, {"train": 6000, "val": 64, "test": 200})
