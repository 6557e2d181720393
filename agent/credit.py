"""Credit answers: extract facts with the fine-tuned extractor, keep those the diff supports, then phrase them.

The node (one customer) and the batch summarizer (many) share these steps. Numbers come from the
reports: a written answer that states any other number is regenerated once, then replaced by a template.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agent import prompts
from agent.runtime.backends import generate_hidden, generate_many
from tools.credit import CreditReport
from tools.credit_diff import Fact, describe_report, diff_reports
from tools.credit_facts import parse_facts, verify_facts
from tools.credit_plan import PlanStep, score_improvement_plan
from tools.credit_review import PLAN_STEPS_SHOWN
from tools.credit_sheet import comparison_sheet
from tools.draft_checks import complete_sentences, draft_problem

log = logging.getLogger(__name__)
DRAFT_MAX_TOKENS = 120  # a short paragraph
# The shipped advisor learned "fell 1 points" from its data (fixed in finetune/advisor_data.py since; a
# retrained adapter no longer needs this). A lone 1 before "points" is the only plural it gets wrong.
ONE_POINTS = re.compile(r"(?<![\d,.])1 points\b")


@dataclass(frozen=True)
class CheckedFacts:
    """Facts ready to be phrased: the extractor's supported ones, and how many of its lines were dropped."""

    facts: list[Fact]
    dropped: int  # unsupported facts and lines that are not facts at all
    from_diff: bool  # True when the facts are the diff's own (no extracted fact survived, or a single report)

    @property
    def source(self) -> str:
        """`extractor` or `diff`: where the facts shown come from (the `facts_source` of results)."""
        return "diff" if self.from_diff else "extractor"


def extractor_chat(sheet: str) -> list[dict[str, str]]:
    """The extractor's prompt as role/content dicts: training and run time use exactly this."""
    return [
        {"role": "system", "content": prompts.EXTRACTOR_SYSTEM},
        {"role": "user", "content": prompts.EXTRACTOR_USER.format(sheet=sheet)},
    ]


def extractor_messages(old: CreditReport, new: CreditReport) -> list[BaseMessage]:
    """The extractor's prompt for one pair of snapshots."""
    system, user = extractor_chat(comparison_sheet(old, new))
    return [SystemMessage(system["content"]), HumanMessage(user["content"])]


def check_extraction(output: str, truth: list[Fact], fallback: bool = True) -> CheckedFacts:
    """Keep the extracted facts the diff supports; malformed lines and unsupported facts are dropped.

    With `fallback`, an extraction with no supported fact is replaced by the diff's facts (the eval turns
    this off so that it scores what the extractor itself produced).
    """
    extraction = parse_facts(output)
    verified = verify_facts(extraction.facts, truth)
    dropped = len(verified.unsupported) + len(extraction.malformed)
    if dropped:
        log.info("Dropped %d extracted lines the reports do not support", dropped)
    if fallback and not verified.supported and truth:
        # Nothing usable came back (an untrained or failing extractor): the diff itself is still true.
        log.warning("The extractor stated no supported fact; using the deterministic diff")
        return CheckedFacts(truth, dropped, from_diff=True)
    return CheckedFacts(verified.supported, dropped, from_diff=False)


def extract_facts(extractor: BaseChatModel, reports: list[CreditReport]) -> CheckedFacts:
    """Facts for newest-first reports: extracted and checked for a pair, described for a single snapshot."""
    if len(reports) < 2:
        return CheckedFacts(describe_report(reports[0]), 0, from_diff=True)
    new, old = reports[0], reports[1]
    output = generate_hidden(extractor, extractor_messages(old, new))  # the extractor role's own token cap
    return check_extraction(output, diff_reports(old, new))


def extract_facts_many(
    extractor: BaseChatModel, histories: Sequence[list[CreditReport]], concurrency: int = 8
) -> list[CheckedFacts]:
    """`extract_facts` for many customers, with the pairs' extractions generated in batches."""
    pairs = [i for i, reports in enumerate(histories) if len(reports) >= 2]
    extraction_prompts = [extractor_messages(histories[i][1], histories[i][0]) for i in pairs]
    outputs = generate_many(extractor, extraction_prompts, None, concurrency)
    by_index = dict(zip(pairs, outputs, strict=True))
    results = []
    for index, reports in enumerate(histories):
        if index in by_index:
            results.append(check_extraction(by_index[index], diff_reports(reports[1], reports[0])))
        else:
            results.append(CheckedFacts(describe_report(reports[0]), 0, from_diff=True))
    return results


