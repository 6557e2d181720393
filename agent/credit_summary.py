"""Credit summaries for many customers at once (`bankassist summarize`): batched extraction and phrasing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent import prompts
from agent.credit import checked_answers, extract_facts_many, improvement_plan
from tools.reports import ReportStore
from tools.third_person import third_person
from tools.validation import check_customer

# An analyst's summary states every fact and then the first step; four facts alone fill a chat answer's
# 120 tokens: demo customer C0001's four-fact summary lost its step at 120 and keeps it at 220.
SUMMARY_MAX_TOKENS = 220


def summarize_customers(
    reports: ReportStore,
    extractor: BaseChatModel,
    advisor: BaseChatModel,
    customer_ids: Sequence[str],
    concurrency: int = 8,
) -> list[dict[str, Any]]:
    """One JSON-ready summary per customer, in order; a customer without reports gets an `error`."""
    histories = {cid: reports.latest_reports(cid, 2) for cid in customer_ids}
    ready = [cid for cid in customer_ids if histories[cid]]
    checked = extract_facts_many(extractor, [histories[cid] for cid in ready], concurrency)
    plans = [improvement_plan(histories[cid]) for cid in ready]
    jobs = [(c.facts, plan, prompts.ANALYST_SUMMARY_QUESTION) for c, plan in zip(checked, plans, strict=True)]
    answers = checked_answers(advisor, jobs, concurrency, SUMMARY_MAX_TOKENS)
    done = {
        cid: {
            "customer_id": cid,
            "report_dates": [r.report_date.isoformat() for r in histories[cid]],
            "score": histories[cid][0].score,
            # For the analyst: the advisor and the diff speak to the customer ("Your score ...").
            "summary": third_person(answer),
            "facts": [third_person(f.line) for f in facts.facts],
            "facts_dropped": facts.dropped,
            "facts_source": facts.source,
            "plan": [third_person(step.action) for step in plan],
        }
        for cid, facts, plan, answer in zip(ready, checked, plans, answers, strict=True)
    }
    return [done.get(cid) or {"customer_id": cid, "error": prompts.NO_REPORTS} for cid in customer_ids]


def summarize_in_chunks(
    reports: ReportStore,
    extractor: BaseChatModel,
    advisor: BaseChatModel,
    customer_ids: Sequence[str],
    chunk: int,
    concurrency: int = 8,
) -> Iterator[dict[str, Any]]:
    """Summaries chunk by chunk, so a long job shows progress and keeps what it finished if interrupted."""
    for cid in customer_ids:
        check_customer(reports, cid)  # every id is checked before any model runs
    for start in range(0, len(customer_ids), chunk):
        ids = customer_ids[start : start + chunk]
        yield from summarize_customers(reports, extractor, advisor, ids, concurrency)
