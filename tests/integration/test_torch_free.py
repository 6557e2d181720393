"""A turn runs without torch: the numpy encoder, the engine's own tokenizer and presidio without its NER extras.

Each check compares against the torch path it replaces, on the real models, and a fresh process proves that a
banking and a credit turn never import torch or transformers.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agent.runtime.chat_tokenizer import load_chat_tokenizer
from agent.runtime.model_files import resolve_model_dir
from agent.scope.features import distil_token_table, merge_adapter
from agent.scope.loading import load_full_encoder
from agent.scope.weights import load_weights
from agent.settings import Settings
from retrieval.bert_numpy import NumpyBertEmbedder
from retrieval.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    SentenceTransformerEmbedder,
    load_embedder,
    load_sentence_transformer,
)
from tools.errors import ModelFilesError

PROBES = ["how do I send a wire abroad", "", "my scoer dropped 40 pts??", "fee " * 400, "Kündigung des Kontos"]


def test_the_numpy_encoder_gives_sentence_transformers_vectors():
    numpy_bert = load_embedder(DEFAULT_EMBEDDING_MODEL)
    assert isinstance(numpy_bert, NumpyBertEmbedder)
    torch_model = load_sentence_transformer(DEFAULT_EMBEDDING_MODEL)
    expected = torch_model.encode(PROBES, normalize_embeddings=True)  # type: ignore[attr-defined]
    np.testing.assert_allclose(numpy_bert.embed(PROBES), expected, atol=1e-6)
    assert numpy_bert.embed([]).shape == (0, 384)


def test_the_guard_encoder_with_its_adapter_matches_the_merged_torch_model():
    weights = load_weights(Settings().scope_guard_path)
    adapter, lora = weights.adapter, weights.info["lora"]
    runtime = load_full_encoder(DEFAULT_EMBEDDING_MODEL, adapter, lora)
    assert isinstance(runtime, NumpyBertEmbedder) and runtime.lora
    merged = SentenceTransformerEmbedder(
        merge_adapter(load_sentence_transformer(DEFAULT_EMBEDDING_MODEL), adapter, lora)
    )
    np.testing.assert_allclose(runtime.embed(PROBES), merged.embed(PROBES), atol=1e-6)
    # The fast head's tokens, and its distilled table, are the same from either encoder.
    assert runtime.token_ids(PROBES, special_tokens=False) == merged.token_ids(PROBES, special_tokens=False)
    np.testing.assert_allclose(
        distil_token_table(_first(runtime, 300)), distil_token_table(_first(merged, 300)), atol=1e-5
    )


def test_an_adapter_for_another_encoder_is_a_one_line_error():
    base = load_embedder(DEFAULT_EMBEDDING_MODEL)
    assert isinstance(base, NumpyBertEmbedder)
    wrong = {"encoder.layer.0.attention.self.query": (np.zeros((4, 768), np.float32), np.zeros((384, 4), np.float32))}
    with pytest.raises(ModelFilesError, match="does not fit the encoder: layer 'encoder.layer.0.attention.self.query'"):
        NumpyBertEmbedder(base.weights, wrong)


def test_the_chat_tokenizer_renders_and_tokenizes_as_transformers_does():
    from transformers import AutoTokenizer

    settings = Settings()
    model_dir = Path(resolve_model_dir(settings.base_model, settings.model_cache_dir))
    ours, theirs = load_chat_tokenizer(model_dir), AutoTokenizer.from_pretrained(model_dir)
    chats = [
        [{"role": "user", "content": "Say hello."}],
        [{"role": "system", "content": "You are a bank assistant."}, {"role": "user", "content": "Fees? ünïcödé 😀"}],
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}],
    ]
    for chat in chats:
        ids = theirs.apply_chat_template(chat, add_generation_prompt=True)["input_ids"]
        assert ours.chat_ids(chat) == list(ids)
        assert ours.tokens(ids) == theirs.convert_ids_to_tokens(ids)
        assert ours.decode(ids) == theirs.decode(ids, skip_special_tokens=True)
    assert ours.eos_token == theirs.eos_token


def test_a_model_folder_without_a_chat_template_is_a_one_line_error(tmp_path):
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "</s>"}))
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelFilesError, match="Cannot load the tokenizer"):
        load_chat_tokenizer(tmp_path)


TURNS = """
import sys
from agent.service.assistant import open_assistant
with open_assistant() as assistant:
    for question, customer in [("what does an international wire cost?", None), ("why did my score drop?", "C0001")]:
        result = assistant.ask(question, customer_id=customer)
        print(result.route, result.answer[:80])
print(sorted(name for name in ("torch", "transformers", "sentence_transformers") if name in sys.modules))
"""


def test_a_banking_and_a_credit_turn_never_import_torch(isolated_settings, monkeypatch):
    monkeypatch.setenv("BANKASSIST_DATA_DIR", str(isolated_settings.data_dir))
    for _ in range(2):  # the first may convert the models for the engine, which needs torch, once
        done = subprocess.run([sys.executable, "-c", TURNS], capture_output=True, text=True, timeout=900, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["banking", "credit"], lines
    assert lines[-1] == "[]"


def _first(encoder, size):
    """The encoder with its vocabulary cut to `size` tokens, so distilling takes a second."""

    class Cut:
        def special_ids(self):
            cls_id, sep_id, _ = encoder.special_ids()
            return cls_id, sep_id, size

        def hidden_states(self, ids, mask):
            return encoder.hidden_states(ids, mask)

    return Cut()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_encoder_folder_is_a_one_line_error(tmp_path, damage):
    import shutil

    from retrieval.bert_numpy import load_bert_weights
    from retrieval.embeddings import packaged_minilm_path

    folder = tmp_path / "minilm"
    shutil.copytree(packaged_minilm_path(), folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(b"garbage" * 10 if damage == "garbage" else data[: len(data) // 2])
    with pytest.raises(ModelFilesError, match=r"^Cannot load the encoder in .*minilm: [^\n]+$"):
        load_bert_weights(str(folder))
