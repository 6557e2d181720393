"""The model layer on real weights: streaming, stop strings, LoRA extractor and advisor on shared base weights."""

from pathlib import Path

import pytest
import torch
from langchain_core.messages import HumanMessage, SystemMessage

from agent.runtime.backends import build_chat_model, generate_answer
from agent.runtime.chat_tokenizer import load_chat_tokenizer
from agent.runtime.local_model import to_chat
from agent.runtime.model_files import resolve_model_dir
from agent.settings import Settings

PROMPT = [SystemMessage("You are a bank assistant."), HumanMessage("Name two kinds of bank accounts.")]


@pytest.fixture(scope="module")
def random_adapter(converted_model: Path, tmp_path_factory) -> Path:
    """A LoRA adapter with random (non-zero) weights on the real base: it must change outputs."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(converted_model)
    config = LoraConfig(r=4, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    adapter_dir = tmp_path_factory.mktemp("adapter")
    get_peft_model(base, config).save_pretrained(adapter_dir)
    return adapter_dir


@pytest.fixture(scope="module")
def advisor_adapter(converted_model: Path, tmp_path_factory) -> Path:
    """A stand-in for the credit advisor: another random LoRA, on other modules and rank than `random_adapter`."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    base = AutoModelForCausalLM.from_pretrained(converted_model)
    config = LoraConfig(r=8, lora_alpha=32, target_modules=["k_proj", "o_proj", "up_proj"], init_lora_weights=False)
    adapter_dir = tmp_path_factory.mktemp("advisor")
    get_peft_model(base, config).save_pretrained(adapter_dir)
    return adapter_dir


def test_local_model_streams_token_by_token(isolated_settings):
    model = build_chat_model("synthesizer", isolated_settings)
    chunks = [chunk.text for chunk in model.stream(PROMPT, max_completion_tokens=24)]
    assert len(chunks) > 3
    assert "".join(chunks).strip() == model.invoke(PROMPT, max_completion_tokens=24).text


def test_stop_strings_end_the_answer(isolated_settings):
    model = build_chat_model("synthesizer", isolated_settings)
    full = model.invoke(PROMPT, max_completion_tokens=24).text
    word = full.split()[3]
    answer = generate_answer(model, PROMPT, max_tokens=24, stop=[word])
    assert word not in answer and full.startswith(answer)


def test_transformers_extractor_is_base_plus_adapter_on_one_copy_of_the_weights(random_adapter, monkeypatch):
    monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", "transformers")
    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(random_adapter))
    monkeypatch.setenv("BANKASSIST_USE_ADVISOR", "false")  # the extractor alone; the next test adds the advisor
    settings = Settings()
    synthesizer, extractor = build_chat_model("synthesizer", settings), build_chat_model("extractor", settings)
    runtime = extractor.runtime_loader()
    assert synthesizer.runtime_loader() is runtime and runtime.adapters == {"extractor"}
    total = sum(p.numel() for p in runtime.model.parameters())
    lora = sum(p.numel() for name, p in runtime.model.named_parameters() if "lora_" in name)
    assert 134_000_000 < total - lora < 135_000_000  # the base counted once: 134.5M parameters

    plain = build_chat_model("synthesizer", Settings(use_adapter=False))
    with_adapter = extractor.invoke(PROMPT, max_completion_tokens=16).text
    without = synthesizer.invoke(PROMPT, max_completion_tokens=16).text
    assert without == plain.invoke(PROMPT, max_completion_tokens=16).text
    assert with_adapter != without


def test_transformers_switches_between_two_adapters_and_the_base_per_call(random_adapter, advisor_adapter, monkeypatch):
    """Extractor, advisor and base on one copy of the weights: each call, single or batched, gets its own weights."""
    monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", "transformers")
    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(random_adapter))
    monkeypatch.setenv("BANKASSIST_ADVISOR_ADAPTER_PATH", str(advisor_adapter))
    settings = Settings()
    roles = {role: build_chat_model(role, settings) for role in ("extractor", "advisor", "synthesizer")}
    runtime = roles["advisor"].runtime_loader()
    assert all(model.runtime_loader() is runtime for model in roles.values())
    assert runtime.adapters == {"extractor", "advisor"}
    lora = sum(p.numel() for name, p in runtime.model.named_parameters() if "lora_" in name)
    assert 134_000_000 < sum(p.numel() for p in runtime.model.parameters()) - lora < 135_000_000  # base once

    first = {role: model.invoke(PROMPT, max_completion_tokens=16).text for role, model in roles.items()}
    assert len(set(first.values())) == 3, first  # the base and each adapter answer differently
    again = {role: roles[role].invoke(PROMPT, max_completion_tokens=16).text for role in reversed(roles)}
    assert again == first  # switching back and forth leaves each role its own weights
    for role, model in roles.items():  # a batch (two equal prompts: no padding) runs on the role's weights too
        assert model.generate_batch([PROMPT, PROMPT], max_tokens=16) == [first[role]] * 2
    streamed = "".join(chunk.text for chunk in roles["advisor"].stream(PROMPT, max_completion_tokens=16))
    assert streamed.strip() == first["advisor"]

    # Each adapter alone on the base (another runtime) answers as it does beside the other one.
    alone = {
        "extractor": build_chat_model("extractor", settings.model_copy(update={"use_advisor": False})),
        "advisor": build_chat_model("advisor", settings.model_copy(update={"use_adapter": False})),
    }
    assert {role: model.invoke(PROMPT, max_completion_tokens=16).text for role, model in alone.items()} == {
        "extractor": first["extractor"], "advisor": first["advisor"]
    }  # fmt: skip


