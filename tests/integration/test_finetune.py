"""LoRA fine-tuning on a tiny random Llama (a few seconds on CPU, offline)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

import finetune.export as export
import finetune.train as ft
from agent import prompts
from finetune.config import ALL_LINEAR, TrainConfig, load_config
from finetune.train import encode_example
from tools.errors import ConfigurationError, InvalidInputError
from tools.text import content_words

REPO = Path(__file__).resolve().parents[2]
HUB_NAME = "tests/tiny-llama"  # a hub-style name; the tests resolve it to the local tiny model

CHATS = [
    [
        {"role": "system", "content": "List the changes."},
        {"role": "user", "content": f"Score went from {600 + i} to {620 + i}."},
        {"role": "assistant", "content": f"Good:- Your score rose 20 points, to {620 + i}."},
    ]
    for i in range(8)
]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer Llama with the default model's tokenizer (read from its GGUF: offline, no conversion)."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from agent.runtime.model_files import packaged_smollm2_gguf

    gguf = packaged_smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    shape = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
    )
    special = {name: getattr(tokenizer, name) for name in ("bos_token_id", "eos_token_id", "pad_token_id")}
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=1024, **shape, **special))
    directory = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture
def tiny_base(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Resolve HUB_NAME to the tiny model, as resolve_model_dir maps the default name to its cache."""
    real = export.resolve_model_dir

    def resolve(name: str, cache_dir: Path) -> str:
        return str(tiny_model_dir) if name == HUB_NAME else real(name, cache_dir)

    monkeypatch.setattr(export, "resolve_model_dir", resolve)
    return HUB_NAME


