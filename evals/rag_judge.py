"""Judge metrics (Faithfulness, ResponseRelevancy, context precision) from any OpenAI-compatible endpoint.

Set up for small local judges (vLLM, `transformers serve`): few workers, long timeouts, JSON mode (RAGAS's
default for OpenAI clients). Every request the judge client sends is recorded, and a run fails when any went
elsewhere than the configured URL: no silent fallback to a hosted API. Failures are counted, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evals.rag_samples import JUDGE_METRICS, RagSample
from tools.errors import ConfigurationError

if TYPE_CHECKING:
    import httpx2
    from ragas.embeddings.base import BaseRagasEmbedding


@dataclass(frozen=True)
class JudgeConfig:
    """Where the judge is and how hard to lean on it."""

    url: str  # base URL of the OpenAI-compatible API, e.g. http://gpu-box:8000/v1
    model: str
    workers: int = 2
    timeout_s: float = 600.0
    max_tokens: int = 1024
    retries: int = 2  # Instructor's attempts at a reply that parses


@dataclass
class JudgeRun:
    """What the judge did: the URLs it was sent to, and per metric the failures by kind."""

    config: JudgeConfig
    requested_urls: list[str] = field(default_factory=list)
    failures: dict[str, Counter[str]] = field(default_factory=lambda: {name: Counter() for name in JUDGE_METRICS})

    def foreign_requests(self) -> list[str]:
        """Requests that did not go to the configured judge (there must be none)."""
        return [url for url in self.requested_urls if not url.startswith(self.config.url.rstrip("/"))]


def judge_client(config: JudgeConfig, run: JudgeRun) -> Any:
    """An AsyncOpenAI client bound to the judge URL that records every request it sends."""
    import httpx2  # the HTTP library openai 3 is built on
    from openai import AsyncOpenAI

    async def record(request: httpx2.Request) -> None:
        run.requested_urls.append(str(request.url))

    http = httpx2.AsyncClient(timeout=config.timeout_s, event_hooks={"request": [record]})
    # The key is a placeholder: local servers ignore it, and OPENAI_API_KEY must not leak to another host.
    return AsyncOpenAI(base_url=config.url, api_key="local-judge", http_client=http, max_retries=0)


def verify_judge(config: JudgeConfig) -> None:
    """One tiny request before the slow part: a clear error when the judge is down or is another model."""
    asyncio.run(_check_judge(config))


async def _check_judge(config: JudgeConfig) -> None:
    import openai

    run = JudgeRun(config)
    client = judge_client(config, run)
    try:
        reply = await client.chat.completions.create(
            model=config.model, messages=[{"role": "user", "content": "Reply OK."}], max_tokens=2
        )
    except openai.APIError as exc:
        raise ConfigurationError(f"The judge at {config.url} did not answer: {exc.__class__.__name__}.") from exc
    finally:
        await client.close()
    # `transformers serve` names the revision too ("<model>@main"); vLLM echoes the served name.
    if reply.model.split("@")[0] != config.model.split("@")[0]:
        raise ConfigurationError(f"The judge at {config.url} answered as {reply.model!r}, not {config.model!r}.")


async def judge_samples(samples: list[RagSample], config: JudgeConfig, embeddings: BaseRagasEmbedding) -> JudgeRun:
    """Score each sample (after `verify_judge`) with the three judge metrics, at most `workers` requests at a time."""
    from ragas.llms import llm_factory
    from tqdm.asyncio import tqdm_asyncio

    run = JudgeRun(config)
    client = judge_client(config, run)
    # Instructor logs every reply that does not parse; they are counted in the report instead.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    llm = llm_factory(config.model, client=client, max_tokens=config.max_tokens, max_retries=config.retries)
    metrics = judge_metrics(llm, embeddings)
    gate = asyncio.Semaphore(config.workers)

    async def one(sample: RagSample, name: str) -> None:
        async with gate:
            sample.scores[name] = await _judged(metrics[name], sample, run.failures[name])

    try:
        calls = [one(sample, name) for sample in samples for name in JUDGE_METRICS if sample.answered_from_passages]
        await tqdm_asyncio.gather(*calls, desc="rag: judging", unit="score")
    finally:
        await client.close()
    if run.foreign_requests():
        raise ConfigurationError(f"The judge client sent requests elsewhere than {config.url}: stopping.")
    return run


def judge_metrics(llm: Any, embeddings: BaseRagasEmbedding) -> dict[str, Callable[[RagSample], Awaitable[Any]]]:
    """Each judge metric as a call on one sample."""
    from ragas.metrics.collections import AnswerRelevancy, ContextPrecisionWithReference, Faithfulness

    faithfulness, relevancy = Faithfulness(llm=llm), AnswerRelevancy(llm=llm, embeddings=embeddings)
    precision = ContextPrecisionWithReference(llm=llm)
    return {
        "faithfulness": lambda s: faithfulness.ascore(
            user_input=s.question.question, response=s.answer, retrieved_contexts=s.contexts
        ),
        "answer_relevancy": lambda s: relevancy.ascore(user_input=s.question.question, response=s.answer),
        "context_precision": lambda s: precision.ascore(
            user_input=s.question.question, reference=s.question.reference_answer, retrieved_contexts=s.contexts
        ),
    }


async def _judged(
    score: Callable[[RagSample], Awaitable[Any]], sample: RagSample, failures: Counter[str]
) -> float | None:
    """One metric's value, or None with the failure counted: parse (no valid JSON), error (HTTP), nan."""
    import openai
    from instructor.exceptions import InstructorError
    from pydantic import ValidationError

    try:
        value = (await score(sample)).value
    except (TimeoutError, InstructorError, ValidationError, ValueError, openai.APIError) as exc:
        failures[_failure_kind(exc)] += 1
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        failures["nan"] += 1
        return None
    return float(value)


def _failure_kind(exc: BaseException) -> str:
    """'error' when the request itself failed (anywhere in the cause chain), else 'parse'."""
    import openai

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (openai.APIError, TimeoutError)):
            return "error"
        seen = seen.__cause__ or seen.__context__
    return "parse"
