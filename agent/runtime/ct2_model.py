"""The `local` backend on CTranslate2: int8 weights, made for CPU; each adapter role is a merged copy of base + adapter.

CTranslate2 has no runtime LoRA, so the extractor and the advisor each run their own converted model (the base
with the role's adapter merged in). Each model loads on first use: a banking-only process never loads them. Only
`resident` models stay in memory at once (one by default): a credit turn uses the extractor, then the advisor, and
swapping one for the other from the page cache takes about 0.08 s, against 0.13 GiB for keeping both.

A batch job's prompts run in small sub-batches of similar length, on parallel workers: CTranslate2 cannot left-pad,
so in one big batch every prompt longer than the shortest is fed a token per decoding step, and 32 credit prompts
together ran slower than one by one.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent.runtime.chat_tokenizer import ChatTokenizer, load_chat_tokenizer
from agent.runtime.engine_cache import converted_model
from agent.runtime.local_model import AdapterChoice, adapter_name, check_prompt_fits, until_stop
from agent.runtime.model_files import resolve_model_dir
from tools.errors import ConfigurationError, ModelFilesError, first_line
from tools.memory import release_free_memory
from tools.text import cut_at_stop

log = logging.getLogger(__name__)
GeneratorLoader = Callable[[AdapterChoice], Any]  # the adapter's name (None: the base) -> Generator


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs: weight precision, threads, batch sub-batches and workers, role models kept loaded."""

    precision: str = "int8"
    threads: int = 1  # per generation
    batch_workers: int = 2  # sub-batches of one batch call generated at once, each on its own `threads`
    sub_batch: int = 4  # prompts per sub-batch; the engine sorts a batch by length before cutting it
    resident: int = 1  # role models in memory at once


@dataclass
class Ct2Runtime:
    """A tokenizer and the lazily loaded generators of the roles, with the same methods as LocalRuntime."""

    tokenizer: ChatTokenizer
    load_generator: GeneratorLoader  # called under `lock` only: loading one role may unload another
    context_tokens: int
    adapters: frozenset[str] = frozenset()
    sub_batch: int = EngineOptions.sub_batch  # one default, the engine options'
    # One generation at a time: the cores are shared anyway, and replies stay reproducible.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def generate(
        self, chat: list[dict[str, str]], *, use_adapter: AdapterChoice = None, max_new_tokens: int, stop: list[str]
    ) -> str:
        """The whole reply, through the streaming path so that a stop string ends generation early."""
        return "".join(self.stream(chat, use_adapter=use_adapter, max_new_tokens=max_new_tokens, stop=stop)).strip()

    def stream(
        self, chat: list[dict[str, str]], *, use_adapter: AdapterChoice = None, max_new_tokens: int, stop: list[str]
    ) -> Iterator[str]:
        """Yield the reply's text piece by piece, greedily, until the end token or a stop string."""
        prompt = self._prompt_tokens(chat, max_new_tokens)
        with self.lock:
            generator = self.load_generator(use_adapter)
            steps = generator.generate_tokens(
                prompt, max_length=max_new_tokens, sampling_topk=1, end_token=self._end_tokens()
            )
            try:
                yield from until_stop(self._text_pieces(step.token_id for step in steps), stop)
            finally:
                steps.close()  # stops the engine when the caller stops reading (a stop string, a cancel)
                release_free_memory()

    def generate_batch(
        self,
        chats: list[list[dict[str, str]]],
        *,
        use_adapter: AdapterChoice = None,
        max_new_tokens: int,
        stop: list[str],
    ) -> list[str]:
        """Replies to many chats in one call: the engine sorts them by length and runs sub-batches in parallel."""
        prompts = [self._prompt_tokens(chat, max_new_tokens) for chat in chats]
        with self.lock:
            generator = self.load_generator(use_adapter)
            results = generator.generate_batch(
                prompts,
                max_batch_size=self.sub_batch,
                max_length=max_new_tokens,
                sampling_topk=1,
                include_prompt_in_result=False,
                end_token=self._end_tokens(),
            )
            release_free_memory()
        texts = [self.tokenizer.decode(r.sequences_ids[0]) for r in results]
        return [cut_at_stop(text, stop).strip() for text in texts]

    def _prompt_tokens(self, chat: list[dict[str, str]], max_new_tokens: int) -> list[str]:
        """The chat rendered with the model's own template, as the token strings CTranslate2 takes."""
        ids = self.tokenizer.chat_ids(chat)
        check_prompt_fits(len(ids), max_new_tokens, self.context_tokens)
        return self.tokenizer.tokens(ids)

    def _end_tokens(self) -> list[str]:
        return [self.tokenizer.eos_token]

    def _text_pieces(self, token_ids: Iterator[int]) -> Iterator[str]:
        """Decode the growing sequence and yield what is new; a split multi-byte character waits for its end."""
        ids: list[int] = []
        shown = ""
        for token_id in token_ids:
            ids.append(token_id)
            text = self.tokenizer.decode(ids)
            if text.endswith("\ufffd") or not text.startswith(shown):
                continue
            if len(text) > len(shown):
                yield text[len(shown) :]
                shown = text