@pytest.fixture
def trainers(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every Trainer train() builds, with the parameters it started from (snapshotted before training)."""
    built: list = []
    real = ft.build_trainer

    def capture(*args, **kwargs):
        trainer, ranking = real(*args, **kwargs)
        start = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
        built.append((trainer, start))
        return trainer, ranking

    monkeypatch.setattr(ft, "build_trainer", capture)
    return built


def tiny_config(tmp_path: Path, **changes) -> TrainConfig:
    values = dict(
        base_model=HUB_NAME,
        output_dir=tmp_path / "adapter",
        lora_r=4,
        lora_alpha=8,
        learning_rate=5e-2,
        max_steps=3,
        batch_size=4,
        max_seq_len=128,
        warmup_ratio=0.0,
        eval_steps=2,
        save_steps=2,
        logging_steps=1,
        quantize_4bit="never",
    )
    return TrainConfig(**{**values, **changes})


def test_training_changes_only_the_adapter_and_saves_it_small(tiny_base, trainers, tmp_path):
    result = ft.train(tiny_config(tmp_path), CHATS, CHATS[:2])

    trainer, start = trainers[0]
    after = dict(trainer.model.named_parameters())
    lora_b = [name for name in start if "lora_B" in name]
    assert lora_b and all(not start[name].any() for name in lora_b)  # LoRA B starts at zero ...
    assert all(after[name].abs().sum() > 0 for name in lora_b)  # ... and training moved it
    base = [name for name in start if "lora_" not in name]
    assert base and all(torch.equal(start[name], after[name].to(start[name].dtype)) for name in base)

    assert result.adapter_dir == tmp_path / "adapter"
    config = json.loads((result.adapter_dir / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == HUB_NAME  # the hub name serving compares, not the local path
    assert config["r"] == 4
    with safe_open(str(result.adapter_dir / "adapter_model.safetensors"), "pt") as weights:
        dtypes = {weights.get_tensor(key).dtype for key in weights.keys()}
    assert dtypes == {torch.bfloat16}
    assert {"train_loss", "eval_loss", "train_seconds", "trainable_params", "steps"} <= set(result.metrics)
    assert result.metrics["steps"] == 3 and result.merged_dir is None
    assert (tmp_path / "adapter" / "checkpoints" / "checkpoint-2").is_dir()
    # The Trainer evaluates the last step itself (and step 2); train() reuses that loss instead of a third pass.
    evals = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
    assert [entry["step"] for entry in evals] == [2, 3]
    assert result.metrics["eval_loss"] == round(evals[-1]["eval_loss"], 4)
    assert (result.adapter_dir / "adapter_model.safetensors").stat().st_mode & 0o777 == 0o644


def test_labels_mask_the_prompt_and_keep_the_answer_with_its_end_of_turn(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    chat = CHATS[0]
    prompt = tokenizer.apply_chat_template(chat[:-1], add_generation_prompt=True, tokenize=True, return_dict=False)
    example = encode_example(tokenizer, chat, max_seq_len=512)

    assert example is not None
    ids, labels = example["input_ids"], example["labels"]
    assert len(ids) == len(labels) == len(example["attention_mask"]) and set(example["attention_mask"]) == {1}
    assert ids[: len(prompt)] == prompt
    assert labels[: len(prompt)] == [-100] * len(prompt)
    assert labels[len(prompt) :] == ids[len(prompt) :] and -100 not in labels[len(prompt) :]
    answer = tokenizer.decode(labels[len(prompt) :])
    assert answer.startswith(chat[-1]["content"]) and "<|im_end|>" in answer
    assert encode_example(tokenizer, chat, max_seq_len=len(ids) - 1) is None  # too long: dropped, not cut


class FakeTokenizer:
    """Token 1 per prompt message, 7 opens the answer, 8 9 are the answer: as a list or a BatchEncoding-like dict."""

    def __init__(self, as_dict: bool, generation_prompt: int = 7):
        self.as_dict, self.generation_prompt = as_dict, generation_prompt

    def apply_chat_template(self, messages, tokenize, add_generation_prompt=False, **kwargs):
        ids = [1 for message in messages if message["role"] != "assistant"]
        ids += [7, 8, 9] if messages[-1]["role"] == "assistant" else []
        ids += [self.generation_prompt] if add_generation_prompt else []
        return {"input_ids": ids, "attention_mask": [1] * len(ids)} if self.as_dict else ids


@pytest.mark.parametrize("as_dict", [False, True])
def test_encode_example_accepts_lists_and_batch_encodings(as_dict):
    example = encode_example(FakeTokenizer(as_dict), CHATS[0], max_seq_len=10)
    assert example == {"input_ids": [1, 1, 7, 8, 9], "attention_mask": [1] * 5, "labels": [-100] * 3 + [8, 9]}


def test_a_template_that_breaks_the_prompt_prefix_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="prefix"):
        encode_example(FakeTokenizer(False, generation_prompt=5), CHATS[0], max_seq_len=10)


def test_collator_right_pads():
    long = {"input_ids": [5, 6, 7], "attention_mask": [1, 1, 1], "labels": [-100, 6, 7]}
    batch = ft.PadCollator(pad_id=0)([long, {"input_ids": [5], "attention_mask": [1], "labels": [5]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [5, -100, -100]]


def test_resume_continues_from_the_last_checkpoint(tiny_base, trainers, tmp_path, monkeypatch):
    from transformers import TrainerCallback

    steps: list[int] = []

    class RecordSteps(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            steps.append(state.global_step)

    ft.train(tiny_config(tmp_path, max_steps=2), CHATS, [])
    real = ft.build_trainer  # the capturing wrapper: add a step recorder to the second run

    def with_recorder(*args, **kwargs):
        trainer, ranking = real(*args, **kwargs)
        trainer.add_callback(RecordSteps())
        return trainer, ranking

    monkeypatch.setattr(ft, "build_trainer", with_recorder)
    result = ft.train(tiny_config(tmp_path, max_steps=4, resume=True), CHATS, [])
    assert steps == [3, 4]  # steps 1-2 came from checkpoint-2
    assert result.metrics["steps"] == 4
    assert trainers[1][0].state.global_step == 4


def test_merged_model_gives_the_adapters_logits(tiny_base, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = ft.train(tiny_config(tmp_path, merge=True), CHATS, [])
    assert result.merged_dir == tmp_path / "adapter-merged"
    assert not (result.merged_dir / "adapter_config.json").exists()
    assert result.merged_dir.stat().st_mode & 0o777 == 0o755
    assert not list(tmp_path.glob(".adapter-merged-*"))  # no staging directory left behind

    inputs = torch.tensor([[1, 520, 9531, 198, 14229, 15383, 1792]])
    base = AutoModelForCausalLM.from_pretrained(export.resolve_model_dir(HUB_NAME, tmp_path), dtype=torch.float32)
    with torch.no_grad():
        base_logits = base(inputs).logits.clone()
        expected = PeftModel.from_pretrained(base, str(result.adapter_dir)).eval()(inputs).logits
        merged = AutoModelForCausalLM.from_pretrained(result.merged_dir).eval()(inputs).logits
    assert not torch.allclose(expected, base_logits, atol=1e-4)  # the adapter does something
    torch.testing.assert_close(merged, expected, atol=1e-4, rtol=1e-4)
    assert (result.merged_dir / "tokenizer.json").is_file()


def test_load_config_reads_yaml_and_applies_overrides(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("base_model: some/model\nlora_r: 8\nlearning_rate: 2e-4\ntarget_modules: [q_proj, v_proj]\n")
    config = load_config(path, max_steps=5, output_dir=str(tmp_path / "out"), resume=None)
    assert (config.base_model, config.lora_r, config.learning_rate) == ("some/model", 8, 2e-4)
    assert config.target_modules == ["q_proj", "v_proj"]
    assert config.max_steps == 5 and config.output_dir == tmp_path / "out" and config.resume is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lora_rank: 8\n", "'lora_rank'"),
        ("lora_r: eight\n", "'lora_r'"),
        ("quantize_4bit: always\n", "'quantize_4bit'"),
        ("warmup_ratio: 5\n", "'warmup_ratio'"),
        ("lora_r: [8\n", "not valid YAML at line"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_load_config_rejects_bad_files_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message) as error:
        load_config(path)
    assert "\n" not in str(error.value) and "bad.yaml" in str(error.value)


def test_load_config_rejects_a_missing_file_and_unknown_overrides(tmp_path):
    with pytest.raises(InvalidInputError, match="missing.yaml"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "ok.yaml").write_text("lora_r: 8\n")
    with pytest.raises(InvalidInputError, match="'max_stepz'"):
        load_config(tmp_path / "ok.yaml", max_stepz=3)


@pytest.mark.parametrize(
    "name",
    [
        "llama3-8b.yaml",
        "smollm2-cpu.yaml",
        "smollm2-advisor-gpu.yaml",
        "smollm2-answerer-cpu.yaml",
        "smollm2-answerer-gpu.yaml",
    ],
)
def test_shipped_configs_load(name):
    config = load_config(REPO / "finetune" / "configs" / name)
    assert config.target_modules == ALL_LINEAR and config.adapter_dtype == "bfloat16"


def test_the_advisor_config_trains_the_advisor_beside_the_extractor():
    config = load_config(REPO / "finetune" / "configs" / "smollm2-advisor-gpu.yaml")
    assert config.task == "advisor" and config.output_dir.name == "smollm2-credit-advisor"


@pytest.mark.parametrize("name", ["smollm2-answerer-cpu.yaml", "smollm2-answerer-gpu.yaml"])
def test_the_answerer_configs_train_the_banking_answerer_where_the_settings_look_for_it(name):
    from agent.settings import PACKAGED_ANSWERER

    config = load_config(REPO / "finetune" / "configs" / name)
    assert config.task == "answerer" and REPO / config.output_dir == PACKAGED_ANSWERER


def test_an_unknown_task_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("task: summarizer\n")
    with pytest.raises(InvalidInputError, match="'task'") as error:
        load_config(tmp_path / "bad.yaml")
    assert "\n" not in str(error.value)


def test_the_advisor_model_card_says_what_it_does_and_how_to_serve_it(tmp_path):
    config = load_config(REPO / "finetune" / "configs" / "smollm2-advisor-gpu.yaml")
    card = export.write_model_card(tmp_path, config, {"steps": 750}, "python -m finetune.train --chats d").read_text()
    assert "# Credit advisor: LoRA adapter for HuggingFaceTB/SmolLM2-135M-Instruct" in card
    assert "finetune.advisor_data.split_examples" in card and "Good:-" not in card
    assert f"--lora-modules credit-advisor={tmp_path}" in card


def test_model_card_lists_the_setup_metrics_and_command(tmp_path):
    config = load_config(REPO / "finetune" / "configs" / "llama3-8b.yaml")
    metrics = {"train_loss": 0.41234, "eval_loss": 0.5, "steps": 625, "fact_f1": 0.9312}
    card = export.write_model_card(tmp_path, config, metrics, "python -m finetune.train --config x.yaml").read_text()

    front = card.split("---\n")[1]
    assert "base_model: meta-llama/Meta-Llama-3-8B-Instruct" in front and "library_name: peft" in front
    assert "Good:-" in card and "Bad:-" in card
    for row in ("| train_loss | 0.4123 |", "| eval_loss | 0.5 |", "| steps | 625 |", "| fact_f1 | 0.9312 |"):
        assert row in card
    assert "python -m finetune.train --config x.yaml" in card
    assert "5000 / 200 / 300" in card and "64 / 128 / 0.05" in card
    assert f"--lora-modules credit-extractor={tmp_path} --max-lora-rank 64" in card


def test_command_line_trains_on_credit_pairs_and_writes_the_card(tiny_base, tmp_path, capsys, runs_dir):
    path = tmp_path / "run.yaml"
    path.write_text(
        f"base_model: {HUB_NAME}\nlora_r: 4\nlora_alpha: 8\nquantize_4bit: never\nbatch_size: 4\n"
        "val_examples: 2\neval_steps: 10\nlogging_steps: 1\n"
    )
    args = ["--config", str(path), "--max-steps", "2", "--train-examples", "8", "--output-dir", str(tmp_path / "out")]
    ft.main(args)

    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["steps"] == 2 and printed["adapter_dir"] == str(tmp_path / "out")
    card = (tmp_path / "out" / "README.md").read_text()
    assert f"python -m finetune.train --config {path} --max-steps 2" in card
    assert "| steps | 2 |" in card and "| eval_loss |" in card and "8 / 2 / 200" in card


def test_command_line_trains_the_advisor_on_chats_written_earlier(tiny_base, tmp_path, capsys, runs_dir):
    from finetune.advisor_data import write_splits

    write_splits(tmp_path / "chats", {"train": 8, "val": 2})
    card = train_two_steps_on_chats("advisor", tmp_path, capsys, max_seq_len=1024)
    assert "# Credit advisor" in card and f"--chats {tmp_path / 'chats'}" in card


def train_two_steps_on_chats(task: str, tmp_path: Path, capsys, max_seq_len: int) -> str:
    """Train the tiny base for 2 steps on the 8 + 2 chats written to tmp_path/chats; the model card."""
    path = tmp_path / "run.yaml"
    path.write_text(
        f"task: {task}\nbase_model: {HUB_NAME}\nlora_r: 4\nlora_alpha: 8\nquantize_4bit: never\nbatch_size: 4\n"
        f"train_examples: 8\nval_examples: 2\neval_steps: 10\nlogging_steps: 1\nmax_seq_len: {max_seq_len}\n"
    )
    out = tmp_path / "out"
    ft.main(["--config", str(path), "--max-steps", "2", "--chats", str(tmp_path / "chats"), "--output-dir", str(out)])
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["steps"] == 2
    return (out / "README.md").read_text()


def test_the_answerer_trains_on_the_banking_prompt_with_quoted_cited_answers(tiny_base, tmp_path, capsys, runs_dir):
    from finetune.answerer_data import write_splits

    files = write_splits(tmp_path / "chats", {"train": 8, "val": 2})
    chats = [json.loads(line)["messages"] for line in files["train"].read_text().splitlines()]
    assert len(chats) == 8 and all(chat[0]["content"] == prompts.BANKING_SYSTEM for chat in chats)
    for _, user, answer in chats:
        assert '<source id="1"' in user["content"] and "<question>" in user["content"]
        if answer["content"] != prompts.NO_ANSWER:  # a policy sentence, as the extractive answer quotes it, cited
            sentence, number = re.fullmatch(r"(.+) \[(\d)\]", answer["content"]).groups()
            source = re.search(rf'<source id="{number}"[^>]*>(.*?)</source>', user["content"], re.S).group(1)
            if ": " in sentence:  # maybe a list item after its intro ("... common reasons: you deposited after ...")
                assert content_words(sentence) <= content_words(source)
            else:
                assert sentence in " ".join(source.split())
    card = train_two_steps_on_chats("answerer", tmp_path, capsys, max_seq_len=2048)
    assert "# Banking answerer" in card and f"--lora-modules banking-answerer={tmp_path / 'out'}" in card


def test_command_line_reports_a_bad_config_in_one_line(tmp_path, runs_dir):
    (tmp_path / "bad.yaml").write_text("lora_rank: 8\n")
    with pytest.raises(SystemExit, match="^error: .*'lora_rank'") as exit_:
        ft.main(["--config", str(tmp_path / "bad.yaml")])
    assert "\n" not in str(exit_.value)


def test_snr_selection_trains_half_the_modules_and_the_card_shows_the_ranking(tiny_base, tmp_path, capsys, runs_dir):
    path = tmp_path / "run.yaml"
    path.write_text(
        f"base_model: {HUB_NAME}\nlora_r: 4\nlora_alpha: 8\nquantize_4bit: never\nbatch_size: 4\n"
        "val_examples: 0\nlogging_steps: 1\nlayer_selection: snr\nsnr_top_fraction: 0.5\n"
    )
    ft.main(["--config", str(path), "--max-steps", "1", "--train-examples", "4", "--output-dir", str(tmp_path / "o")])

    selection = json.loads((tmp_path / "o" / "layer_selection.json").read_text())
    assert len(selection["ranking"]) == 2 * len(ALL_LINEAR) and len(selection["chosen"]) == len(ALL_LINEAR)
    with safe_open(str(tmp_path / "o" / "adapter_model.safetensors"), "pt") as weights:
        adapted = {key.split(".lora_")[0].removeprefix("base_model.model.") for key in weights.keys()}
    assert adapted == set(selection["chosen"])  # one layer of two per kind: the higher SNR
    card = (tmp_path / "o" / "README.md").read_text()
    assert "## Layer selection" in card and f"LoRA on {len(ALL_LINEAR)} of {2 * len(ALL_LINEAR)} modules" in card
    assert "| layer selection | snr: the top 0.5 of each kind by signal-to-noise ratio |" in card


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """TensorBoard runs in the test's folder, not the checkout's finetune/runs."""
    import finetune.run_plan as run_plan

    monkeypatch.setattr(run_plan, "RUNS_DIR", tmp_path / "runs")
    return tmp_path / "runs"


def tiny_yaml(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        f"base_model: {HUB_NAME}\nlora_r: 4\nlora_alpha: 8\nquantize_4bit: never\nbatch_size: 4\n"
        f"val_examples: 2\neval_steps: 1\nlogging_steps: 1\n{extra}"
    )
    return path


def scalar_tags(run_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir))
    events.Reload()
    return set(events.Tags()["scalars"])


def test_each_run_logs_to_its_own_tensorboard_folder_and_keeps_the_earlier_ones(tiny_base, tmp_path, runs_dir):
    args = ["--config", str(tiny_yaml(tmp_path)), "--max-steps", "2", "--train-examples", "8"]
    ft.main([*args, "--output-dir", str(tmp_path / "a"), "--run-name", "first"])
    ft.main([*args, "--output-dir", str(tmp_path / "b"), "--run-name", "second"])
    for name in ("first", "second"):
        assert {"train/loss", "train/learning_rate", "eval/loss"} <= scalar_tags(runs_dir / name)
    with pytest.raises(SystemExit, match="^error: A training run named 'first' already exists") as exit_:
        ft.main([*args, "--output-dir", str(tmp_path / "c"), "--run-name", "first"])
    assert "\n" not in str(exit_.value) and not (tmp_path / "c").exists()
    with pytest.raises(SystemExit, match="^error: Run name '../up'"):
        ft.main([*args, "--run-name", "../up"])


def test_retraining_keeps_an_existing_adapter_unless_told_to_overwrite(tiny_base, tmp_path, runs_dir, capsys):
    from finetune.run import run_finetune

    config, out = tiny_yaml(tmp_path), tmp_path / "shipped"
    run_finetune(config, 0, "one", output_dir=out, max_steps=1, train_examples=4)
    shipped = (out / "adapter_model.safetensors").read_bytes()
    report = run_finetune(config, 0, "two", output_dir=out, max_steps=2, train_examples=4)
    assert report.adapter_dir == tmp_path / "shipped-two" and report.moved_from == out
    assert (out / "adapter_model.safetensors").read_bytes() == shipped
    assert (report.adapter_dir / "README.md").is_file()
    replaced = run_finetune(config, 0, "three", overwrite=True, output_dir=out, max_steps=2, train_examples=4)
    assert replaced.adapter_dir == out and (out / "adapter_model.safetensors").read_bytes() != shipped


def test_a_target_module_the_base_lacks_is_refused_before_the_model_loads(tiny_base, tmp_path, runs_dir, monkeypatch):
    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(ft, "load_base_model", no_load)
    config = tiny_yaml(tmp_path, "target_modules: [q_proj, qproj]\n")
    with pytest.raises(SystemExit, match=r"^error: target_modules \['qproj'\] match no module of tests/tiny-llama\.$"):
        ft.main(["--config", str(config), "--max-steps", "1", "--output-dir", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()
