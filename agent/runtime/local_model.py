"""The `local` backend's chat model, and its transformers runtime: one copy of base weights shared by every role."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from agent.runtime.model_files import resolve_model_dir
from tools.errors import InvalidInputError, ModelFilesError, first_line
from tools.text import cut_at_stop

log = logging.getLogger(__name__)
ROLE_OF_MESSAGE_TYPE = {"system": "system", "human": "user", "ai": "assistant"}
AdapterChoice = str | bool | None  # see adapter_name


@dataclass
class LocalRuntime:
    """A loaded model and tokenizer; the roles' LoRA adapters, if any, sit on the same base weights, by name."""

    model: Any
    tokenizer: Any
    adapters: frozenset[str] = frozenset()
    # One generation at a time: switching adapters is model-wide, and CPU cores are shared anyway.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def generate(
        self, chat: list[dict[str, str]], *, use_adapter: AdapterChoice = None, max_new_tokens: int, stop: list[str]
    ) -> str:
        """Generate a reply to `chat` greedily and return only the new text, cut at a stop string."""
        inputs = self._encode(chat, max_new_tokens)
        with self.lock, self._adapter(use_adapter):
            output = self.model.generate(**inputs, **self._generation_kwargs(max_new_tokens, stop))
        new_tokens = output[0][inputs["input_ids"].shape[1] :]
        return cut_at_stop(self.tokenizer.decode(new_tokens, skip_special_tokens=True), stop).strip()

    def generate_batch(
        self,
        chats: list[list[dict[str, str]]],
        *,
        use_adapter: AdapterChoice = None,
        max_new_tokens: int,
        stop: list[str],
    ) -> list[str]:
        """Generate replies to many chats in one padded batch: far more tokens per second on CPU than one by one."""
        with self.lock, self._adapter(use_adapter):
            inputs = self._encode_batch(chats)  # under the lock: the tokenizer's padding state is shared
            output = self.model.generate(**inputs, **self._generation_kwargs(max_new_tokens, stop))
        prompt_length = inputs["input_ids"].shape[1]
        texts = self.tokenizer.batch_decode(output[:, prompt_length:], skip_special_tokens=True)
        return [cut_at_stop(text, stop).strip() for text in texts]

    def stream(
        self, chat: list[dict[str, str]], *, use_adapter: AdapterChoice = None, max_new_tokens: int, stop: list[str]
    ) -> Iterator[str]:
        """Yield the reply's text piece by piece while a background thread generates it."""
        from transformers import TextIteratorStreamer

        inputs = self._encode(chat, max_new_tokens)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with self._adapter(use_adapter):
                    self.model.generate(**inputs, **self._generation_kwargs(max_new_tokens, stop), streamer=streamer)
            except BaseException as exc:  # re-raised in the caller's thread below
                errors.append(exc)
                streamer.end()

        with self.lock:
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            try:
                yield from until_stop((piece for piece in streamer if piece), stop)
            finally:
                # The streamer's queue is unbounded, so the worker never blocks: wait for it to finish
                # (it stops at the same stop strings) before the model is used again.
                worker.join()
        if errors:
            raise errors[0]

    def _encode(self, chat: list[dict[str, str]], max_new_tokens: int) -> Any:
        """Render the chat with the model's own template into input tensors."""
        encoded = self.tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        check_prompt_fits(encoded["input_ids"].shape[1], max_new_tokens, self.model.config.max_position_embeddings)
        return {key: value.to(self.model.device) for key, value in encoded.items()}

    def _encode_batch(self, chats: list[list[dict[str, str]]]) -> Any:
        """Render chats and pad them on the left, so every prompt ends where generation starts."""
        texts = [self.tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False) for c in chats]
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token  # padding is masked out, so eos serves
        # The rendered template already holds the special tokens; adding them again would double BOS.
        encoded = self.tokenizer(
            texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
        )
        return {key: value.to(self.model.device) for key, value in encoded.items()}

    def _generation_kwargs(self, max_new_tokens: int, stop: list[str]) -> dict[str, Any]:
        """Greedy decoding: answers must be reproducible and grounded, not creative."""
        stopping = {"stop_strings": stop, "tokenizer": self.tokenizer} if stop else {}
        return {
            "max_new_tokens": max_new_tokens,
            "do_sample": False,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            **stopping,
        }

    @contextmanager
    def _adapter(self, use_adapter: AdapterChoice) -> Iterator[None]:
        """Make the named adapter the active one, or switch adapters off for the base; callers hold the lock."""
        name = adapter_name(use_adapter)
        if name is not None and name not in self.adapters:
            raise ValueError(f"No adapter {name!r} is loaded (loaded: {sorted(self.adapters)}).")
        if not self.adapters:
            yield
        elif name is None:
            with self.model.disable_adapter():
                yield
        else:
            self.model.set_adapter(name)
            yield


def adapter_name(use_adapter: AdapterChoice) -> str | None:
    """The adapter a call asks for: a role's name, None (or False) for the base, True for the extractor's.

    True and False are the calls from before there was a second adapter (the benchmarks still make them).
    """
    if isinstance(use_adapter, bool):
        return "extractor" if use_adapter else None
    return use_adapter