def test_ctranslate2_adapter_roles_are_the_base_with_their_adapter_merged(random_adapter, advisor_adapter, monkeypatch):
    """In float32, each merged conversion answers exactly as transformers with the adapter on top."""
    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(random_adapter))
    monkeypatch.setenv("BANKASSIST_ADVISOR_ADAPTER_PATH", str(advisor_adapter))
    monkeypatch.setenv("BANKASSIST_LOCAL_PRECISION", "float32")
    replies, roles = {}, {}
    for engine in ("ctranslate2", "transformers"):
        monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", engine)
        settings = Settings()
        roles[engine] = {role: build_chat_model(role, settings) for role in ("synthesizer", "extractor", "advisor")}
        replies[engine] = {role: m.invoke(PROMPT, max_completion_tokens=12).text for role, m in roles[engine].items()}
    assert replies["ctranslate2"] == replies["transformers"]
    assert len(set(replies["ctranslate2"].values())) == 3
    # One role resident at a time (the default): each reload answers as its first load did, in any order.
    ct2 = roles["ctranslate2"]
    again = {role: ct2[role].invoke(PROMPT, max_completion_tokens=12).text for role in ("advisor", "synthesizer")}
    assert again == {role: replies["transformers"][role] for role in again}


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_a_prompt_beyond_the_context_is_a_one_line_error(engine, monkeypatch):
    from tools.errors import InvalidInputError

    monkeypatch.setenv("BANKASSIST_LOCAL_ENGINE", engine)
    model = build_chat_model("synthesizer", Settings())
    with pytest.raises(InvalidInputError, match=r"exceed its context of 8192 tokens") as raised:
        model.invoke([HumanMessage("balance " * 9000)])
    assert "\n" not in str(raised.value)


def test_a_missing_adapter_is_a_clear_error(tmp_path, monkeypatch):
    from tools.errors import ModelFilesError

    monkeypatch.setenv("BANKASSIST_ADAPTER_PATH", str(tmp_path / "nowhere"))
    extractor = build_chat_model("extractor", Settings())
    with pytest.raises(ModelFilesError, match="adapter_config.json"):
        extractor.invoke(PROMPT)


@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_a_padded_batch_gives_each_prompt_its_own_reply(engine, isolated_settings):
    """In float32 on both engines. CTranslate2's int8 kernels round a batch of three differently from one
    prompt alone on some CPUs (on an AVX2-only EPYC a near-tie eighth token flipped), which says nothing
    about padding; float32 keeps the comparison exact."""
    settings = isolated_settings.model_copy(update={"local_engine": engine, "local_precision": "float32"})
    model = build_chat_model("synthesizer", settings)
    prompts = [
        [SystemMessage("You are a bank assistant."), HumanMessage("Name two kinds of bank accounts, with examples.")],
        [HumanMessage("Say hello.")],
        [HumanMessage("What is a credit score?")],
    ]
    batched = model.generate_batch(prompts, max_tokens=12)
    assert len(batched) == 3 and all(batched) and len(set(batched)) == 3
    # The longest prompt (in tokens, template included) is not padded: its greedy reply is the one it gets alone.
    tokenizer = load_chat_tokenizer(Path(resolve_model_dir(settings.base_model, settings.model_cache_dir)))
    lengths = [len(tokenizer.chat_ids(to_chat(p))) for p in prompts]
    longest = lengths.index(max(lengths))
    assert lengths.count(max(lengths)) == 1
    assert batched[longest] == model.invoke(prompts[longest], max_completion_tokens=12).text


def test_sub_batches_on_parallel_workers_keep_each_reply_with_its_prompt(isolated_settings):
    """A batch job's prompts are cut into sub-batches (here of one prompt: no padding at all) that two
    workers generate at once; the engine sorts them by length first, and each reply must still come back
    in its prompt's place, the same as the prompt alone."""
    settings = isolated_settings.model_copy(
        update={"local_precision": "float32", "local_sub_batch": 1, "local_batch_workers": 2}
    )
    model = build_chat_model("synthesizer", settings)
    questions = ["What is a credit score?", "Say hello.", "Name two kinds of bank accounts.", "What is an IBAN?"]
    prompts = [[HumanMessage(question)] for question in questions]
    batched = model.generate_batch(prompts, max_tokens=10)
    assert batched == [model.invoke(prompt, max_completion_tokens=10).text for prompt in prompts]
    assert len(set(batched)) == len(questions)