def improvement_plan(reports: list[CreditReport]) -> list[PlanStep]:
    """The top steps of the newest report's score-improvement plan."""
    return score_improvement_plan(reports[0])[:PLAN_STEPS_SHOWN]


def answer_messages(facts: list[Fact], plan: list[PlanStep], question: str, retry: bool = False) -> list[BaseMessage]:
    """The advisor's prompt (the credit-advisor adapter is trained on it); a retry asks for the given numbers only."""
    prompt = prompts.CREDIT_USER.format(facts=facts_block(facts), plan=plan_block(plan), question=question)
    system = prompts.CREDIT_SYSTEM + (" " + prompts.CREDIT_RETRY_NOTE if retry else "")
    return [SystemMessage(system), HumanMessage(prompt)]


def facts_block(facts: list[Fact]) -> str:
    """Fact lines for the prompt and the grounding check."""
    return "\n".join(fact.line for fact in facts)


def plan_block(plan: list[PlanStep]) -> str:
    """Plan steps as a bulleted list."""
    return "\n".join(f"- {step.action}" for step in plan) or "- (none)"


def checked_answer(model: BaseChatModel, facts: list[Fact], plan: list[PlanStep], question: str) -> str:
    """The model's paragraph if it states only the report's numbers; else one retry; else the template."""
    # Batch generation never streams, so an unchecked draft never reaches the user's screen.
    return checked_answers(model, [(facts, plan, question)], concurrency=1)[0]


def checked_draft(draft: str, facts: list[Fact], plan: list[PlanStep]) -> str | None:
    """The draft's complete sentences if they pass the checks against the facts and plan; else None."""
    draft = ONE_POINTS.sub("1 point", complete_sentences(draft))
    problem = draft_problem(draft, f"{facts_block(facts)}\n{plan_block(plan)}")
    if problem:
        log.info("Credit draft rejected (%s)", problem)
        return None
    return draft


def checked_answers(
    model: BaseChatModel,
    jobs: Sequence[tuple[list[Fact], list[PlanStep], str]],
    concurrency: int = 8,
    max_tokens: int = DRAFT_MAX_TOKENS,
) -> list[str]:
    """`checked_answer` for many customers: drafts, then retries, each generated as one batch."""
    answers, _ = shown_drafts(model, jobs, concurrency, max_tokens)
    return [answer or templated_answer(*jobs[i][:2]) for i, answer in enumerate(answers)]


def shown_drafts(
    model: BaseChatModel,
    jobs: Sequence[tuple[list[Fact], list[PlanStep], str]],
    concurrency: int = 8,
    max_tokens: int = DRAFT_MAX_TOKENS,
) -> tuple[list[str | None], int]:
    """Each job's draft that passed the checks (first try, else the retry; None: neither), and how many passed first."""
    answers: list[str | None] = [None] * len(jobs)
    first_passed = 0
    for retry in (False, True):
        pending = [i for i, answer in enumerate(answers) if answer is None]
        batch = [answer_messages(*jobs[i], retry=retry) for i in pending]
        drafts = generate_many(model, batch, max_tokens, concurrency)
        for index, draft in zip(pending, drafts, strict=True):
            answers[index] = checked_draft(draft, *jobs[index][:2])
        if not retry:
            first_passed = sum(answer is not None for answer in answers)
    return answers, first_passed


def templated_answer(facts: list[Fact], plan: list[PlanStep]) -> str:
    """An answer built only from the facts and plan: always true to the report."""
    steps = " ".join(step.action for step in plan)
    plan_text = prompts.CREDIT_TEMPLATE_PLAN.format(steps=steps) if plan else ""
    return prompts.CREDIT_TEMPLATE_ANSWER.format(facts=" ".join(f.text for f in facts), plan=plan_text)