def load_local_runtime(
    base_model: str, adapters: Sequence[tuple[str, Path]], device: str, cache_dir: Path
) -> LocalRuntime:
    """Load (once per process) the base model, and each named adapter on top of it."""
    named = tuple((name, str(path)) for name, path in adapters)
    return _load_cached(base_model, named, device, str(cache_dir))


@lru_cache(maxsize=2)
def _load_cached(base_model: str, adapters: tuple[tuple[str, str], ...], device: str, cache_dir: str) -> LocalRuntime:
    """Load weights; cached so every role shares one copy."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_model_dir(base_model, Path(cache_dir))
    target = "cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu"
    # fp32 on CPU: bf16 matmuls are slower than fp32 on most CPUs; bf16 on GPU halves memory.
    dtype = torch.bfloat16 if target == "cuda" else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, device_map=target)
    except OSError as exc:
        raise ModelFilesError(f"Cannot load the model {base_model!r}: {first_line(exc)}") from exc
    if adapters:
        model = _attach_adapters(model, adapters)
    model.eval()
    return LocalRuntime(model=model, tokenizer=tokenizer, adapters=frozenset(name for name, _ in adapters))


def _attach_adapters(model: Any, adapters: tuple[tuple[str, str], ...]) -> Any:
    """Wrap the base model with every LoRA adapter, each under its role's name (no second copy of base weights)."""
    from peft import PeftModel

    for _, path in adapters:
        if not (Path(path) / "adapter_config.json").is_file():
            raise ModelFilesError(f"No LoRA adapter found at {path} (adapter_config.json is missing).")
    (first, first_path), *others = adapters
    peft_model = PeftModel.from_pretrained(model, first_path, adapter_name=first)
    for name, path in others:
        peft_model.load_adapter(path, adapter_name=name)
    return peft_model


def check_prompt_fits(prompt_tokens: int, max_new_tokens: int, context_tokens: int) -> None:
    """Refuse, in one line, a prompt that leaves no room for the reply in the model's context."""
    if prompt_tokens + max_new_tokens > context_tokens:
        raise InvalidInputError(
            f"This request is too long for the model: {prompt_tokens} prompt tokens plus {max_new_tokens} for the "
            f"reply exceed its context of {context_tokens} tokens; shorten the message or the report."
        )


def to_chat(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Convert LangChain messages to the role/content dicts chat templates expect."""
    return [{"role": ROLE_OF_MESSAGE_TYPE.get(m.type, "user"), "content": m.text} for m in messages]


class LocalChatModel(BaseChatModel):
    """A LangChain chat model over an in-process runtime (transformers or CTranslate2), with token streaming."""

    runtime_loader: Callable[[], LocalRuntime]
    model_name: str
    adapter: str | None = None  # the role's LoRA adapter on the shared runtime; None: the base model
    max_new_tokens: int = 160
    batch_size: int = 32

    @property
    def _llm_type(self) -> str:
        """Name used in LangChain tracing."""
        return "bankassist-local"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Generate the whole reply at once."""
        text = self.runtime_loader().generate(
            to_chat(messages), use_adapter=self.adapter, max_new_tokens=self._token_cap(kwargs), stop=stop or []
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Yield the reply token by token, reporting each to the callbacks (LangGraph's message stream)."""
        pieces = self.runtime_loader().stream(
            to_chat(messages), use_adapter=self.adapter, max_new_tokens=self._token_cap(kwargs), stop=stop or []
        )
        produced = False
        for piece in pieces:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            produced = True
            yield chunk
        if not produced:  # an empty reply (the model stopped at once) is an answer; LangChain needs one chunk
            yield ChatGenerationChunk(message=AIMessageChunk(content=""))

    def generate_batch(self, conversations: Sequence[Sequence[BaseMessage]], max_tokens: int | None) -> list[str]:
        """Replies to many conversations, `batch_size` at a time; similar lengths share a batch to save padding."""
        runtime = self.runtime_loader()
        cap = min(self.max_new_tokens, max_tokens or self.max_new_tokens)
        chats = [to_chat(c) for c in conversations]
        order = sorted(range(len(chats)), key=lambda i: sum(len(m["content"]) for m in chats[i]))
        replies: dict[int, str] = {}
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            texts = runtime.generate_batch(
                [chats[i] for i in indices], use_adapter=self.adapter, max_new_tokens=cap, stop=[]
            )
            replies.update(zip(indices, texts, strict=True))
        return [replies[i] for i in range(len(chats))]

    def _token_cap(self, kwargs: dict[str, Any]) -> int:
        """A per-call `max_completion_tokens` (the OpenAI parameter) may lower the model's cap."""
        return min(self.max_new_tokens, int(kwargs.get("max_completion_tokens") or self.max_new_tokens))


def until_stop(pieces: Iterator[str], stop: list[str]) -> Iterator[str]:
    """Pass text through until a stop string appears, holding back what could be its beginning.

    Trailing whitespace is held back too, so text that ends at a stop string ends cleanly.
    """
    hold = max((len(s) for s in stop), default=1) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        cut = cut_at_stop(buffer, stop)
        if len(cut) < len(buffer):
            if cut.rstrip():
                yield cut.rstrip()
            return
        safe = min(len(buffer) - hold, len(buffer.rstrip()))
        if safe > 0:
            yield buffer[:safe]
            buffer = buffer[safe:]
    if buffer.rstrip():
        yield buffer.rstrip()
