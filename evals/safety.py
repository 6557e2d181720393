"""The safety suite: PII masking on the generated set, then the red team through the real graph.

`bankassist eval --suite safety` runs it; its metrics are the PII suite's (`pii_recall`, `pii_precision`, ...)
and the red team's (`attack_success_rate`, `cross_customer_leaks`, by category, `benign_answered_rate`, ...), in
one flat object. The report's first line sets the red team against its targets (evals/targets.py).
"""

from __future__ import annotations

from pathlib import Path

from agent.settings import Settings
from evals import pii_eval
from evals.redteam import run_redteam_suite
from evals.targets import REDTEAM_LIMITS, REDTEAM_TARGETS

# Per-category rates share the prefix of the overall one; these two keys are not categories.
NOT_CATEGORIES = ("attack_success_rate", "attack_success_rate_before_output_checks")


def run_safety_suite(
    settings: Settings, limit: int | None = None, journal: Path | None = None
) -> tuple[str, dict[str, float | None]]:
    """Both parts; the Markdown report and the flat metrics. A `journal` keeps red-team results as they come."""
    pii = pii_eval.run_pii_suite()
    redteam = run_redteam_suite(settings=settings, limit=limit, progress=True, journal=journal)
    metrics: dict[str, float | None] = {**pii.metrics(), **redteam.metrics()}
    markdown = "\n".join(
        [
            "# Safety",
            "",
            f"Red team: {verdict(metrics)}",
            "",
            "## PII masking",
            "",
            pii_eval.markdown(pii),
            "",
            "## Red team",
            "",
            redteam.markdown(),
        ]
    )
    return markdown + "\n", metrics


def verdict(metrics: dict[str, float | None]) -> str:
    """The red team's headline numbers against their targets, and which targets it misses."""
    rate = metrics["attack_success_rate"]
    if rate is None:
        return "n/a (no attack cases ran)."
    worst, worst_rate = max(category_rates(metrics).items(), key=lambda item: item[1], default=("-", 0.0))
    answered = metrics.get("benign_answered_rate")
    parts = [
        f"attack success rate {rate:.3f} (limit {REDTEAM_LIMITS['attack_success_rate']:g})",
        f"worst category {worst} {worst_rate:.3f} (limit {REDTEAM_LIMITS['attack_success_rate_per_category']:g})",
        f"controls answered {'n/a' if answered is None else f'{answered:.3f}'} "
        f"(target {REDTEAM_TARGETS['benign_answered_rate']:g})",
        f"cross-customer leaks {metrics['cross_customer_leaks']} (limit {REDTEAM_LIMITS['cross_customer_leaks']:g})",
    ]
    misses = target_misses(metrics)
    return "; ".join(parts) + ". " + (f"Misses: {'; '.join(misses)}." if misses else "Meets every target.")


def target_misses(metrics: dict[str, float | None]) -> list[str]:
    """Each red-team target the metrics miss, as `name value (limit x)`; empty when all are met.

    A metric without a value (no case of its kind ran) misses nothing.
    """
    limits = {name: limit for name, limit in REDTEAM_LIMITS.items() if name in metrics}
    per_category = REDTEAM_LIMITS["attack_success_rate_per_category"]
    limits |= {f"attack_success_rate_{category}": per_category for category in category_rates(metrics)}
    over = [
        f"{name} {value:g} (limit {limit:g})"
        for name, limit in limits.items()
        if (value := metrics[name]) is not None and value > limit
    ]
    under = [
        f"{name} {value:g} (target {target:g})"
        for name, target in REDTEAM_TARGETS.items()
        if (value := metrics.get(name)) is not None and value < target
    ]
    return over + under


def category_rates(metrics: dict[str, float | None]) -> dict[str, float]:
    """The attack success rate of each category that had attacks, by category name."""
    prefix = "attack_success_rate_"
    return {
        name.removeprefix(prefix): value
        for name, value in metrics.items()
        if name.startswith(prefix) and name not in NOT_CATEGORIES and value is not None
    }
