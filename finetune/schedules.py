"""The learning-rate schedule both encoder fine-tunings use: a linear warm-up, then a linear decay to zero."""

from __future__ import annotations

from typing import Any


def warmup_then_linear_decay(optimizer: Any, steps: int, warm_up_share: float) -> Any:
    """A LambdaLR over `steps` that spends `warm_up_share` of them (at least one) warming up."""
    import torch

    warm_up = max(1, int(warm_up_share * steps))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warm_up) * max(0.0, 1 - step / steps)
    )
