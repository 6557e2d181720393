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
OBJECT_OF = (
    r"\b(for|to|with|of|on|about|from|at|by|help|helps|tell|give|gives|let|lets|show|shows|cost|costs|thank|keep|keeps|"
    r"hurt|hurts|remind|reminds|protect|protects) you\b"
)
# "You paid off ..." (a diff fact) names the customer, since a fact line has nothing before it; other verbs
# after "You" take "They", which agrees with them ("You need" -> "They need", not "The customer need").
PAST_TENSE = r"(?= (?:paid|made|had|opened|closed|missed)\b)"
RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(SENTENCE_START + r"Your\b"), "The customer's"),
    (re.compile(r"\bwhat your\b"), "what the customer's"),  # "Here is what your credit report shows."
    (re.compile(r"\byour\b"), "their"),
    (re.compile(r"\bYour\b"), "Their"),  # after a dash, a bracket or a quote
    (re.compile(r"\byours\b"), "theirs"),
    (re.compile(r"\bYours\b"), "Theirs"),
    (re.compile(r"\byourself\b"), "themselves"),
    (re.compile(r"\bYourself\b"), "Themselves"),
    (re.compile(OBJECT_OF, re.IGNORECASE), r"\1 them"),
    (re.compile(SENTENCE_START + r"You" + PAST_TENSE), "The customer"),
    (re.compile(r"\bYou\b"), "They"),
    (re.compile(r"\byou\b"), "they"),
)


def third_person(text: str) -> str:
    """The text with the customer addressed in the third person ("Your score" -> "The customer's score")."""
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text
