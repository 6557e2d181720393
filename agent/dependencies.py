"""The dependencies nodes use, built from settings by one factory so tests can pass fakes instead."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

from langchain_core.language_models import BaseChatModel

from agent.credit_questions import CreditQuestionKinds
from agent.runtime.backends import build_chat_model
from agent.runtime.serving import adapter_problem
from agent.scope.guard import ScopeGuard
from agent.scope.loading import build_guard
from agent.settings import Settings
from retrieval.answer_selector import AnswerSelector, SelectorWeights
from retrieval.documents import load_corpus
from retrieval.embeddings import Embedder, Encoder, load_retrieval_embedder, packaged_minilm_words
from retrieval.ingest import sync_corpus
from retrieval.retriever import Retriever
from retrieval.stores import VectorStore, WeaviateOptions, open_store
from retrieval.unanswered_questions import UnansweredQuestions
from retrieval.unit_questions import UnitQuestions
from tools.account_demo import is_demo_id, seed_ledgers
from tools.accounts import AccountStore
from tools.demo_data import seed_store
from tools.pii import PiiMasker
from tools.pii_memory import in_plain_words, load_pii_key
from tools.reports import ReportStore
from tools.spelling import Speller, build_speller
from tools.users import UserStore, seed_demo_users

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a turn needs besides its state and context."""

    settings: Settings
    masker: PiiMasker
    guard: ScopeGuard
    retriever: Retriever
    reports: ReportStore
    accounts: AccountStore  # the core-banking ledger, in the same app DB
    synthesizer: BaseChatModel
    extractor: BaseChatModel
    advisor: BaseChatModel  # phrases credit answers: the credit-advisor adapter, else the synthesizer itself
    answerer: BaseChatModel  # writes model-written banking answers: the banking-answerer adapter, else the synthesizer
    pii_key: bytes = b""  # keys the placeholder memory's hashes (tools/pii_memory); fakes may leave it empty
    selector: AnswerSelector | None = None  # extractive banking answers; None: the model writes them
    speller: Speller | None = None  # reads hurried typing as meant; None: the guard and retrieval read it as typed
    notices: tuple[str, ...] = ()  # what the operator should know about this setup (the first turn reports them)

    @cached_property
    def credit_kinds(self) -> CreditQuestionKinds:
        """Which credit questions the policy answers for anyone; embedded on the first credit question."""
        return CreditQuestionKinds.load(self.retriever.embedder, cache_dir=self.settings.model_cache_dir)

    def as_meant(self, text: str) -> str:
        """The text the guard and retrieval read: slips corrected ("wire efe?" is "wire fee?"), placeholders as words.

        No text the guard's heads or the retrieval encoder were trained on held a placeholder, and "<SSN_1>"
        reads as one more "ssn", a word of credit-report questions: "I told a scam caller my SSN <SSN_1>. What
        should I do?" went to credit. Left out, a value leaves a hole: "freeze <CARD_1> please" would read
        "freeze please", out of scope. So each reads as a plain word of its kind: "freeze card please".
        """
        return in_plain_words(self.speller.correct(text) if self.speller else text)

    def close(self) -> None:
        """Close the stores' connections."""
        self.retriever.store.close()
        self.reports.close()
        self.accounts.close()


def app_database_url(settings: Settings) -> str:
    """BANKASSIST_DATABASE_URL, always filled by the settings validator."""
    assert settings.database_url is not None
    return settings.database_url


def open_user_store(settings: Settings) -> UserStore:
    """The users/API-key tables in the app DB; in demo mode the demo users are created (or refreshed) on open.

    Production has only the users the operator adds (`bankassist users add`).
    """
    store = UserStore(app_database_url(settings))
    if settings.mode == "demo":
        password = settings.demo_password.get_secret_value() if settings.demo_password else None
        seed_demo_users(store, password)
    return store


def open_report_store(settings: Settings) -> ReportStore:
    """The app DB, seeded with the demo customers on first use."""
    store = ReportStore(app_database_url(settings))
    if not store.list_customers():
        count = seed_store(store)
        log.info("Seeded %d demo customers", count)
    return store


def open_account_store(settings: Settings, reports: ReportStore) -> AccountStore:
    """The ledger tables in the app DB; demo customers without a ledger get their demo one on first use."""
    store = AccountStore(app_database_url(settings))
    missing = [c.id for c in reports.list_customers() if not store.has_ledger(c.id)]
    demo = [cid for cid in missing if is_demo_id(cid)]
    if demo:
        seed_ledgers(store, demo)
        log.info("Seeded %d demo ledgers", len(demo))
    return store


def open_vector_store(settings: Settings, kind: str | None = None) -> VectorStore:
    """The configured vector store, or the `kind` asked for (`ingest --store`)."""
    api_key = settings.weaviate_api_key.get_secret_value() if settings.weaviate_api_key else None
    url = str(settings.weaviate_url).rstrip("/") if settings.weaviate_url else None
    weaviate = WeaviateOptions(
        url, api_key, settings.weaviate_grpc_port, settings.weaviate_collection, settings.weaviate_grpc_host
    )
    return open_store(kind or settings.vector_store, settings.data_dir, weaviate)


def build_embedder(settings: Settings) -> Encoder:
    """The retrieval embedder: the base model with the retrieval adapter merged (both queries and passages)."""
    return load_retrieval_embedder(settings.embedding_model, settings.retrieval_adapter)


