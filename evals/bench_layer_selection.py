"""LoRA on every layer against LoRA on the highest-SNR layers (Spectrum), same data and steps.

    python -m evals.bench_layer_selection                                   # the CPU recipe, scaled down
    python -m evals.bench_layer_selection --train-examples 960 --eval-pairs 100   # the full CPU recipe

Trains the extractor once per variant (`all`, then `snr` at each `--fractions`) from one config, with
the same generated pairs, seed and steps, then scores each adapter's fact extraction on the same held-out
test pairs (the credit suite's F1 and format validity, extraction only) on the local transformers engine.
Prints one Markdown row per variant: F1, format validity, training seconds, trainable parameters and the
adapter's size on disk.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from agent.credit import extractor_messages
from agent.runtime.backends import build_chat_model, generate_many
from agent.settings import get_settings
from evals.credit import in_chunks
from finetune.config import TrainConfig, load_config
from finetune.credit_data import split_pairs
from finetune.train import train
from tools.credit_facts import FactScore, parse_facts, score_facts

ADAPTER_FILE = "adapter_model.safetensors"


def variants(config: TrainConfig, fractions: list[float]) -> list[tuple[str, TrainConfig]]:
    """`all`, then `snr` at each fraction: the same config otherwise."""
    snr = [
        (f"snr {fraction:g}", replace(config, layer_selection="snr", snr_top_fraction=fraction))
        for fraction in fractions
    ]
    return [("all", replace(config, layer_selection="all")), *snr]


def extraction_scores(adapter_dir: Path, base_model: str, pairs: int, seed: int) -> tuple[float, float]:
    """Fact F1 and format validity of the adapter's extractions on the held-out test pairs."""
    update = {"base_model": base_model, "adapter_path": adapter_dir, "backend": "local", "local_engine": "transformers"}
    extractor = build_chat_model("extractor", get_settings().model_copy(update=update))
    test = split_pairs("test", pairs, seed)
    conversations = [extractor_messages(p.old, p.new) for p in test]
    outputs = in_chunks(lambda chunk: generate_many(extractor, chunk), conversations, "extracting")
    total, valid = FactScore(0, 0, 0), 0
    for pair, output in zip(test, outputs, strict=True):
        extraction = parse_facts(output)
        total, valid = total + score_facts(extraction.facts, pair.facts), valid + extraction.format_valid
    return total.f1, valid / len(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("finetune/configs/smollm2-cpu.yaml"))
    parser.add_argument("--train-examples", type=int, default=160)
    parser.add_argument("--eval-pairs", type=int, default=30)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.5, 0.25])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bankassist-layers-") as tmp:
        base = load_config(args.config, train_examples=args.train_examples)
        train_chats = [p.messages() for p in split_pairs("train", base.train_examples, base.data_seed)]
        for name, config in variants(replace(base, val_examples=0, quantize_4bit="never"), args.fractions):
            config = replace(config, output_dir=Path(tmp) / name.replace(" ", "-"))
            result = train(config, train_chats, [])
            f1, valid = extraction_scores(result.adapter_dir, config.base_model, args.eval_pairs, base.data_seed)
            size = (result.adapter_dir / ADAPTER_FILE).stat().st_size / 2**20
            seconds, params = result.metrics["train_seconds"], result.metrics["trainable_params"]
            rows.append(f"| {name} | {f1:.3f} | {valid:.3f} | {seconds:.0f} | {params:,} | {size:.1f} MiB |")
            print(rows[-1], flush=True)
    print(f"\n{base.train_examples} training pairs, {args.eval_pairs} test pairs, config {args.config}\n")
    print("| layers | fact F1 | format valid | train s | trainable params | adapter |")
    print("| --- | --: | --: | --: | --: | --: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
