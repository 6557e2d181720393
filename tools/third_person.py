"""Credit answers written to the customer ("Your score fell ...") turned to the customer for an analyst.

The advisor, the diff's facts and the plan speak to the customer. An analyst reading "Your score fell 40
points" about someone else's report is misled about whose report it is, so for an analyst the second person
becomes the customer: "The customer's score fell 40 points", "pay their card balances down". The wording
the credit code and the advisor use is small and known (tools/credit_diff.py, tools/credit_plan.py,
finetune/advisor_data.py); these rules cover it and leave any other text as it was.
"""

from __future__ import annotations

import re

# Where a sentence (or a `Good:- ` fact) starts: "Your" there becomes "The customer's".
SENTENCE_START = r"(?:^|(?<=[.!?]\s)|(?<=:-\s)|(?<=:-))"
# After these "you" is an object ("it helps you"): "them", not "they".
OBJECT_OF = r"\b(for|to|with|help|helps|tell|give|gives|let|lets|show|shows|cost|costs) you\b"
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(SENTENCE_START + r"Your\b"), "The customer's"),
    (re.compile(r"\bwhat your\b"), "what the customer's"),  # "Here is what your credit report shows."
    (re.compile(r"\byour\b"), "their"),
    (re.compile(r"\b[Yy]ours\b"), "theirs"),
    (re.compile(r"\b[Yy]ourself\b"), "themselves"),
    (re.compile(OBJECT_OF), r"\1 them"),
    # "You paid off ..." (a diff fact): the customer, named, since a fact line has nothing before it.
    (re.compile(SENTENCE_START + r"You have\b"), "The customer has"),
    (re.compile(SENTENCE_START + r"You are\b"), "The customer is"),
    (re.compile(SENTENCE_START + r"You were\b"), "The customer was"),
    (re.compile(SENTENCE_START + r"You(?= [a-z])"), "The customer"),
    (re.compile(r"\bYou(?=\b)"), "They"),
    (re.compile(r"\byou(?=\b)"), "they"),
)


def third_person(text: str) -> str:
    """The text with the customer addressed in the third person ("Your score" -> "The customer's score")."""
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text
