"""What the web UI shows, as Markdown: the scope decision, sources, credit facts and batch summaries.

Pure functions of the turn's data, so they are tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from agent.service import validate_customer_id
from tools.errors import InvalidInputError

ROUTE_NAMES = {
    "banking": "Banking question: answered from the bank's policy documents",
    "credit": "Credit report question: answered from your own credit reports",
    "smalltalk": "Small talk",
    "out_of_scope": "Outside what this assistant covers",
    "clarify": "Unclear: asking what you meant",
    "account": "Your own accounts: answered from the bank's ledger",
    "handoff": "Handed to a person: a case for our team",
}
FACTS_SOURCES = {
    "extractor": "extracted by the fine-tuned model, each checked against the reports",
    "diff": "computed directly from the reports",
    "accounts": "read from the bank's ledger by the account tools",
}
MAX_BATCH_CUSTOMERS = 50
CUSTOMER_SEPARATORS = re.compile(r"[\s,;]+")
CLOSE_CASE = re.compile(r"close\s+(\S+)\s*(.*)", re.IGNORECASE | re.DOTALL)
CLOSE_CASE_HELP = "To close a case, type: close <case id> <how it was resolved>, e.g. close H-1A2B3C4D Called back."


def scope_markdown(
    route: str, confidence: float, reason: str | None = None, intent: str | None = None, intent_probability: float = 0.0
) -> str:
    """The guard's decision in words: its confidence, its most probable intent and, for a screened refusal, why."""
    why = f", screened: {reason}" if reason else ""
    named = f"; intent `{intent}` ({intent_probability:.2f})" if intent else ""
    return f"**{ROUTE_NAMES.get(route, route)}** (route `{route}`, confidence {confidence:.2f}{why}){named}"


def source_name(number: int) -> str:
    """The element name a citation links to: the answer's `[1]` opens source 1."""
    return f"[{number}]"


def element_name(number: int, display: Literal["side", "inline"]) -> str:
    """A source element's name: beside the answer, the citation that opens it; under it, shown as its header.

    Under an abstention a bare "[1]" header names nothing the answer says; the answer calls it the closest section.
    """
    return source_name(number) if display == "side" else "Closest section"


def source_display(output_check: Sequence[str]) -> Literal["side", "inline"]:
    """Where a source opens: beside the answer, from its citation, or under an abstention.

    An abstention names its closest section without a citation mark, and a side element that no citation links
    to is never seen.
    """
    return "inline" if "abstained" in output_check else "side"


def source_markdown(number: int, source: dict[str, Any]) -> str:
    """One retrieved source: its number, title, relevance score, the passage's section and the passage itself."""
    section, passage = passage_parts(str(source.get("snippet", "")), str(source["title"]))
    heading = f"**{source_name(number)} {source['title']}** (`{source['id']}`, relevance {float(source['score']):.2f})"
    named = f"\n\n*{section}*" if section else ""
    return f"{heading}{named}\n\n> {' '.join(passage.split())}"


def passage_parts(snippet: str, title: str) -> tuple[str, str]:
    """(its section's heading, its text): a passage opens with a "Title - Section" line, which is not its text.

    Run into the text, "Wire Transfers, ... - Cut-off times Domestic wires requested by ..." reads as one sentence.
    """
    first_line, newline, body = snippet.partition("\n")
    if not newline or not first_line.startswith(title):
        return "", snippet
    return first_line[len(title) :].removeprefix(" - ").strip(), body


def sources_markdown(sources: Sequence[dict[str, Any]]) -> str:
    """The numbered list of sources, as the answer cites them."""
    return "\n".join(
        f"{source_name(n)} {s['title']} (relevance {float(s['score']):.2f})" for n, s in enumerate(sources, start=1)
    )


def facts_markdown(facts: Sequence[str], dropped: int, source: str) -> str:
    """The verified credit facts, one per line, with how they were obtained."""
    lines = [f"- {fact}" for fact in facts] or ["- (no change between the two reports)"]
    note = FACTS_SOURCES.get(source, source)
    if dropped:
        note += f"; {dropped} extracted line(s) failed the check and were dropped"
    return "\n".join([*lines, "", f"_Facts {note}._"])


def parse_customer_ids(text: str) -> list[str]:
    """Customer ids typed as a list (spaces, commas or semicolons), de-duplicated in order."""
    ids = list(dict.fromkeys(part for part in CUSTOMER_SEPARATORS.split(text.strip()) if part))
    if not ids:
        raise InvalidInputError("Type one or more customer ids, e.g. C0001 C0002.")
    if len(ids) > MAX_BATCH_CUSTOMERS:
        raise InvalidInputError(f"At most {MAX_BATCH_CUSTOMERS} customers per batch; {len(ids)} were given.")
    return [validate_customer_id(customer_id) for customer_id in ids]


def parse_case_close(text: str) -> tuple[str, str] | None:
    """The Cases command's text: empty lists the open cases; `close ID resolution` closes one."""
    if not text.strip():
        return None
    match = CLOSE_CASE.fullmatch(text.strip())
    if match is None or not match.group(2).strip():
        raise InvalidInputError(CLOSE_CASE_HELP)
    return match.group(1).upper(), match.group(2).strip()


def summary_markdown(summary: dict[str, Any]) -> str:
    """One customer's batch summary: score, the summary paragraph, its facts and plan."""
    if "error" in summary:
        return f"### {summary['customer_id']}\n{summary['error']}"
    facts = "\n".join(f"- {fact}" for fact in summary["facts"]) or "- (no change)"
    plan = "\n".join(f"- {step}" for step in summary["plan"]) or "- (nothing to add)"
    dates = " vs ".join(summary["report_dates"])
    return (
        f"### {summary['customer_id']}: score {summary['score']} ({dates})\n{summary['summary']}\n\n"
        f"**Facts**\n{facts}\n\n**Plan**\n{plan}"
    )


def customer_label(customer_id: str, name: str) -> str:
    """How a customer appears in the analyst's selector."""
    return f"{customer_id} · {name}"


def cases_markdown(cases: Sequence[Any]) -> str:
    """Open cases as a table; a handoff's id opens its masked transcript."""
    if not cases:
        return "No open cases."
    how_to_close = "Close one with the Cases command: `close <case id> <how it was resolved>`."
    rows = [f"| {c.id} | {c.kind} | {c.customer_id or '-'} | {c.opened_at} | {c.subject} |" for c in cases]
    return "\n".join([f"**{len(cases)} open case(s)**", "", "| case | kind | customer | opened | about |",
                      "| --- | --- | --- | --- | --- |", *rows, "", how_to_close])  # fmt: skip
