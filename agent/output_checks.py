"""The last look at an answer before it is stored and shown: deterministic checks, no model.

- `system_prompt`: the answer repeats 8 or more consecutive words of a system prompt;
- `other_customer`: it names a customer other than the session's, by id or full name;
- `injection_in_answer`: it carries an instruction aimed at an AI, which only planted text would contain;
- `injection_in_message`: the customer's own message tries to override the rules (known jailbreak phrasing,
  or a fake transcript of assistant turns): whatever the model made of it is not shown;
- `pii`: it states PII values that neither the user wrote nor the bank's own text holds.

All but `pii` replace the whole answer with a canned reply; `pii` masks the values and keeps the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from agent import prompts
from tools.pii import PiiMasker, canonical
from tools.reports import Customer

# Eight words: ordinary phrasing shares shorter runs with the prompts ("the bank's accounts, cards and").
LEAK_WINDOW_WORDS = 8
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
PLACEHOLDER = re.compile(r"<[A-Z]+_\d+>")
# "Ignore the instructions" in the languages our customers write besides English (es, fr, de, it, pt, nl).
FOREIGN_OVERRIDE = (
    r"\b(?:ignora|ignorez|ignoriere|ignorieren|ignori|negeer|olvida|oublie|oubliez|vergiss|dimentica|esque[cç]a)\b"
    r"[^.!?\n]{0,40}?\b(?:instrucciones|instructions|anweisungen|istruzioni|instru[cç][oõ]es|instructies|reglas"
    r"|r[eè]gles|regeln|regole|regras|regels)\b"
)
# Phrases of prompt injection that no answer about the bank's policies or a credit report contains:
# override verbs aimed at the rules or the context, talk of prompts and modes, and an AI addressed by role.
INJECTION = re.compile(
    r"(?im)\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}?"
    r"\b(?:instructions?|rules|prompts?|guidelines|directives|guardrails|sources|context|question)\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|message|instructions?)\b"
    r"|\bdeveloper\s+mode\b|\bjailbr(?:eak|oken)\b|\bprompt\s+injection\b|\byou\s+are\s+now\b"
    r"|\bnew\s+instructions?\b|\b(?:to|dear|attention)[\s,:]+(?:the\s+|any\s+)?(?:ai|assistant|chatbot|llm)\b"
    r"|(?:^|[\[(<{]|[.!?]\s)\s*(?:system|assistant|ai|developer)\s*[:,]|" + FOREIGN_OVERRIDE
)
# Narrower for what customers write: none of the 29,034 BANKING77, CLINC150 and project queries matches it
# ("ignore my last question" and "can you override the limit" must stay questions).
MESSAGE_INJECTION = re.compile(
    r"(?i)\b(?:ignore|disregard|forget)\b[^.!?\n]{0,40}?\b(?:instructions?|rules|prompts?|guidelines|directives)\b"
    r"|\b(?:system|developer|hidden|initial)\s+(?:prompt|instructions?)\b"
    r"|\bdeveloper\s+mode\b|\bjailbr(?:eak|oken)\b|\bprompt\s+injection\b|" + FOREIGN_OVERRIDE
)
ASSISTANT_TURN = re.compile(r"(?im)^\s*assistant\s*:")


class CheckedAnswer(NamedTuple):
    """The answer to show, and the names of the checks that changed it (empty when it passed)."""

    text: str
    tripped: tuple[str, ...]


@dataclass(frozen=True)
class TurnFacts:
    """What the checks compare an answer with: who asked, what they wrote, what the bank's own text says."""

    user_text: str
    customer_id: str | None
    customers: list[Customer]
    trusted_text: str  # sources, facts and canned text of this turn: its PII values are the bank's or the user's


