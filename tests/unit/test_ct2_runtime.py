"""The CTranslate2 runtime's own logic (decoding, stop strings, context check) on a fake engine and tokenizer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from agent.runtime import ct2_model
from agent.runtime.ct2_model import Ct2Runtime, require_ctranslate2
from agent.settings import Settings
from tools.errors import ConfigurationError, InvalidInputError

# Token ids are bytes of UTF-8 text, so a multi-byte character can be split across two tokens, as in BPE.
PIECES = {1: b"Fee: ", 2: b"\xe2\x82", 3: b"\xac25", 4: b". Done", 5: b" here."}


class ByteTokenizer:
    eos_token = "</s>"

    def chat_ids(self, chat):
        return [9] * sum(len(m["content"]) for m in chat)

    def tokens(self, ids):
        return [f"t{i}" for i in ids]

    def decode(self, ids) -> str:
        return b"".join(PIECES[i] for i in ids).decode("utf-8", errors="replace")


@dataclass
class Step:
    token_id: int


class FakeGenerator:
    def __init__(self) -> None:
        self.steps_run = 0
        self.closed = False

    def generate_tokens(self, prompt, max_length: int, sampling_topk: int, end_token) -> Iterator[Step]:
        assert sampling_topk == 1 and end_token == ["</s>"]
        try:
            for token_id in list(PIECES)[:max_length]:
                self.steps_run += 1
                yield Step(token_id)
        finally:
            self.closed = True


def runtime(generator: FakeGenerator, context: int = 1000) -> Ct2Runtime:
    loader = lambda use_adapter: generator  # noqa: E731
    return Ct2Runtime(tokenizer=ByteTokenizer(), load_generator=loader, context_tokens=context)


CHAT = [{"role": "user", "content": "fee?"}]


def test_a_character_split_across_tokens_is_never_shown_half():
    pieces = list(runtime(FakeGenerator()).stream(CHAT, use_adapter=False, max_new_tokens=10, stop=[]))
    assert "\ufffd" not in "".join(pieces) and "".join(pieces) == "Fee: €25. Done here."


def test_a_stop_string_ends_generation_early():
    generator = FakeGenerator()
    text = runtime(generator).generate(CHAT, use_adapter=False, max_new_tokens=10, stop=[". Done"])
    assert text == "Fee: €25" and generator.closed and generator.steps_run == 4


def test_a_prompt_beyond_the_context_is_a_one_line_error():
    with pytest.raises(InvalidInputError, match="4 prompt tokens plus 8 .* context of 10 tokens"):
        runtime(FakeGenerator(), context=10).generate(CHAT, use_adapter=False, max_new_tokens=8, stop=[])


def test_a_missing_engine_names_its_pip_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(ConfigurationError, match=r"pip install -e '\.\[ctranslate2\]'"):
        require_ctranslate2()


def test_ctranslate2_refuses_a_gpu_device(monkeypatch):
    monkeypatch.setenv("BANKASSIST_DEVICE", "cuda")
    with pytest.raises(ValueError, match="BANKASSIST_LOCAL_ENGINE=transformers"):
        Settings()
    monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", "transformers")
    assert Settings().device == "cuda"


class FakeModel:
    """A converted model's generator: loaded as it is created, unloaded and reloaded on request."""

    def __init__(self, name: str, events: list[str]) -> None:
        self.name, self.events, self.model_is_loaded = name, events, True
        events.append(f"open {name}")

    def unload_model(self) -> None:
        self.model_is_loaded = False
        self.events.append(f"unload {self.name}")

    def load_model(self) -> None:
        self.model_is_loaded = True
        self.events.append(f"load {self.name}")


def fake_loader(tmp_path, monkeypatch, resident: int):
    converted: list[object] = []
    events: list[str] = []

    def convert(model_dir, adapter, precision, cache_dir):
        converted.append(adapter)
        return tmp_path / (adapter.name if adapter else "base")

    monkeypatch.setattr(ct2_model, "converted_model", convert)
    monkeypatch.setattr(ct2_model, "_open_generator", lambda folder, options: FakeModel(folder.name, events))
    adapters = {"extractor": tmp_path / "credit-extractor", "advisor": tmp_path / "credit-advisor"}
    options = ct2_model.EngineOptions(resident=resident)
    load = ct2_model._generator_loader(tmp_path, adapters, tmp_path, options)
    return load, adapters, converted, events


def test_each_adapter_role_loads_its_own_merged_conversion_once(tmp_path, monkeypatch):
    """No runtime LoRA in CTranslate2: the extractor and the advisor are each the base with their adapter merged."""
    load, adapters, converted, events = fake_loader(tmp_path, monkeypatch, resident=3)
    assert [load(name).name for name in ("advisor", None, "extractor", "advisor")] == [
        "credit-advisor", "base", "credit-extractor", "credit-advisor"
    ]  # fmt: skip
    assert converted == [adapters["advisor"], None, adapters["extractor"]]  # each once, on its first use
    assert load(True).name == "credit-extractor" and load(False).name == "base"  # the calls from before the advisor
    assert not any(event.startswith("unload") for event in events)  # three may stay resident
    with pytest.raises(ValueError, match="No adapter 'other'"):
        load("other")


def test_one_resident_model_unloads_the_other_role_before_loading_its_own(tmp_path, monkeypatch):
    load, _, converted, events = fake_loader(tmp_path, monkeypatch, resident=1)
    extractor = load("extractor")
    assert load("advisor").model_is_loaded and not extractor.model_is_loaded
    assert load("extractor") is extractor and extractor.model_is_loaded  # the same generator, reloaded
    assert load("extractor") is extractor  # already resident: nothing to do
    assert events == [
        "open credit-extractor",
        "unload credit-extractor",  # before the advisor is opened: never both in memory
        "open credit-advisor",
        "unload credit-advisor",
        "load credit-extractor",
    ]
    assert len(converted) == 2


class RecordingBatchGenerator:
    """Records how a batch was handed to the engine."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def generate_batch(self, prompts, **options):
        self.calls.append({"prompts": len(prompts), **options})
        return [type("Result", (), {"sequences_ids": [[1]]})() for _ in prompts]


def test_a_batch_job_reaches_the_engine_in_sub_batches_it_sorts_by_length():
    generator = RecordingBatchGenerator()
    rt = Ct2Runtime(ByteTokenizer(), lambda use_adapter: generator, 1000, sub_batch=4)
    replies = rt.generate_batch([CHAT] * 10, max_new_tokens=8, stop=[])
    assert replies == ["Fee:"] * 10
    assert generator.calls[0]["prompts"] == 10 and generator.calls[0]["max_batch_size"] == 4


def test_the_engine_gets_its_batch_workers_and_threads(monkeypatch, tmp_path):
    opened: list[dict] = []
    fake = type("ct2", (), {"Generator": lambda folder, **options: opened.append(options)})
    monkeypatch.setitem(sys.modules, "ctranslate2", fake)
    ct2_model._open_generator(tmp_path, ct2_model.EngineOptions(threads=1, batch_workers=2))
    assert opened == [{"device": "cpu", "compute_type": "int8", "intra_threads": 1, "inter_threads": 2}]
