"""Misspelled copies of training queries, so the scope guard learns to read hurried typing."""

from __future__ import annotations

import random

KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
CHARS_PER_SLIP = 15  # one slip per this many characters, as in a quickly typed message


def with_typos(texts: list[str], share: float, seed: int) -> list[tuple[int, str]]:
    """Misspelled copies of about `share` of the texts, as (index, copy); the same seed gives the same copies."""
    rng = random.Random(seed)
    return [(i, misspell(text, rng)) for i, text in enumerate(texts) if rng.random() < share]


def misspell(text: str, rng: random.Random) -> str:
    """Drop, swap, double or mistype letters ("wheres the closest brnach")."""
    chars = list(text)
    for _ in range(max(1, len(chars) // CHARS_PER_SLIP)):
        if len(chars) < 4:
            break
        i = rng.randrange(len(chars) - 1)
        slip = rng.randrange(4)
        if slip == 0:
            del chars[i]
        elif slip == 1:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif slip == 2:
            chars.insert(i, chars[i])
        else:
            chars[i] = rng.choice(KEYBOARD)
    return "".join(chars)
