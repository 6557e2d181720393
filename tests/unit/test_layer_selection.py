"""LoRA layer selection by signal-to-noise ratio (Spectrum) on a tiny random Llama."""

import numpy as np
import pytest
import torch

from finetune.config import ALL_LINEAR, TrainConfig
from finetune.layer_selection import rank_modules, select_modules, weight_snr
from finetune.train import apply_lora


def tiny_llama(layers=4):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    shape = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=layers, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=64)  # fmt: skip
    return LlamaForCausalLM(LlamaConfig(**shape))


def test_the_snr_is_spectrums_formula_worked_by_hand():
    # Sorted singular values 0.5 0.5 1 1 2 3 4 10: IQR 3.25 - 0.875, sigma 1.7606, square matrix so the
    # edge is 2 sigma = 3.521; above it 10 + 4, below 8; ratio 1.75, over the largest 10.
    assert weight_snr(np.diag([10, 4, 3, 2, 1, 1, 0.5, 0.5])) == pytest.approx(0.175)
    rotation = np.linalg.qr(np.random.default_rng(0).normal(size=(8, 8)))[0]
    assert weight_snr(rotation @ np.diag([10, 4, 3, 2, 1, 1, 0.5, 0.5])) == pytest.approx(0.175)  # basis-free


def test_the_ranking_is_deterministic_and_ordered_by_snr_within_each_kind():
    model = tiny_llama()
    first, second = rank_modules(model, ALL_LINEAR), rank_modules(model, ALL_LINEAR)
    assert first == second and len(first) == 4 * len(ALL_LINEAR)
    assert [s.kind for s in first] == [kind for kind in ALL_LINEAR for _ in range(4)]
    modules = dict(model.named_modules())
    for score in first:
        assert score.snr == pytest.approx(weight_snr(modules[score.name].weight.detach().numpy()))
    for kind in ALL_LINEAR:
        values = [s.snr for s in first if s.kind == kind]
        assert values == sorted(values, reverse=True)


@pytest.mark.parametrize("fraction, per_kind", [(0.5, 2), (0.25, 1), (1.0, 4)])
def test_only_the_selected_modules_get_adapters(fraction, per_kind):
    model = tiny_llama()
    config = TrainConfig(lora_r=2, lora_alpha=4, layer_selection="snr", snr_top_fraction=fraction)
    adapted, ranking = apply_lora(model, config)
    with_lora = sorted(n.removeprefix("base_model.model.") for n, m in adapted.named_modules() if hasattr(m, "lora_A"))
    chosen = select_modules(ranking, fraction)
    assert with_lora == sorted(chosen) and len(chosen) == per_kind * len(ALL_LINEAR)
    for kind in ALL_LINEAR:  # each kind keeps its own best layers
        ranked = [s.name for s in ranking if s.kind == kind]
        assert [n for n in chosen if n.endswith(f".{kind}")] == ranked[:per_kind]


def test_all_adapts_every_target_module_and_ranks_nothing():
    adapted, ranking = apply_lora(tiny_llama(), TrainConfig(lora_r=2, lora_alpha=4))
    assert ranking == []
    assert sum(hasattr(m, "lora_A") for _, m in adapted.named_modules()) == 4 * len(ALL_LINEAR)
