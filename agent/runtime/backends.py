"""Chat-model factory for the roles, `synthesizer`, `extractor`, `advisor` and `answerer`, on either backend.

The advisor phrases credit answers: the synthesizer with the credit-advisor adapter on, or exactly the
synthesizer when there is none. The answerer writes banking answers (model-written mode) the same way, with the
banking-answerer adapter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig

from agent.runtime.probe import served_models
from agent.settings import Settings
from tools.text import cut_at_stop

log = logging.getLogger("bankassist.models")
Role = Literal["synthesizer", "extractor", "advisor", "answerer"]
# Tokens of model calls with this tag are the user-visible answer; every other call's tokens stay hidden.
ANSWER_TAG = "final_answer"
# The same mark as run metadata: LangGraph's server streams a token's metadata but not its tags.
ANSWER_METADATA = {"bankassist_call": ANSWER_TAG}


def build_chat_model(role: Role, settings: Settings) -> BaseChatModel:
    """Return a LangChain chat model for `role`; local weights load lazily on first use."""
    if settings.backend == "openai":
        return _openai_chat_model(role, settings)
    return _local_chat_model(role, settings)


def _local_chat_model(role: Role, settings: Settings) -> BaseChatModel:
    """An in-process engine; every role shares one runtime, the extractor, advisor and answerer with their adapter."""
    from agent.runtime.local_model import LocalChatModel
    from agent.runtime.model_files import check_model_source

    check_model_source(settings.base_model)
    adapter = role if role in dict(local_adapters(settings)) else None
    return LocalChatModel(
        runtime_loader=local_runtime_loader(settings),
        model_name=settings.base_model,
        adapter=adapter,
        max_new_tokens=role_token_cap(role, settings),
        batch_size=settings.generation_batch_size,
    )


def local_adapters(settings: Settings) -> tuple[tuple[str, Path], ...]:
    """(role, adapter) for each role that has one: one runtime holds them all on one copy of the base."""
    adapters = (
        ("extractor", settings.extractor_adapter),
        ("advisor", settings.advisor_adapter),
        ("answerer", settings.answerer_adapter),
    )
    return tuple((role, path) for role, path in adapters if path is not None)


def local_runtime_loader(settings: Settings) -> Callable[[], Any]:
    """Loads (once per process) the runtime of the configured engine: CTranslate2 by default, transformers."""
    assert settings.model_cache_dir is not None  # filled by the settings validator
    adapters, cache = local_adapters(settings), settings.model_cache_dir
    if settings.local_engine == "transformers":
        from agent.runtime.local_model import load_local_runtime

        return partial(load_local_runtime, settings.base_model, adapters, settings.device, cache)
    from agent.runtime.ct2_model import EngineOptions, load_ct2_runtime, require_ctranslate2

    require_ctranslate2()
    options = EngineOptions(
        precision=settings.local_precision,
        threads=settings.local_threads,
        batch_workers=settings.local_batch_workers,
        sub_batch=settings.local_sub_batch,
        resident=settings.local_resident_models,
    )
    return partial(load_ct2_runtime, settings.base_model, adapters, cache, options)


def served_extractor_name(settings: Settings) -> str:
    """The extractor's served name; the base model's when the server says it does not serve the adapter.

    A vLLM started without the adapter (none trained for its base yet) still answers credit questions: the
    base model extracts, and its facts are checked against the report like the adapter's.
    """
    return _served_or_base(settings, settings.extractor_model_name, "extracts credit facts")


def served_advisor_name(settings: Settings) -> str:
    """The advisor's served name; the base model's when the server does not serve the adapter, as before it."""
    return _served_or_base(settings, settings.advisor_model_name, "phrases credit answers")


def served_answerer_name(settings: Settings) -> str:
    """The answerer's served name; the base model's when the server does not serve the adapter, as before it."""
    return _served_or_base(settings, settings.answerer_model_name, "writes banking answers")


def _served_or_base(settings: Settings, wanted: str, task: str) -> str:
    """`wanted` when the server serves it (or does not say), else the base model, with one warning."""
    base = settings.synthesizer_model_name
    served = served_models(settings) if wanted != base else None
    if served is None or wanted in served:
        return wanted
    log.warning(
        "The model server does not serve %r: the base model %r %s instead "
        "(still checked against the report). Serve the adapter to turn it back on.",
        wanted,
        base,
        task,
    )
    return base


def _openai_chat_model(role: Role, settings: Settings) -> BaseChatModel:
    """An OpenAI-compatible server (vLLM in production); the role picks the served model name."""
    from langchain_openai import ChatOpenAI

    name = served_name(role, settings)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=name,
        base_url=str(settings.openai_base_url),
        api_key=key,
        timeout=settings.request_timeout_s,
        max_retries=settings.max_retries,  # the openai client backs off exponentially between retries
        temperature=0.0,
        max_completion_tokens=role_token_cap(role, settings),
    )


def served_name(role: Role, settings: Settings) -> str:
    """The served model name a role selects on the server."""
    if role == "extractor":
        return served_extractor_name(settings)
    if role == "advisor":
        return served_advisor_name(settings)
    if role == "answerer":
        return served_answerer_name(settings)
    return settings.synthesizer_model_name


def build_base_extractor(settings: Settings) -> BaseChatModel:
    """The base model in the extractor role (adapter off, the extractor's prompt and token cap): the baseline."""
    from tools.errors import ConfigurationError

    if settings.backend == "local" and settings.extractor_adapter is None:
        raise ConfigurationError("No extractor adapter is configured, so there is nothing to compare with the base.")
    if settings.backend == "openai" and settings.extractor_model_name == settings.synthesizer_model_name:
        raise ConfigurationError("Set BANKASSIST_OPENAI_EXTRACTOR_MODEL: the extractor is the base model now.")
    return build_chat_model(
        "extractor", settings.model_copy(update={"use_adapter": False, "openai_extractor_model": None})
    )


def role_token_cap(role: Role, settings: Settings) -> int:
    """The extractor lists every change, which can take twice an answer's tokens; the advisor writes an answer."""
    return settings.extractor_max_new_tokens if role == "extractor" else settings.max_new_tokens


def generate_answer(
    model: BaseChatModel, messages: Sequence[BaseMessage], max_tokens: int | None = None, stop: list[str] | None = None
) -> str:
    """Run the model for a user-visible answer, tagged so its tokens are streamed to the user."""
    reply = model.invoke(
        list(messages), config={"tags": [ANSWER_TAG], "metadata": ANSWER_METADATA}, stop=stop, **token_limit(max_tokens)
    )
    # Servers that ignore `stop` (some OpenAI-compatible ones do) still get their text cut here.
    return cut_at_stop(reply.text, stop or []).strip()


def generate_hidden(model: BaseChatModel, messages: Sequence[BaseMessage], max_tokens: int | None = None) -> str:
    """Run the model for an intermediate result (a draft, extracted facts): its tokens are never shown."""
    return model.invoke(list(messages), **token_limit(max_tokens)).text.strip()


def token_limit(max_tokens: int | None) -> dict[str, Any]:
    """The per-call cap, under its OpenAI name, which the local backend reads too."""
    return {"max_completion_tokens": max_tokens} if max_tokens else {}


def generate_many(
    model: BaseChatModel,
    conversations: Sequence[Sequence[BaseMessage]],
    max_tokens: int | None = None,
    concurrency: int = 8,
) -> list[str]:
    """Hidden replies to many prompts: padded batches in process, or bounded concurrent requests to a server."""
    from agent.runtime.local_model import LocalChatModel

    if not conversations:
        return []
    if isinstance(model, LocalChatModel):
        return model.generate_batch(conversations, max_tokens)
    # A server batches concurrent requests itself (vLLM's continuous batching); the bound protects it.
    config: RunnableConfig = {"max_concurrency": concurrency}
    replies = model.batch([list(c) for c in conversations], config=config, **token_limit(max_tokens))
    return [reply.text.strip() for reply in replies]
