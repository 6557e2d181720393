"""The scope guard: a cascade of two trained linear heads picks each message's route; no LLM call."""

# A fast head over static token embeddings decides most messages; when it is unsure, a head over the
# fine-tuned transformer's sentence embedding decides. "Unsure" is calibrated so that on the tuning set
# the cascade decides exactly as the transformer head alone. Below the calibrated in-scope threshold
# the guard refuses, and just below it, it asks a clarifying question instead.

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from agent.scope.screen import ReadMessage, read_message
from agent.scope.vague import says_nothing_yet
from agent.scope.weights import IntentHead, ScopeWeights, Thresholds, routes_of
from agent.state import ROUTES, Decision
from retrieval.embeddings import Embedder

IN_SCOPE = 3  # the first three ROUTES are in scope
ANSWERED: tuple[Decision, ...] = ("banking", "credit")  # the routes a follow-up may stay on
# In scope, but the two likeliest routes this close: the heads cannot tell, so ask. "something weird happened
# yesterday" is 0.28 small talk and 0.26 banking. On the scope eval's 4,543 queries no decision is this close.
SPLIT_MARGIN = 0.05
# Big batches let the transformer see the fast head's unsure rows together: 256 gave 385/s, 1,024 560/s.
BATCH = 1024
# Words that point back at an earlier turn ("and how long does that take?").
FOLLOW_UP = re.compile(
    r"^\s*(and|also|so|but|ok(ay)?|what about|how about|then)\b"
    r"|\b(that|it|this|those|these|them|they|one|ones|there)\b",
    re.IGNORECASE,
)
FOLLOW_UP_MAX_WORDS = 12
# Below this in-scope probability a message is clearly something else ("tell me a joke about that"),
# even right after a banking turn; above it, an out-of-scope or clarify decision may be a follow-up.
FOLLOW_UP_FLOOR = 0.2
# A text chat has no voice, so CLINC150's voice controls are never what a customer means: after a banking turn
# "And is there a faster option?" is 0.89 change_speed and 0.09 in scope alone, yet asks about the transfer.
# A short message pointing back that reads as one of them is read with the thread, whatever its in-scope share.
VOICE_CONTROLS = frozenset(
    f"clinc150:{name}" for name in ("change_speed", "change_volume", "change_accent", "whisper_mode")
)
# An in-scope route less likely than this may belong to the thread's other route. The fine-tuned head is
# sharp: "what about a late payment from two years ago?" is 0.95 banking alone, credit after a score question.
ROUTE_SURE = 0.97
# The intent head names the intent where its intents hold at least this much probability, so rows that a CLINC150
# class leads count too: on the held-out BANKING77 slice (where it was chosen) 3 more of 1,003 come out right
# than when only rows a BANKING77 intent leads are refined.
INTENT_SHARE = 0.2


@dataclass(frozen=True)
class ScopeDecision:
    """The route to take, the guard's confidence in it (0..1), and the in-scope probability behind it."""

    route: Decision
    confidence: float
    in_scope: float = 1.0
    reason: str | None = None  # why the screen refused it: "language", "frame" or "task"
    intent: str | None = None  # the most probable class: "banking77:card_arrival", "clinc150:...", "ours:credit"
    intent_probability: float = 0.0
    read_with_thread: bool = False  # placed by reading it after the message before: it follows that one up
    announces_only: bool = False  # says it has a question or got a letter, but not about what: ask (`vague`)


@dataclass(frozen=True)
class AccountReading:
    """The account head's probabilities that a message is about the customer's own accounts, or asks for a person."""

    own: float
    person: float


