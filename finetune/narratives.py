"""Reference narratives: the facts of one report pair told as a short, warm paragraph, in varied wording.

They are the references the eval scores written answers against (ROUGE-L); the wording varies by seed
so a model cannot score well by memorising one template.
"""

from __future__ import annotations

import random

from tools.credit_diff import Fact

OPENERS = (
    "Here is what changed in your credit report.",
    "Let's walk through what changed since your last report.",
    "Here's a quick look at how your credit report has changed.",
    "I've compared your two latest reports, and here is what stands out.",
)
GOOD_LEADS = ("The good news:", "On the bright side,", "First, something positive:", "Nice work here:")
BAD_LEADS = ("On the other hand,", "Something to watch:", "One thing that hurt:", "Less helpful,")
ONLY_GOOD = ("Everything that moved, moved in your favour.", "It's a good report overall.")
ONLY_BAD = ("There were a few setbacks this time.", "This period brought some changes that weigh on your score.")
CLOSERS = (
    "Keep paying on time and your report will keep improving.",
    "If you'd like, I can suggest ways to raise your score.",
    "Let me know if you want tips on what to do next.",
    "Small steady steps make the biggest difference over time.",
)


def reference_narrative(facts: list[Fact], rng: random.Random) -> str:
    """A paragraph stating every fact once, good news first, with varied openers and transitions."""
    good = [f.text for f in facts if f.polarity == "Good"]
    bad = [f.text for f in facts if f.polarity == "Bad"]
    parts = [rng.choice(OPENERS)]
    if good and not bad:
        parts.append(rng.choice(ONLY_GOOD))
    if bad and not good:
        parts.append(rng.choice(ONLY_BAD))
    if good:
        parts += _led(rng.choice(GOOD_LEADS), good)
    if bad:
        parts += _led(rng.choice(BAD_LEADS), bad)
    parts.append(rng.choice(CLOSERS))
    return " ".join(parts)


def _led(lead: str, sentences: list[str]) -> list[str]:
    """The first sentence introduced by `lead` (lower-cased after a comma or colon), the rest as they are."""
    first = sentences[0]
    return [f"{lead} {first[0].lower()}{first[1:]}", *sentences[1:]]