@dataclass
class ResidentModels:
    """The roles' generators whose weights are in memory, at most `limit`, the least recently used first."""

    limit: int
    loaded: dict[str | None, Any] = field(default_factory=dict)

    def use(self, name: str | None, open_generator: Callable[[str | None], Any]) -> Any:
        """The role's generator with its weights loaded; others are unloaded first to stay within the limit."""
        generator = self.loaded.pop(name, None)
        if generator is None:
            while self.loaded and len(self.loaded) >= self.limit:
                self.loaded.pop(next(iter(self.loaded))).unload_model()
            generator = open_generator(name)  # created once per role, loaded as it is created
            if not generator.model_is_loaded:
                generator.load_model()
        self.loaded[name] = generator
        return generator


def load_ct2_runtime(
    base_model: str, adapters: Sequence[tuple[str, Path]], cache_dir: Path, options: EngineOptions
) -> Ct2Runtime:
    """Load (once per process) the tokenizer; each role's converted model loads on its first use."""
    named = tuple((name, str(path)) for name, path in adapters)
    return _load_cached(base_model, named, str(cache_dir), options)


@lru_cache(maxsize=2)
def _load_cached(
    base_model: str, adapters: tuple[tuple[str, str], ...], cache_dir: str, options: EngineOptions
) -> Ct2Runtime:
    model_dir = Path(resolve_model_dir(base_model, Path(cache_dir)))
    tokenizer = load_chat_tokenizer(model_dir)  # not transformers': that would import torch into every process
    try:
        context = int(json.loads((model_dir / "config.json").read_text()).get("max_position_embeddings", 2048))
    except (OSError, ValueError) as exc:
        raise ModelFilesError(f"Cannot load the model {base_model!r}: {first_line(exc)}") from exc
    paths = {name: Path(path) for name, path in adapters}  # each checked by its hash, on its role's first use
    loader = _generator_loader(model_dir, paths, Path(cache_dir), options)
    return Ct2Runtime(tokenizer, loader, context, frozenset(paths), sub_batch=options.sub_batch)


def _generator_loader(
    model_dir: Path, adapters: dict[str, Path], cache_dir: Path, options: EngineOptions
) -> GeneratorLoader:
    """`adapter name -> Generator`, converting each role's model once, on first use, keeping `resident` loaded."""
    lock = threading.Lock()
    resident, precision = ResidentModels(options.resident), options.precision

    @lru_cache(maxsize=len(adapters) + 1)
    def load_named(name: str | None) -> Any:
        if name is not None and name not in adapters:
            raise ValueError(f"No adapter {name!r} is configured (configured: {sorted(adapters)}).")
        adapter = adapters[name] if name is not None else None
        with lock:  # two threads asking at once convert once
            folder = converted_model(model_dir, adapter, precision, cache_dir)
            try:
                return _open_generator(folder, options)
            except ModelFilesError:
                # Damaged after its manifest was written (a disk fault, a hand edit): rebuild it once.
                log.warning("Cannot load %s: converting it again", folder)
                shutil.rmtree(folder, ignore_errors=True)
                folder = converted_model(model_dir, adapter, precision, cache_dir)
                return _open_generator(folder, options)

    def load(use_adapter: AdapterChoice) -> Any:
        return resident.use(adapter_name(use_adapter), load_named)

    return load


def require_ctranslate2() -> None:
    """Fail fast, with the install command, when the engine's package is missing."""
    try:
        import ctranslate2  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            "The ctranslate2 engine is not installed: run `pip install -e '.[ctranslate2]'`, "
            "or set BANKASSIST_LOCAL_ENGINE=transformers."
        ) from exc


def _open_generator(folder: Path, options: EngineOptions) -> Any:
    import ctranslate2

    try:
        return ctranslate2.Generator(
            str(folder),
            device="cpu",
            compute_type=options.precision,
            intra_threads=options.threads,
            inter_threads=options.batch_workers,  # the workers share one copy of the weights
        )
    except (RuntimeError, ValueError) as exc:
        raise ModelFilesError(f"Cannot load the converted model {folder.name}: {first_line(exc)}") from exc