def build_retriever(settings: Settings) -> Retriever:
    """The vector store and its embedder; syncs the corpus first when auto_ingest is on."""
    embedder = build_embedder(settings)
    store = open_vector_store(settings)
    try:
        if settings.auto_ingest:
            _sync_at_start(settings, store, embedder)
    except BaseException:
        store.close()
        raise
    return Retriever(store, embedder, settings.retrieval_alpha)


def _sync_at_start(settings: Settings, store: VectorStore, embedder: Embedder) -> None:
    """Sync the configured corpus into the store and log what changed."""
    report = sync_corpus(settings.corpus_dir, store, embedder, cache_dir=settings.model_cache_dir)
    if report.changed:
        counts = (len(report.added), len(report.updated), len(report.removed))
        log.info("Index synced: %d added, %d updated, %d removed", *counts)


def build_selector(settings: Settings, retriever: Retriever) -> AnswerSelector | None:
    """The extractive answer selector on the retriever's embedder, when banking answers are extractive."""
    if settings.banking_answers != "extractive":
        return None
    weights = SelectorWeights.load(settings.answer_selector_path)
    unit_questions = load_unit_questions(settings, retriever.embedder)
    unanswered = load_unanswered_questions(settings, retriever.embedder, unit_questions)
    return AnswerSelector(retriever.embedder, weights, unit_questions, unanswered)


def load_unanswered_questions(
    settings: Settings, embedder: Embedder, unit_questions: UnitQuestions | None
) -> UnansweredQuestions | None:
    """The unanswered questions when configured (with every unit's questions to weigh them against), else None."""
    if settings.unanswered_questions_path is None:
        return None
    path, cache = settings.unanswered_questions_path, settings.model_cache_dir
    return UnansweredQuestions.load(embedder, path, cache, unit_questions)


def load_unit_questions(settings: Settings, embedder: Embedder) -> UnitQuestions | None:
    """The units' questions when configured (embedded once per model cache), else None."""
    if settings.unit_questions_path is None:
        return None
    return UnitQuestions.load(embedder, settings.unit_questions_path, settings.model_cache_dir)


def build_corpus_speller(settings: Settings) -> Speller | None:
    """A speller toward the policy corpus's words, unless spelling correction is off."""
    if not settings.correct_spelling:
        return None
    documents = load_corpus(settings.corpus_dir)
    return build_speller((f"{d.title}\n{d.body}" for d in documents), packaged_minilm_words())


def served_settings(
    settings: Settings,
    extractor: BaseChatModel,
    advisor: BaseChatModel | None = None,
    answerer: BaseChatModel | None = None,
) -> Settings:
    """The settings as served: audit lines name the models that really answered.

    An adapter the model server lacks (extractor, advisor or answerer) is recorded as the base model that stands
    in for it.
    """
    if settings.backend != "openai":
        return settings
    update: dict[str, str] = {}
    served = getattr(extractor, "model_name", None)
    if served not in (None, settings.extractor_model_name):
        update["openai_extractor_model"] = served
    served = getattr(advisor, "model_name", None)
    if served not in (None, settings.advisor_model_name):
        update["openai_advisor_model"] = served
    served = getattr(answerer, "model_name", None)
    if served not in (None, settings.answerer_model_name):
        update["openai_answerer_model"] = served
    return settings.model_copy(update=update) if update else settings


def usable_answerer(settings: Settings) -> tuple[Settings, tuple[str, ...]]:
    """The settings, with a banking-answerer adapter the base model cannot wear turned off, and a notice why.

    A missing adapter folder, or one trained on another base, would fail the first banking answer; the base
    model writes the answers instead, as it did before the adapter, and the log says so once.
    """
    adapter = settings.answerer_adapter
    if settings.backend != "local" or settings.banking_answers != "generative" or adapter is None:
        return settings, ()
    if (problem := adapter_problem(adapter, settings.base_model)) is None:
        return settings, ()
    notice = f"{problem}; the base model writes banking answers instead (BANKASSIST_ANSWERER_ADAPTER_PATH)."
    log.warning(notice)
    return settings.model_copy(update={"use_answerer": False}), (notice,)


def build_services(settings: Settings) -> Services:
    """Build every dependency from settings; model weights load lazily on first generation."""
    settings, notices = usable_answerer(settings)
    retriever = build_retriever(settings)
    reports = open_report_store(settings)
    extractor = build_chat_model("extractor", settings)
    advisor = build_chat_model("advisor", settings)  # without an advisor adapter, the synthesizer's twin
    answerer = build_chat_model("answerer", settings)  # likewise without a banking-answerer adapter
    settings = served_settings(settings, extractor, advisor, answerer)
    return Services(
        settings=settings,
        masker=PiiMasker(),
        guard=build_guard(settings),
        retriever=retriever,
        reports=reports,
        accounts=open_account_store(settings, reports),
        synthesizer=build_chat_model("synthesizer", settings),
        extractor=extractor,
        advisor=advisor,
        answerer=answerer,
        pii_key=load_pii_key(settings.pii_key.get_secret_value() if settings.pii_key else None, settings.data_dir),
        selector=build_selector(settings, retriever),
        speller=build_corpus_speller(settings),
        notices=notices,
    )
