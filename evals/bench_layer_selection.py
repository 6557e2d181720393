"""LoRA on every layer against LoRA on the highest-SNR layers (Spectrum), same data and steps.

    python -m evals.bench_layer_selection                                   # the CPU recipe, scaled down
    python -m evals.bench_layer_selection --train-examples 960 --eval-pairs 100   # the full CPU recipe
    python -m finetune.credit_data --out /tmp/pairs --train 3000 --val 0 --test 100   # for a GPU without the app:
    python -m evals.bench_layer_selection --config finetune/configs/smollm2-gpu.yaml --epochs 1 \
        --train-examples 3000 --eval-pairs 100 --chats /tmp/pairs

Trains the extractor once per variant (`all`, then `snr` at each `--fractions`) from one config, with
the same generated pairs, seed and steps, then scores each adapter's fact extraction on the same held-out
test pairs (the credit suite's F1 and format validity, extraction only) on the local transformers engine.
Prints one Markdown row per variant: F1, format validity, training seconds, trainable parameters and the
adapter's size on disk.

With `--chats DIR` the pairs come from files `finetune.credit_data` wrote (train.jsonl, test.jsonl) and the
extractions are generated with transformers and peft directly, on the GPU when there is one: a lent GPU
machine has torch, transformers and peft but not LangChain, which the app's model path needs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from finetune.chats import Chat, generated_chats, read_chats
from finetune.config import TrainConfig, load_config
from finetune.train import train
from tools.credit_facts import FactScore, parse_facts, score_facts

ADAPTER_FILE = "adapter_model.safetensors"
GPU_BATCH = 50  # prompts per generate() on the direct path


def variants(config: TrainConfig, fractions: list[float]) -> list[tuple[str, TrainConfig]]:
    """`all`, then `snr` at each fraction: the same config otherwise."""
    snr = [
        (f"snr {fraction:g}", replace(config, layer_selection="snr", snr_top_fraction=fraction))
        for fraction in fractions
    ]
    return [("all", replace(config, layer_selection="all")), *snr]


def extraction_scores(adapter_dir: Path, base_model: str, pairs: int, seed: int) -> tuple[float, float]:
    """Fact F1 and format validity of the adapter's extractions on the held-out test pairs (the app's path)."""
    from agent.credit import extractor_messages
    from agent.runtime.backends import build_chat_model, generate_many
    from agent.settings import get_settings
    from evals.credit import in_chunks
    from finetune.credit_data import facts_text, split_pairs

    update = {"base_model": base_model, "adapter_path": adapter_dir, "backend": "local", "local_engine": "transformers"}
    extractor = build_chat_model("extractor", get_settings().model_copy(update=update))
    test = split_pairs("test", pairs, seed)
    conversations = [extractor_messages(p.old, p.new) for p in test]
    outputs = in_chunks(lambda chunk: generate_many(extractor, chunk), conversations, "extracting")
    return scores(outputs, [facts_text(p.facts) for p in test])


def scores(outputs: list[str], truths: list[str]) -> tuple[float, float]:
    """Fact F1 over all pairs and the share of outputs in the format."""
    total, valid = FactScore(0, 0, 0), 0
    for output, truth in zip(outputs, truths, strict=True):
        extraction = parse_facts(output)
        total, valid = total + score_facts(extraction.facts, parse_facts(truth).facts), valid + extraction.format_valid
    return total.f1, valid / len(outputs)


def read_test_pairs(directory: Path, count: int) -> tuple[list[Chat], list[str]]:
    """The first `count` test prompts (system and sheet) and their true fact lines, from test.jsonl."""
    records = [json.loads(line) for line in (directory / "test.jsonl").read_text().splitlines()[:count]]
    return [r["messages"][:-1] for r in records], ["\n".join(r["facts"]) for r in records]


def chat_extraction_scores(adapter_dir: Path, base_model: str, prompts: list[Chat], truths: list[str]) -> Any:
    """F1 and format validity of extractions generated with transformers and peft directly (greedy, batched)."""
    import torch
    from peft import PeftModel

    from agent.settings import get_settings
    from finetune.export import load_base_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    base, tokenizer = load_base_model(base_model, torch.bfloat16 if device == "cuda" else torch.float32)
    model = PeftModel.from_pretrained(base.to(device), str(adapter_dir)).eval()
    tokenizer.padding_side = "left"
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token  # some transformers versions load none
    outputs = []
    for start in range(0, len(prompts), 50):
        texts = [
            tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
            for p in prompts[start : start + 50]
        ]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.no_grad():
            generated = model.generate(**batch, max_new_tokens=get_settings().extractor_max_new_tokens, do_sample=False)
        outputs += tokenizer.batch_decode(generated[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    return scores(outputs, truths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("finetune/configs/smollm2-cpu.yaml"))
    parser.add_argument("--train-examples", type=int, default=160)
    parser.add_argument("--eval-pairs", type=int, default=30)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.5, 0.25])
    parser.add_argument("--epochs", type=float, help="Override the config's epochs.")
    parser.add_argument("--chats", type=Path, help="Read train.jsonl and test.jsonl here (finetune.credit_data).")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bankassist-layers-") as tmp:
        base = load_config(args.config, train_examples=args.train_examples, epochs=args.epochs, val_examples=0)
        train_chats = read_chats(args.chats, base)[0] if args.chats else generated_chats(base)[0]
        for name, config in variants(replace(base, quantize_4bit="never"), args.fractions):
            config = replace(config, output_dir=Path(tmp) / name.replace(" ", "-"))
            result = train(config, train_chats, [])
            if args.chats:
                prompts, truths = read_test_pairs(args.chats, args.eval_pairs)
                f1, valid = chat_extraction_scores(result.adapter_dir, config.base_model, prompts, truths)
            else:
                f1, valid = extraction_scores(result.adapter_dir, config.base_model, args.eval_pairs, base.data_seed)
            size = (result.adapter_dir / ADAPTER_FILE).stat().st_size / 2**20
            seconds, params = result.metrics["train_seconds"], result.metrics["trainable_params"]
            rows.append(f"| {name} | {f1:.3f} | {valid:.3f} | {seconds:.0f} | {params:,} | {size:.1f} MiB |")
            print(rows[-1], flush=True)
    print(
        f"\n{base.train_examples} training pairs, {base.epochs:g} epochs, {args.eval_pairs} test pairs, {args.config}\n"
    )
    print("| layers | fact F1 | format valid | train s | trainable params | adapter |")
    print("| --- | --: | --: | --: | --: | --: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