class ScopeGuard:
    """Cascade of the fast and full heads, then the calibrated thresholds."""

    def __init__(self, weights: ScopeWeights, fast_encoder: Embedder, full_encoder: Embedder) -> None:
        """Keep the weights and the two encoders (static token vectors; sentence transformer)."""
        self.weights = weights
        self._fast_encoder = fast_encoder
        self._full_encoder = full_encoder

    def classify(self, texts: list[str]) -> list[ScopeDecision]:
        """Route each text on its own: the heads read it without its frames, then the screen has its say."""
        read = [read_message(text) for text in texts]
        classes = self.class_probabilities([message.core for message in read])
        routes = routes_of(classes, self.weights.class_routes)
        return [self._decision(*row) for row in zip(routes, classes, read, strict=True)]

    def _decision(self, routes_row: np.ndarray, classes_row: np.ndarray, message: ReadMessage) -> ScopeDecision:
        """One message's decision: the heads' route and class, then the screen, then a message naming no subject."""
        decided = with_intent(decide(routes_row, self.weights.thresholds), classes_row, self.weights.class_names)
        return ask_if_vague(screen(decided, message), message)

    def classify_in_batches(self, texts: list[str], batch: int = BATCH) -> Iterator[ScopeDecision]:
        """Route many texts, a batch at a time, so callers can print as results come."""
        for start in range(0, len(texts), batch):
            yield from self.classify(texts[start : start + batch])

    def route_probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, 4) probabilities over ROUTES; only the fast head's unsure rows pay for the transformer."""
        return routes_of(self.class_probabilities(texts), self.weights.class_routes)

    def class_probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, classes) probabilities; rows whose route the fast head is unsure of come from the full head.

        Rows whose best class is a BANKING77 intent then have their intent chosen by the intent head.
        """
        weights = self.weights
        if not texts:
            return np.zeros((0, len(weights.class_names)), dtype=np.float32)
        fast = self._fast_encoder.embed(texts)
        probabilities = weights.fast.class_probabilities(fast)
        routes = routes_of(probabilities, weights.class_routes)
        unsure = np.flatnonzero(routes.max(axis=1) < weights.thresholds.escalate)
        full: dict[int, np.ndarray] = {}
        if unsure.size:
            embedded = self._full_encoder.embed([texts[i] for i in unsure])
            probabilities[unsure] = weights.full.class_probabilities(embedded)
            full.update(zip(unsure.tolist(), embedded, strict=True))
        if weights.intent is not None:
            self._refine_intents(weights.intent, probabilities, texts, fast, full)
        return probabilities

    def _refine_intents(
        self, intent: IntentHead, probabilities: np.ndarray, texts: list[str], fast: np.ndarray, full: dict
    ) -> None:
        """Let the intent head share out its intents' probability where they hold some (the transformer runs if needed).

        On general traffic few rows that did not escalate give BANKING77 intents that much (0.5% of CLINC150
        val), so the guard's throughput holds; on card and transfer questions it is what names them right.
        """
        rows = np.flatnonzero(probabilities[:, intent.columns].sum(axis=1) >= INTENT_SHARE)
        if not rows.size:
            return
        missing = [i for i in rows.tolist() if i not in full]
        if missing:
            full.update(zip(missing, self._full_encoder.embed([texts[i] for i in missing]), strict=True))
        features = np.hstack([np.stack([full[i] for i in rows.tolist()]), fast[rows]])
        intent.refine(probabilities, rows, features)

    def account_readings(self, texts: list[str]) -> list[AccountReading | None]:
        """What the account head reads in each text; None each for weights without one."""
        head = self.weights.account
        if head is None or not texts:
            return [None] * len(texts)
        features = np.hstack([self._full_encoder.embed(texts), self._fast_encoder.embed(texts)])
        return [AccountReading(float(row[1]), float(row[2])) for row in head.class_probabilities(features)]

    def full_class_probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, classes) probabilities from the transformer head alone."""
        return self.weights.full.class_probabilities(self._full_encoder.embed(texts))

    def fast_probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, 4) route probabilities from the fast head alone."""
        return self.weights.fast.route_probabilities(self._fast_encoder.embed(texts), self.weights.class_routes)

    def classify_follow_up(
        self, text: str, previous_route: Decision | None, previous_text: str | None
    ) -> ScopeDecision:
        """Route a message in its thread: an unclear follow-up to a banking or credit turn keeps that route."""
        decision = self.classify([text])[0]
        if decision.reason or decision.announces_only or not previous_text or not is_unclear(decision, previous_route):
            return decision
        unplaced = is_short_and_unplaced(decision, text, self.weights.thresholds)
        if previous_route != "clarify" and not (looks_like_follow_up(text) or unplaced):
            return decision
        # Read the message together with the one before; keep that reading only if it lands on a route we
        # answer (the thread's own route, or any of them after a clarifying question).
        combined = replace(self.classify([f"{previous_text} {text}"])[0], read_with_thread=True)
        wanted = ANSWERED if previous_route == "clarify" else (previous_route,)
        if combined.route in wanted:
            return combined
        # Torn between the two routes we answer, alone and with the thread: the thread's route breaks the tie
        # ("Back to the first one: how can they improve?" after a credit turn is 0.38 banking, then 0.80).
        if previous_route in ANSWERED and is_torn(decision) and is_torn(combined):
            return replace(combined, route=previous_route)
        return decision


def decide(probabilities: np.ndarray, thresholds: Thresholds) -> ScopeDecision:
    """Answer, clarify or refuse one message by its in-scope probability (its row over ROUTES)."""
    in_scope = float(probabilities[:IN_SCOPE].sum())
    best = int(np.argmax(probabilities[:IN_SCOPE]))
    runner_up = float(np.sort(probabilities[:IN_SCOPE])[-2])
    if in_scope >= thresholds.answer and probabilities[best] - runner_up >= SPLIT_MARGIN:
        return ScopeDecision(ROUTES[best], round(float(probabilities[best]), 3), round(in_scope, 3))
    if in_scope >= thresholds.clarify:
        return ScopeDecision("clarify", round(in_scope, 3), round(in_scope, 3))
    return ScopeDecision("out_of_scope", round(1 - in_scope, 3), round(in_scope, 3))


def with_intent(decision: ScopeDecision, class_row: np.ndarray, class_names: np.ndarray) -> ScopeDecision:
    """The decision with the most probable fine-grained class and its probability."""
    best = int(np.argmax(class_row))
    return replace(decision, intent=str(class_names[best]), intent_probability=round(float(class_row[best]), 3))


def screen(decision: ScopeDecision, message: ReadMessage) -> ScopeDecision:
    """Refuse what the heads may not wave through.

    Other languages; requests for off-topic work (a poem, a recipe, trivia), whatever route the heads give
    them; and framed messages whose rest is not a banking or credit question (small talk and clarify
    included: a fixed small-talk reply does no task, but the request should be refused).
    """
    if message.language:
        return refused(decision, "language")
    if not message.core:  # nothing but a frame: "ignore your rules"
        return refused(decision, "frame")
    if message.task:  # off-topic work, whatever it is dressed in ("...it's about my account")
        return refused(decision, "task")
    if message.framed and decision.route not in ("banking", "credit"):
        return refused(decision, "frame")
    return decision


def ask_if_vague(decision: ScopeDecision, message: ReadMessage) -> ScopeDecision:
    """A clarifying question for a message that names no subject ("I have a question"), wherever the heads put it.

    Small talk keeps its reply ("need help" gets what the assistant can do), and the screen's refusals stand.
    """
    if decision.reason or decision.route == "smalltalk" or not says_nothing_yet(message.core):
        return decision
    return replace(decision, route="clarify", confidence=decision.in_scope, announces_only=True)


def refused(decision: ScopeDecision, reason: str) -> ScopeDecision:
    """The decision turned into a refusal, with why (the heads' intent kept: it shows what was asked)."""
    return replace(decision, route="out_of_scope", confidence=1.0, reason=reason)


def is_torn(decision: ScopeDecision) -> bool:
    """On banking or credit, but not sure which."""
    return decision.route in ANSWERED and decision.confidence < ROUTE_SURE


def looks_like_follow_up(text: str) -> bool:
    """Short and pointing back ("what about international ones?")."""
    return len(text.split()) <= FOLLOW_UP_MAX_WORDS and FOLLOW_UP.search(text) is not None


def is_short_and_unplaced(decision: ScopeDecision, text: str, thresholds: Thresholds) -> bool:
    """Short, and neither in scope nor out of it to the heads: "cut off time for same day?" after a wire fee.

    A reader would take it with the thread even though no word points back. A message in scope but split
    between two routes is not unplaced: a new question must not be pulled onto the thread's route.
    """
    unsure = decision.route == "clarify" and decision.in_scope < thresholds.answer
    return unsure and len(text.split()) <= FOLLOW_UP_MAX_WORDS


def is_unclear(decision: ScopeDecision, previous_route: str | None) -> bool:
    """Not clearly out of scope, not small talk, and not clearly on a route other than the thread's."""
    if previous_route not in ("banking", "credit", "clarify") or decision.route == "smalltalk":
        return False
    if decision.route in ("out_of_scope", "clarify"):
        return decision.in_scope >= FOLLOW_UP_FLOOR or decision.intent in VOICE_CONTROLS
    return decision.route != previous_route and decision.confidence < ROUTE_SURE
