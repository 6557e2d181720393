"""Extractive answers: score every sentence of the retrieved passages against the question, pick the answer.

A 135M model is poor at free writing but the answer to a policy question is nearly always one sentence
or list item of the policy, stated exactly. A small logistic model over a few features (embedding
similarity, how close the question is to the customer questions the unit answers, shared words, a figure
where the question asks for one, the document's retrieval score)
says how likely each unit is to be the answer. Whether anything answers a standalone question is a second,
smaller model's call (`Answerability`, over the best unit); when nothing does, the assistant abstains. Both
are trained by `finetune/answer_selector.py` on the tuning questions. A unit that answers alone is quoted with
the next sentence of its paragraph (`with_next_sentence`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.answer_units import AnswerUnit, passage_units
from retrieval.embeddings import Embedder
from retrieval.retriever import RetrievedDocument
from retrieval.unanswered_questions import UnansweredQuestions
from retrieval.unit_questions import UnitQuestions
from tools.errors import ModelFilesError
from tools.grounding import NUMBER, numbers_in
from tools.text import CITATION, content_words

DEFAULT_WEIGHTS = Path(__file__).parent / "answer_selector.json"
# Weights fitted with the units' questions (`asked_like`), for BANKASSIST_UNIT_QUESTIONS_PATH: opt-in, see the README.
UNIT_QUESTIONS_WEIGHTS = Path(__file__).parent / "answer_selector_unit_questions.json"
MAX_UNITS = 3  # an answer quotes at most three sentences or list items
NEAR_SAME = 0.2  # a unit whose words differ from a chosen one's by at most this share is not quoted again
# A unit that restates the chosen ones' figures is left out when at most this share of its words is new.
FEW_NEW_WORDS = 0.2
FIGURE_AND_UNIT = re.compile(rf"(\$?{NUMBER.pattern}%?)\s*(?:-\s*)?([A-Za-z]+)?")  # the grounding check's numbers
# Another document's unit with the answer's figures and this close to one of its units says the same thing.
SAME_MEANING = 0.85
# A follow-up's best new unit this far below the answer just read (as a share of its probability) answers it less.
FAR_BELOW = 0.6
FEATURES = (
    "cosine", "lexical", "heading_lexical", "figure_wanted", "document_score", "first_document", "lead", "overview",
    "asked_like", "unanswered_like",
)  # fmt: skip
ASKED_LIKE = FEATURES.index("asked_like")
# The question's margin (`UnansweredQuestions.margin`), the same for all its units: the answerability check
# reads it, the unit model does not (it says whether anything answers, not which unit does): its weight stays 0.
UNANSWERED_LIKE = FEATURES.index("unanswered_like")
# What the answerability check reads of the best unit: its probability, the question's margin, its cosine and the
# share of the question's words it has.
ANSWERABLE_FEATURES = ("probability", "unanswered_like", "cosine", "lexical")
COSINE, LEXICAL = FEATURES.index("cosine"), FEATURES.index("lexical")
# A page's own introduction ("This page explains ...") resembles every question about the page and answers none.
OVERVIEW = re.compile(r"^(?:This (?:page|schedule|guide|section|document)|Here )")
FIGURE = re.compile(r"\d|\b(?:free|none|no fee)\b", re.IGNORECASE)
# Questions that ask for a figure: an amount, a limit, a time, a count, a phone number.
WANTS_FIGURE = re.compile(
    r"\b(?:how (?:much|many|long|soon|fast|often|old|late|early)|fees?|cost|costs|charge[sd]?|limits?|minimum|"
    r"maximum|max|min|rate|apr|interest|days?|hours?|when|what time|number|phone|call|percent|deadline|within)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answerability:
    """Whether the policy answers a standalone question at all: a logistic model over its best unit.

    The unit model's probability tells a good answer from a poor one, not a question the policy answers from
    one it does not: "daily atm limit for a teen account" finds the ATM limit's sentence as surely as "what's
    the daily ATM withdrawal limit?". Read together with how much closer the question is to the questions the
    policy leaves unanswered than to those it answers (`UnansweredQuestions.margin`), and with how close and how
    much of its wording the best unit is, it is: 5-fold cross-validated over the tuning questions, fact accuracy
    and abstention 0.476 / 0.780 with the unanswered gate it replaced, 0.493 / 0.812 with it (README, "The
    answerability check").
    """

    weights: tuple[float, ...]  # over ANSWERABLE_FEATURES, on their own scale
    bias: float
    threshold: float  # below this probability nothing in the passages answers: abstain

    def probability(self, best: ScoredUnit) -> float:
        """The probability that the policy answers the question whose best unit this is."""
        logit = self.bias + float(np.dot(self.weights, answerable_features(best)))
        return 1.0 / (1.0 + math.exp(-logit))

    def to_json(self) -> dict[str, object]:
        """As the weights file holds it."""
        named = dict(zip(ANSWERABLE_FEATURES, self.weights, strict=True))
        return {"weights": named, "bias": self.bias, "threshold": self.threshold}

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> Answerability | None:
        """From the weights file; absent or null: no check (the answer threshold alone decides)."""
        if data is None:
            return None
        named = dict(data["weights"])  # type: ignore[call-overload]
        weights = tuple(float(named[name]) for name in ANSWERABLE_FEATURES)
        return cls(weights, float(data["bias"]), float(data["threshold"]))  # type: ignore[arg-type]


def answerable_features(best: ScoredUnit) -> tuple[float, ...]:
    """The best unit's ANSWERABLE_FEATURES."""
    return (best.probability, best.features[UNANSWERED_LIKE], best.features[COSINE], best.features[LEXICAL])


@dataclass(frozen=True)
class SelectorWeights:
    """The logistic model's weights and the thresholds calibrated on the tuning questions."""

    weights: dict[str, float]
    bias: float
    answer_threshold: float  # below it no unit answers: abstain
    second_threshold: float  # the next units join the answer above it
    # No candidate answers a question like this one this closely: abstain. The unanswerable tuning questions
    # resemble some unit's questions less (median 0.49) than the answered ones do their answer's (0.78).
    asked_like_floor: float = 0.0
    # Whether anything answers a standalone question; where set (and the unanswered questions are loaded) it
    # decides in place of the answer threshold.
    answerable: Answerability | None = None

    @classmethod
    def load(cls, path: Path = DEFAULT_WEIGHTS) -> SelectorWeights:
        """Read the weights file; a missing or malformed one is a one-line ModelFilesError."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            first, second = map(float, data["thresholds"])
            floor = float(data.get("asked_like_floor", 0.0))  # files from before the units' questions have none
            answerable = Answerability.from_json(data.get("answerable"))
            return cls(dict(data["weights"]), float(data["bias"]), first, second, floor, answerable)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelFilesError(f"Cannot read the answer selector's weights {path}: {exc}") from exc


@dataclass(frozen=True)
class ScoredUnit:
    """A unit, the citation number of its document, its features and its probability of being the answer."""

    unit: AnswerUnit
    source: int
    features: tuple[float, ...]
    probability: float


class AnswerSelector:
    """Ranks the units of retrieved documents and picks the answer (or nothing)."""

    def __init__(
        self,
        embedder: Embedder,
        weights: SelectorWeights,
        unit_questions: UnitQuestions | None = None,
        unanswered: UnansweredQuestions | None = None,
    ) -> None:
        """Bind the embedder (questions and units share its space), the weights and the two question sets."""
        self.embedder = embedder
        self.weights = weights
        self.unit_questions = unit_questions
        self.unanswered = unanswered

    @property
    def weights(self) -> SelectorWeights:
        """The model's weights and thresholds."""
        return self._weights

    @weights.setter
    def weights(self, weights: SelectorWeights) -> None:
        self._weights = weights
        self._vector = np.array([weights.weights.get(name, 0.0) for name in FEATURES], dtype=np.float64)

    def rank(self, question: str, documents: list[RetrievedDocument]) -> list[ScoredUnit]:
        """Every unit of the documents' passages, most probable answer first."""
        units = [(n, unit) for n, doc in enumerate(documents, start=1) for unit in document_units(doc)]
        if not units:
            return []
        vectors = self.embedder.embed([question, *(unit.context for _, unit in units)])
        scored = []
        unanswered_like = self.unanswered.margin(vectors[0]) if self.unanswered else 0.0
        for (source, unit), vector in zip(units, vectors[1:], strict=True):
            document = documents[source - 1]
            similarity = (float(vector @ vectors[0]), self.asked_like(vectors[0], unit), unanswered_like)
            features = unit_features(question, unit, similarity, document.score, source)
            scored.append(ScoredUnit(unit, source, features, self.probability(features)))
        return sorted(scored, key=lambda s: -s.probability)

    def choose(
        self, question: str, documents: list[RetrievedDocument], said: str = "", asked: str = ""
    ) -> list[ScoredUnit]:
        """The answer's units for the question (none: abstain), leaving out units quoted in `said`."""
        return self.pick_unsaid(self.rank(question, documents), said, asked)

    def pick_unsaid(self, ranked: list[ScoredUnit], said: str, asked: str = "") -> list[ScoredUnit]:
        """`pick` among the ranked units that `said` (the answer a follow-up follows) does not already quote.

        `asked` is the follow-up's own words. When it is about the answer itself, that answer is quoted again
        rather than whatever else ranks above the threshold (see `asks_about_said`); so is it when no unsaid
        unit answers: asked "what if it doesn't come?" just after reading "If your new card still hasn't arrived
        after 10 business days, call ...", the customer gets that again, not "I don't have information".
        """
        if not said:
            return self.pick(ranked)
        quoted = [s for s in ranked if s.unit.text in said]
        unsaid = [s for s in ranked if not self.said_before(s, said, quoted)]
        if asks_about_said(ranked, unsaid, asked, said):
            return self.pick([s for s in ranked if s not in unsaid], standalone=False)
        # Where nothing new answers, what was just said is said again rather than "I don't have information".
        return self.pick(unsaid, standalone=False) or self.pick(ranked, standalone=False)

    def pick(self, ranked: list[ScoredUnit], standalone: bool = True) -> list[ScoredUnit]:
        """The best unit when it answers (`answers`), and the next ones (MAX_UNITS in all) above the second threshold.

        More than one unit answers the questions that ask two things (a fee and a time, two documents' facts).
        """
        if not ranked or not self.answers(ranked, standalone):
            return []
        chosen = [ranked[0]]
        for scored in ranked[1:MAX_UNITS]:
            if scored.probability >= self.weights.second_threshold and not self.says_again(scored, chosen):
                chosen.append(scored)
        return chosen

    def with_next_sentence(self, chosen: list[ScoredUnit], ranked: list[ScoredUnit]) -> list[ScoredUnit]:
        """A unit that answers alone, followed by the sentence after it in its paragraph (`next_in_paragraph`).

        The thresholds choose what answers; this only completes it, so training calibrates them without it.
        """
        after = next_in_paragraph(chosen[0], ranked) if len(chosen) == 1 else None
        # A page's introduction ("This page lists the common reasons ...") answers nothing.
        if after is None or OVERVIEW.match(after.unit.text) or self.says_again(after, chosen):
            return chosen
        return [*chosen, after]

    def says_again(self, scored: ScoredUnit, chosen: list[ScoredUnit]) -> bool:
        """The unit says what the chosen ones already say, in nearly their words or another page's."""
        return says_again_in_words(scored, chosen) or self.restates_elsewhere(scored, chosen)

    def said_before(self, scored: ScoredUnit, said: str, quoted: list[ScoredUnit]) -> bool:
        """The unit is in `said` (the answer a follow-up follows), or restates it; `quoted` are said's units."""
        return already_said(scored.unit.text, said) or self.restates_elsewhere(scored, quoted)

    def restates_elsewhere(self, scored: ScoredUnit, chosen: list[ScoredUnit]) -> bool:
        """Another document's chosen (or quoted) unit states the unit's figures with nearly the same meaning.

        The fee schedule restates the policy pages in other words: "Overdraft fee: $32 per item, at most 3 per
        day. ..." after "When we pay an overdraft, the fee is $32 per item, with a maximum of 3 overdraft fees
        per day." (cosine 0.93). Within one document a sentence that close adds a rule ("If your balance is
        under $35, the minimum payment is the full balance." after the $35 minimum payment, 0.86), so only
        other documents' units count. Embedded only when the figures match, which few answers reach. Units are
        judged as quoted, with the sentence they lean on: "It is mailed to you ..." on the tax page says what it
        says on the interest page, each after its own "we send Form 1099-INT by January 31".
        """
        text = scored.unit.with_lead
        figures = numbers_in(text)
        elsewhere = [c.unit.with_lead for c in chosen if c.unit.doc_id != scored.unit.doc_id]
        if not figures or not elsewhere or not figures <= numbers_in(" ".join(c.unit.with_lead for c in chosen)):
            return False
        vectors = self.embedder.embed([text, *elsewhere])
        return float(np.max(vectors[1:] @ vectors[0])) >= SAME_MEANING

    def asked_like_enough(self, ranked: list[ScoredUnit]) -> bool:
        """Some candidate answers a question close enough to this one (always, without the units' questions)."""
        if self.unit_questions is None:
            return True
        return max(s.features[ASKED_LIKE] for s in ranked) >= self.weights.asked_like_floor

    def answers(self, ranked: list[ScoredUnit], standalone: bool) -> bool:
        """Whether the best unit answers the question, by the answerability check or else the answer threshold.

        The asked-like floor and the answerability check hold for `standalone` questions only: they were
        calibrated on them, and a follow-up read after the question before it ("How long does an ACH transfer
        take? and how much does that cost?") is worded like no one customer question.
        """
        answerable = self.weights.answerable
        if not standalone or answerable is None or self.unanswered is None:
            sure_enough = ranked[0].probability >= self.weights.answer_threshold
            return sure_enough and (not standalone or self.asked_like_enough(ranked))
        return self.asked_like_enough(ranked) and answerable.probability(ranked[0]) >= answerable.threshold

    def rescore(self, ranked: list[ScoredUnit]) -> list[ScoredUnit]:
        """The same units scored with this selector's weights (training tries many), best first."""
        scored = (ScoredUnit(s.unit, s.source, s.features, self.probability(s.features)) for s in ranked)
        return sorted(scored, key=lambda s: -s.probability)

    def asked_like(self, question_vector: np.ndarray, unit: AnswerUnit) -> float:
        """How close the question is to the closest one the unit answers (0 without the units' questions)."""
        return self.unit_questions.asked_like(question_vector, unit) if self.unit_questions else 0.0

    def probability(self, features: tuple[float, ...]) -> float:
        """The logistic model's probability that a unit with these features answers the question."""
        logit = self.weights.bias + float(np.dot(self._vector, features))
        return 1.0 / (1.0 + math.exp(-logit))


def next_in_paragraph(scored: ScoredUnit, ranked: list[ScoredUnit]) -> ScoredUnit | None:
    """The sentence after the unit in its paragraph, among the ranked units; None at its end or for a list item.

    A policy paragraph states its rule, then what the customer needs with it: "A payment that shows up twice is
    often a pending authorization and its final charge." is followed by "When the merchant settles, the pending
    entry drops off and only one charge remains." Quoting the next sentence with a unit that answers alone
    states the expected fact for 0.534 of the answerable tuning questions against 0.498 without, for 6 more
    words an answer on average (52.5 against 46.7; the longest tenth unchanged, 90 and more).
    """
    unit = scored.unit
    return next(
        (
            s
            for s in ranked
            if s.source == scored.source
            and s.unit.passage == unit.passage
            and s.unit.position == unit.position + 1
            and s.unit.lead == unit.text
        ),
        None,
    )


def asks_about_said(ranked: list[ScoredUnit], unsaid: list[ScoredUnit], asked: str, said: str) -> bool:
    """The follow-up asks about the answer it follows (`said`), not about anything else the passages say.

    After "How long does an ACH transfer take?" (answered with the standard and the $3 next-day transfer),
    "And is there a faster option?" is answered by next-day ACH: the units just quoted outrank every other by
    far, and no other candidate has a word of the follow-up that the answer lacks ("a faster option for ACH?"
    names ACH, which the answer already does). "What about wires?" shares "wire" with the wire units, and
    "how much does that cost?" ranks the fee close to the answer just read: both get new units.
    """
    if not asked or not unsaid or unsaid[0] is ranked[0]:
        return False
    if unsaid[0].probability >= FAR_BELOW * ranked[0].probability:
        return False
    new_words = content_words(asked) - content_words(said)
    return not any(new_words & content_words(s.unit.text) for s in unsaid[:MAX_UNITS])


def says_again_in_words(scored: ScoredUnit, chosen: list[ScoredUnit]) -> bool:
    """The unit says what the chosen ones already say, by their words and figures.

    Two pages state the branch hours in nearly the same words; or the fee schedule restates, figure for
    figure, the policy sentence already quoted ("We acknowledge complaints within 2 business days and aim to
    resolve them within 15 business days." after "We aim to resolve complaints within 15 business days.
    Larkspur acknowledges every complaint within 2 business days ...").
    """
    words = content_words(scored.unit.text)
    for earlier in chosen:
        said = content_words(earlier.unit.text)
        if len(words ^ said) <= NEAR_SAME * len(words | said):
            return True
    return restates(scored.unit.text, " ".join(earlier.unit.text for earlier in chosen))


def only_said_before(chosen: list[ScoredUnit], said: str) -> bool:
    """Whether a follow-up's chosen units are all the previous answer's (`said`): it gets that answer again.

    `pick_unsaid` falls back to them when nothing new answers, or the follow-up is about that answer; a unit
    of its own ranked just below among them makes the answer a new one.
    """
    return bool(said and chosen) and all(already_said(scored.unit.text, said) for scored in chosen)


def already_said(text: str, said: str) -> bool:
    """The unit is quoted in `said` (an answer, with its citations), or restates it in other words.

    The ACH answer quotes the transfer-times list, which prices next-day ACH, and leaves "Next-day ACH
    transfers cost $3." out as a restatement; "What about wires?" after it must not add that sentence.
    """
    return text in said or restates(text, CITATION.sub("", said))


def restates(text: str, said: str) -> bool:
    """Every figure of `text` is in `said` with the same word after it, and few of its words are new.

    A list item is judged by its own words (`list_item`). The word after a figure keeps "7 business days" apart
    from "7 to 10 business days" and "$35, the" (a new rule about a $35 balance) from "$35 or" (the minimum
    payment); a unit without figures is never a restatement by this test. The test errs towards quoting: a
    figure that ends a sentence ("... costs $3.") does not match the same figure before a word, and a phone
    number or a time counts as several figures.
    """
    figures = figures_with_units(text)
    if not figures or not figures <= figures_with_units(said):
        return False
    words = content_words(list_item(text))
    return len(words - content_words(said)) <= FEW_NEW_WORDS * len(words)


def list_item(text: str) -> str:
    """A list item's own words, without the intro it is quoted with; other units whole.

    "Transfer times at Larkspur by type: international wire: usually 1 to 3 business days." says nothing
    that "International wires usually arrive in 1 to 3 business days, ..." does not: the intro's words name
    the list, not something new about the wire.
    """
    intro, colon, item = text.partition(": ")
    return item if colon and item and not NUMBER.search(intro) else text


def figures_with_units(text: str) -> set[tuple[str, str]]:
    """Each figure of the text ("$1,000", "3%", "7") with the word after it ("per", "business", "to")."""
    return {(figure.rstrip(","), unit.lower()) for figure, unit in FIGURE_AND_UNIT.findall(text)}


def document_units(document: RetrievedDocument) -> list[AnswerUnit]:
    """The units of a document's retrieved passages; overlapping passages repeat a paragraph, kept once."""
    seen: set[str] = set()
    units = []
    for index, passage in enumerate(document.passages):
        for unit in passage_units(passage, document.id, document.title, index):
            if unit.text not in seen:
                seen.add(unit.text)
                units.append(unit)
    return units


def unit_features(
    question: str, unit: AnswerUnit, similarity: tuple[float, float, float], document_score: float, source: int
) -> tuple[float, ...]:
    """The features of FEATURES, in order; `similarity` is (cosine to the unit, `asked_like`, `unanswered_like`)."""
    asked = content_words(question)
    cosine, asked_like, unanswered_like = similarity
    return (
        cosine,
        _share(asked, content_words(unit.with_lead)),
        _share(asked, content_words(unit.heading)),
        float(bool(WANTS_FIGURE.search(question)) and bool(FIGURE.search(unit.text))),
        document_score,
        float(source == 1),
        float(unit.position == 0),
        float(bool(OVERVIEW.match(unit.text))),
        asked_like,
        unanswered_like,
    )


def _share(asked: frozenset[str], found: frozenset[str]) -> float:
    """The share of the question's words the unit has."""
    return len(asked & found) / len(asked) if asked else 0.0
