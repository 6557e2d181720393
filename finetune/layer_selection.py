"""Which modules get LoRA adapters: all of them, or those whose weights carry the most signal (Spectrum).

Spectrum (Hartford et al., 2024) ranks a model's weight matrices by a signal-to-noise ratio of their
singular values and trains only the top share of each kind of module; BankLlama-3B adapted the top 50%
this way. The noise bound is the Marchenko-Pastur edge of a random matrix of the same shape, with its
scale estimated from the singular values' interquartile range, as Spectrum's own code does:

    sigma = IQR(s) / 1.349,   edge = sigma * (1 + sqrt(min(m, n) / max(m, n)))
    snr = sum(s > edge) / sum(s <= edge) / max(s)

Ranking is within each kind (`q_proj`, `down_proj`, ...) so that every kind keeps its best layers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

IQR_TO_SIGMA = 1.349  # the interquartile range of a normal distribution, in standard deviations


@dataclass(frozen=True)
class ModuleScore:
    """One linear module: its full name, its kind (the name's last part) and its SNR."""

    name: str
    kind: str
    snr: float

    def as_dict(self) -> dict[str, Any]:
        """For the model card's JSON."""
        return asdict(self)


def weight_snr(weight: np.ndarray) -> float:
    """The matrix's singular values above the Marchenko-Pastur edge against those below, per its largest."""
    singular = np.linalg.svd(np.asarray(weight, dtype=np.float64), compute_uv=False)
    rows, cols = weight.shape
    q25, q75 = np.quantile(singular, [0.25, 0.75])
    edge = (q75 - q25) / IQR_TO_SIGMA * (1 + math.sqrt(min(rows, cols) / max(rows, cols)))
    signal, noise = singular[singular > edge].sum(), singular[singular <= edge].sum()
    ratio = signal / noise if noise > 0 else math.inf
    return float(ratio / singular.max()) if singular.max() > 0 else 0.0


def rank_modules(model: Any, kinds: list[str]) -> list[ModuleScore]:
    """Every linear module of those kinds, best SNR first within each kind (ties by name: deterministic)."""
    scores = []
    for name, module in model.named_modules():
        kind = name.rsplit(".", 1)[-1]
        weight = getattr(module, "weight", None)
        if kind in kinds and weight is not None and getattr(weight, "ndim", 0) == 2:
            scores.append(ModuleScore(name, kind, weight_snr(_float_weight(module))))
    return sorted(scores, key=lambda s: (kinds.index(s.kind), -s.snr, s.name))


def select_modules(scores: list[ModuleScore], top_fraction: float) -> list[str]:
    """The best `top_fraction` of each kind (at least one), by full module name."""
    chosen = []
    for kind in dict.fromkeys(s.kind for s in scores):
        ranked = [s for s in scores if s.kind == kind]
        chosen += [s.name for s in ranked[: max(1, math.ceil(top_fraction * len(ranked)))]]
    return chosen


def unmatched_targets(module_names: list[str], targets: list[str]) -> list[str]:
    """The targets no module is named after, by peft's rule (the full name, or its dotted end).

    peft adapts whatever matches and skips the rest silently, so a misspelt kind would train fewer modules.
    """
    return [t for t in targets if not any(name == t or name.endswith("." + t) for name in module_names)]


def _float_weight(module: Any) -> np.ndarray:
    """The module's weight as float32 numpy, dequantized first when it is a 4-bit bitsandbytes weight."""
    import torch

    weight = module.weight
    if not torch.is_floating_point(weight.data):
        import bitsandbytes.functional as bnb  # QLoRA on CUDA: the base's weights are packed NF4

        weight = bnb.dequantize_4bit(weight.data, weight.quant_state)
    return weight.detach().float().cpu().numpy()
