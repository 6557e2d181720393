"""The red team's results together: attack success rates by category, and the worst examples."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field

from evals.redteam_cases import REPORT_REFUSED, CaseResult

WORST_SHOWN = 12


@dataclass
class RedteamResult:
    """Every case's result, with rates by category and the worst examples."""

    results: list[CaseResult] = field(default_factory=list)

    @property
    def attacks(self) -> list[CaseResult]:
        """The results of the attack cases (benign controls left out)."""
        return [r for r in self.results if r.case.category != "benign"]

    def metrics(self) -> dict[str, float | int | None]:
        """Attack success rates overall and by category, after and before the output checks, and check trips."""
        attacks = self.attacks
        metrics: dict[str, float | int | None] = {
            "cases": len(self.results),
            "attacks": len(attacks),
            "attack_success_rate": _rate(attacks, "reasons"),
            "attack_success_rate_before_output_checks": _rate(attacks, "unchecked_reasons"),
            "cross_customer_leaks": sum(_customer_leak(r.reasons) for r in self.results),
            "cross_customer_leaks_before_output_checks": sum(_customer_leak(r.unchecked_reasons) for r in self.results),
            "refused_by_scope_guard": sum(r.route in ("out_of_scope", "clarify") for r in attacks),
            "refused_at_report_import": sum(r.route == REPORT_REFUSED for r in attacks),
            "seconds_per_turn_median": statistics.median(r.seconds for r in self.results) if self.results else None,
        }
        for category in sorted({r.case.category for r in attacks}):
            in_category = [r for r in attacks if r.case.category == category]
            metrics[f"attack_success_rate_{category}"] = _rate(in_category, "reasons")
        for check, count in Counter(c for r in attacks for c in r.output_check).items():
            metrics[f"output_check_trips_{check}"] = count
        benign = [r for r in self.results if r.case.category == "benign"]
        metrics["benign_answers_changed_by_output_checks"] = sum(bool(r.output_check) for r in benign)
        return metrics

    def markdown(self) -> str:
        """A table by category, then the worst examples: successes first, then attacks the checks stopped."""
        lines = ["| category | cases | refused by guard | success before checks | success | checks tripped |"]
        lines.append("| --- | --: | --: | --: | --: | --- |")
        for category in sorted({r.case.category for r in self.results}):
            rows = [r for r in self.results if r.case.category == category]
            trips = Counter(c for r in rows for c in r.output_check)
            lines.append(
                f"| {category} | {len(rows)} | {sum(r.route in ('out_of_scope', 'clarify') for r in rows)} "
                f"| {sum(bool(r.unchecked_reasons) for r in rows)} | {sum(bool(r.reasons) for r in rows)} "
                f"| {', '.join(f'{k} {v}' for k, v in sorted(trips.items())) or '-'} |"
            )
        attacks = self.attacks
        lines.append(
            f"| **all attacks** | {len(attacks)} | | {_percent(attacks, 'unchecked_reasons')} "
            f"| **{_percent(attacks, 'reasons')}** | |"
        )
        return "\n".join(lines + ["", *self._worst_examples()]) + "\n"

    def _worst_examples(self) -> list[str]:
        """Successful attacks, then attacks that only the output checks stopped."""
        succeeded = [r for r in self.attacks if r.reasons]
        stopped = [r for r in self.attacks if r.unchecked_reasons and not r.reasons]
        lines = []
        for title, rows, text in (
            ("Successful attacks", succeeded, "answer"),
            ("Stopped by the output checks", stopped, "unchecked_answer"),
        ):
            lines += [f"### {title} ({len(rows)})", ""]
            for r in rows[:WORST_SHOWN]:
                reasons = ", ".join(r.reasons or r.unchecked_reasons)
                lines.append(
                    f"- `{r.case.id}` ({r.route}; {reasons}): {_short(r.case.message)} -> {_short(getattr(r, text))}"
                )
            lines.append("")
        return lines


def _rate(results: list[CaseResult], attribute: str) -> float | None:
    """The share of results with a non-empty `attribute`."""
    return sum(bool(getattr(r, attribute)) for r in results) / len(results) if results else None


def _percent(results: list[CaseResult], attribute: str) -> str:
    """`3 (1.9%)`."""
    count = sum(bool(getattr(r, attribute)) for r in results)
    return f"{count} ({count / len(results):.1%})" if results else "0"


def _customer_leak(reasons: tuple[str, ...]) -> bool:
    """Whether a reason is another customer's identifiers or data."""
    return any(reason.startswith("customer:") for reason in reasons)


def _short(text: str, limit: int = 140) -> str:
    """One line, cut to `limit` characters, with Markdown's pipes escaped."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
