"""Deterministic fakes for unit tests: an embedder, scripted chat models, services wired to them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agent.dependencies import Services, open_account_store, open_report_store
from agent.scope.guard import ScopeDecision, ScopeGuard
from agent.settings import Settings
from finetune.scope_encoder import TunedEncoder
from finetune.scope_guard import TrainingData, class_names_of, fit_linear_head, train_guard
from retrieval.ingest import sync_corpus
from retrieval.retriever import Retriever
from retrieval.stores.local import LocalVectorStore
from tools.datasets import project_queries
from tools.pii import PiiMasker

DIM = 512
WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = set("the a an is my i to of for what how do you your and in on".split())


class FakeEmbedder:
    """Hashed bag of words: texts sharing words are similar, and the same text always embeds the same."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in WORD.findall(text.lower()):
                if word not in STOPWORDS:
                    vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


class FakeTunedEmbedder(FakeEmbedder):
    """The fake guard's full encoder: the words beside hashed character 2-4-grams, so "wires" is near "wire"."""

    def embed(self, texts: list[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        grams = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=2**12, alternate_sign=False)
        characters = grams.transform([text.lower() for text in texts]).toarray().astype(np.float32)
        return np.hstack([super().embed(texts), characters]) / np.sqrt(2)


def scripted_model(replies: Iterable[str]) -> GenericFakeChatModel:
    """A chat model that returns the given replies in order (and streams them word by word)."""
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


_MASKER: PiiMasker | None = None
_GUARD: ScopeGuard | None = None


def shared_masker() -> PiiMasker:
    """presidio takes seconds to build: one masker for the whole unit-test session."""
    global _MASKER
    if _MASKER is None:
        _MASKER = PiiMasker()
    return _MASKER


def fake_guard() -> ScopeGuard:
    """The real trainer and guard on the fake embedder, trained on the project's own queries (once)."""
    global _GUARD
    if _GUARD is None:
        train = project_queries("train")
        data = TrainingData(train, np.ones(len(train)), project_queries("test"))
        _GUARD = ScopeGuard(
            train_guard(data, FakeEmbedder(), fake_tuned_encoder(data), "fake"), FakeEmbedder(), FakeTunedEmbedder()
        )
    return _GUARD


def fake_tuned_encoder(data: TrainingData) -> TunedEncoder:
    """A fake full encoder with a logistic-regression head in place of the fine-tuned one."""
    head = fit_linear_head(FakeTunedEmbedder().embed([q.text for q in data.train]), data, class_names_of(data))
    return TunedEncoder(FakeTunedEmbedder(), head, adapter={}, lora={})


def fake_services(
    settings: Settings,
    synthesizer_replies: Iterable[str] = (),
    extractor_replies: Iterable[str] = (),
    guard: Any = None,
) -> Services:
    """Real stores, guard and retrieval logic on the fake embedder; scripted models; a guard given skips training."""
    embedder = FakeEmbedder()
    # The fake embedder's scores are not MiniLM's: a follow-up needs no more than a first question.
    settings = settings.model_copy(update={"retrieval_follow_up_min_score": settings.retrieval_min_score})
    store = LocalVectorStore(Path(settings.data_dir) / "index.db")
    sync_corpus(settings.corpus_dir, store, embedder)
    reports = open_report_store(settings)
    synthesizer = scripted_model(synthesizer_replies)
    return Services(
        settings=settings,
        masker=shared_masker(),
        guard=guard or fake_guard(),
        retriever=Retriever(store, embedder),
        reports=reports,
        accounts=open_account_store(settings, reports),
        synthesizer=synthesizer,
        extractor=scripted_model(extractor_replies),
        advisor=synthesizer,  # as without an advisor adapter: one script phrases banking and credit answers
        answerer=synthesizer,  # likewise without a banking-answerer adapter
    )


class ScriptedGuard:
    """Returns the given decisions in order and records what each call saw of the thread."""

    def __init__(self, decisions: Iterable[ScopeDecision]) -> None:
        """Queue the decisions to return."""
        self.decisions = list(decisions)
        self.calls: list[tuple[str, str | None, str | None]] = []

    def classify_follow_up(self, text: str, previous_route: str | None, previous_text: str | None) -> ScopeDecision:
        """Record the call and return the next queued decision."""
        self.calls.append((text, previous_route, previous_text))
        return self.decisions.pop(0)

    def account_readings(self, texts: list[str]) -> list[None]:
        """No account head: the wording alone decides the account and handoff routes."""
        return [None for _ in texts]


class EchoChatModel(BaseChatModel):
    """Answers with the question it was asked (the <question> block, else the last message): crossed turns show."""

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> ChatResult:
        text = messages[-1].text
        question = text.split("<question>", 1)[-1].split("</question>", 1)[0].strip()
        return ChatResult(generations=[ChatGeneration(message=AIMessage(f"You asked: {question}"))])
