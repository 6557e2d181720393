"""Hurried typing read as meant: a word no dictionary knows, one slip away from a word of the policies, is read as it.

"intenational one how amny days" is out of scope to the guard and "wire efe?" finds no fee; read as
"international one how many days" and "wire fee?" they are a banking follow-up and a fee question. Only the
guard and retrieval read the corrected text: the customer's own words are what the thread and audit keep.

A word is left alone when it is a real English word (pyspellchecker's frequency list, MIT), a policy word, or
chat shorthand; "shred" is not "shared" and "acct" is not "act". Otherwise it becomes the policy corpus's most
frequent word one slip away (a letter dropped, doubled, swapped with the next or mistyped: the slips
`finetune/typos.py` makes), if there is one. Placeholders such as <SSN_1> are never touched.
"""

from __future__ import annotations

import gzip
import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from tools.errors import ModelFilesError
from tools.text import STOPWORDS

# A whole word ("wouldn't" too), not inside a placeholder like <CARD_1>.
WORD = re.compile(r"(?<![<\w'])[A-Za-z]+(?:'[A-Za-z]+)*(?![\w>'])")
MIN_LENGTH = 3  # "ty", "rn", "u": too short to tell a slip from shorthand
# Below this length only a swap is read as a slip ("efe" is "fee"): "ltv" is an acronym, not "cltv" misspelt.
SHORT_WORD = 4
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Chat shorthand, and the finance acronyms and payment brands customers type that the word lists lack.
SHORTHAND = frozenset(
    "acct accts thx thanx ty tysm ppl plz pls cya idk bc cuz tho rn yr yrs hr hrs mins msg txt asap btw fyi "
    "omg lol smh ngl imo tbh wtf nvm sry pmt pmts amt bal txn xfer xfers dept govt todo todos yall wats "
    "otp hsa cpa apy apys aprs ein itin kyc ssn llc usaa citi zelle zell venmo cashapp paypal lyft uber ubers "
    "gmail hwy".split()
)
DICTIONARY_LINE = re.compile(r'^"([^"\n]*)": \d+,?$', re.MULTILINE)
CONTRACTION = re.compile(r"^[a-z]+'[a-z]{1,2}$", re.MULTILINE)  # "haven't", "there's", "you're", not "zürich's"


@dataclass(frozen=True)
class Speller:
    """Corrects slips toward the policies' words."""

    domain: Counter[str]  # the policy corpus's words, with how often each appears
    english: str  # every dictionary word on its own line, framed by newlines: a 1.9 MB string, not a 15 MB set

    def correct(self, text: str) -> str:
        """The text with each slip replaced by the word meant, its capital kept."""
        return WORD.sub(lambda match: self._word(match.group(0)), text)

    def _word(self, written: str) -> str:
        lower = written.lower()
        if not self.may_be_a_slip(lower):
            return written
        candidates = self.meant_candidates(lower)
        # The dictionary is read last (a scan of its string): most words have no policy word one slip away.
        if not candidates or f"\n{lower}\n" in self.english:
            return written
        meant = max(candidates, key=lambda word: (self.domain[word], word))
        if written.isupper():
            return meant.upper()
        return meant.capitalize() if written[:1].isupper() else meant

    def may_be_a_slip(self, word: str) -> bool:
        """Not a policy, stop or shorthand word, and of a length a slip of a policy word can have."""
        if not MIN_LENGTH <= len(word) <= self.longest + 1 or "'" in word:
            return False  # a 4,000-letter "word" is no slip, and its slips would cost seconds
        return word not in self.domain and word not in SHORTHAND and word not in STOPWORDS

    def meant_candidates(self, word: str) -> list[str]:
        """The policy words one slip away that the word may have meant.

        A swap keeps every letter, so it is the likeliest reading: "amny" is "many" before it is "any". Other
        slips keep the first letter, which typists rarely miss ("zell" is not "tell"). Never a stop word: it
        says nothing to retrieval, and "is ther a fee" read as "is the a fee" only misleads the guard.
        """
        found = [meant for meant in swapped(word) if meant in self.domain]
        if not found and len(word) >= SHORT_WORD:
            found = [meant for meant in one_slip_from(word) if meant[:1] == word[:1] and meant in self.domain]
        return [meant for meant in found if meant not in STOPWORDS]

    @cached_property
    def longest(self) -> int:
        """The longest policy word's length."""
        return max(map(len, self.domain), default=0)


def one_slip_from(word: str) -> set[str]:
    """Every string one dropped, doubled, swapped or mistyped letter away (Norvig's edits1)."""
    splits = [(word[:n], word[n:]) for n in range(len(word) + 1)]
    deleted = {left + right[1:] for left, right in splits if right}
    replaced = {left + letter + right[1:] for left, right in splits if right for letter in LETTERS}
    inserted = {left + letter + right for left, right in splits for letter in LETTERS}
    return deleted | swapped(word) | replaced | inserted


def swapped(word: str) -> set[str]:
    """Every string with two neighbouring letters of the word swapped."""
    return {word[:n] + word[n + 1] + word[n] + word[n + 2 :] for n in range(len(word) - 1)}


def build_speller(texts: Iterable[str], more_words: Iterable[str] = ()) -> Speller:
    """A speller for the policy texts; pyspellchecker's English words and `more_words` are its dictionary.

    `more_words`: the embedder's vocabulary, which knows names the dictionary lacks ("uber" is not "user").
    """
    domain = Counter(word for text in texts for word in WORD.findall(text.lower()))
    return Speller(domain, english_words() + "\n".join(more_words) + "\n")


def english_words() -> str:
    """The English word list of pyspellchecker, one word a line, framed by newlines."""
    try:
        resource = importlib.resources.files("spellchecker") / "resources" / "en.json.gz"
        listing = gzip.decompress(resource.read_bytes()).decode("utf-8")
    except (ModuleNotFoundError, OSError, ValueError) as exc:
        raise ModelFilesError(f"Cannot read pyspellchecker's English word list: {exc}") from exc
    # One substitution, not a list of 160,000 strings: the braces' lines stay, and are no word.
    words = DICTIONARY_LINE.sub(r"\1", listing)
    # Customers drop apostrophes: "havent", "theres" and "whos" are words too.
    unapostrophed = "\n".join(word.replace("'", "") for word in CONTRACTION.findall(words))
    return f"\n{words}\n{unapostrophed}\n"