def check_answer(answer: str, turn: TurnFacts, masker: PiiMasker) -> CheckedAnswer:
    """Run every check; a leak or an injection (in the answer or the message) withholds the answer, PII is masked."""
    withheld = [
        name
        for name, tripped in (
            ("system_prompt", repeats_system_prompt(answer)),
            ("other_customer", bool(other_customers_named(answer, turn.customers, turn.customer_id))),
            ("injection_in_answer", carries_injection(answer)),
            ("injection_in_message", message_attempts_injection(turn.user_text)),
        )
        if tripped
    ]
    if withheld:
        return CheckedAnswer(prompts.OUTPUT_WITHHELD, tuple(withheld))
    masked = mask_foreign_pii(answer, masker, f"{turn.user_text}\n{turn.trusted_text}")
    return CheckedAnswer(masked, ("pii",) if masked != answer else ())


def system_prompts() -> tuple[str, ...]:
    """Every instruction text the models see; the extractor's too, as the synthesizer is the same model."""
    return (
        prompts.BANKING_SYSTEM,
        prompts.CREDIT_SYSTEM,
        prompts.CREDIT_RETRY_NOTE,
        prompts.EXTRACTOR_SYSTEM,
    )


@lru_cache(maxsize=1)
def _prompt_windows() -> frozenset[tuple[str, ...]]:
    """Every run of LEAK_WINDOW_WORDS words of the system prompts, built on first use."""
    return frozenset(w for text in system_prompts() for w in word_windows(text, LEAK_WINDOW_WORDS))


def word_windows(text: str, size: int) -> set[tuple[str, ...]]:
    """Runs of `size` consecutive words, lower-cased and without punctuation."""
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def repeats_system_prompt(answer: str) -> bool:
    """Whether the answer repeats a run of LEAK_WINDOW_WORDS words of any system prompt."""
    return not _prompt_windows().isdisjoint(word_windows(answer, LEAK_WINDOW_WORDS))


def other_customers_named(answer: str, customers: Iterable[Customer], customer_id: str | None) -> list[str]:
    """Ids and full names of customers other than the session's that the answer mentions."""
    own_name = next((c.name for c in customers if c.id == customer_id), None)
    labels = [label for c in customers if c.id != customer_id for label in (c.id, c.name) if label != own_name]
    return [label for label in labels if _mentions(answer, label)]


def _mentions(text: str, label: str) -> bool:
    """`label` as a whole token, in any case and spacing: "c0002", "Bob  Okafor"."""
    pattern = r"\s+".join(re.escape(part) for part in label.split())
    return re.search(rf"(?<![\w-]){pattern}(?![\w-])", text, re.IGNORECASE) is not None


def carries_injection(answer: str) -> bool:
    """Whether the answer holds an instruction aimed at an AI (planted in a document or report and echoed)."""
    return INJECTION.search(answer) is not None


def message_attempts_injection(message: str) -> bool:
    """Whether the customer's message uses jailbreak phrasing or fakes earlier assistant turns (many-shot)."""
    return MESSAGE_INJECTION.search(message) is not None or len(ASSISTANT_TURN.findall(message)) >= 2


def mask_foreign_pii(answer: str, masker: PiiMasker, allowed: str) -> str:
    """The answer with each PII value that `allowed` does not contain replaced by its placeholder."""
    masked = masker.mask(answer).text
    if masked == answer:
        return answer
    values = masked_values(answer, masked)
    if values is None:  # the masked text cannot be lined up with the answer: keep everything masked
        return masked
    allowed_canonical = canonical(allowed)
    literals = PLACEHOLDER.split(masked)
    pieces = [literals[0]]
    for (placeholder, value), literal in zip(values, literals[1:], strict=True):
        own = PLACEHOLDER.fullmatch(value) or canonical(value) in allowed_canonical
        pieces += [value if own else placeholder, literal]
    return "".join(pieces)


def masked_values(original: str, masked: str) -> list[tuple[str, str]] | None:
    """(placeholder, original value) for each placeholder of `masked`, in order; None if they do not line up."""
    literals = PLACEHOLDER.split(masked)
    pattern = "(.+?)".join(re.escape(literal) for literal in literals)
    match = re.fullmatch(pattern, original, re.DOTALL)
    if match is None:
        return None
    return list(zip(PLACEHOLDER.findall(masked), match.groups(), strict=True))
