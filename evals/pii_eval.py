"""The PII suite: per-type precision and recall of `tools.pii.PiiMasker` on the generated set.

A gold value is found when all its characters are replaced by placeholders of its type. A masked
span is correct when it overlaps a gold value of its type and no near-miss; anything else it masks is
a false positive. Spans are read back from what `mask()` returns, so the suite checks the real output.
When the shared data folder is there, it also masks real users' queries (BANKING77, CLINC150: 28,203
strings with next to no PII) and lists what changed: a check on text nobody wrote for this suite.

    python -m evals.pii_eval                      # 1,000 strings, seed 0: table, worst examples, JSON
    python -m evals.pii_eval --ner-model en_core_web_sm   # names from an installed spaCy NER model too
    python -m evals.pii_eval --count 5000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent.settings import get_settings
from evals.pii_set import NEAR_MISS_KINDS, PII_KINDS, STRUCTURED, Sample, Span, generate
from tools.datasets import banking77_train, clinc150
from tools.pii import PiiMasker

PLACEHOLDER = re.compile(r"<(?P<label>[A-Z]+)_\d+>")


@dataclass(frozen=True)
class Masked:
    """A stretch of the original text that `mask()` replaced, with the placeholder it got."""

    start: int
    end: int
    label: str
    placeholder: str


@dataclass(frozen=True)
class Miss:
    """One error for the worst-examples listing: a gold value left visible, or something masked wrongly."""

    error: str  # "missed" or "false positive"
    kind: str
    value: str
    text: str
    masked: str


@dataclass
class PiiSuiteResult:
    """Counts per type, the errors, consistency and speed of one run."""

    count: int
    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    near_misses: int = 0
    near_misses_masked: int = 0
    near_miss_kinds: Counter[str] = field(default_factory=Counter)
    near_miss_kinds_masked: Counter[str] = field(default_factory=Counter)
    repeat_checks: int = 0
    repeat_consistent: int = 0
    misses: list[Miss] = field(default_factory=list)
    ms_per_string: float = 0.0

    def metrics(self) -> dict[str, float]:
        """Recall over the structured types, precision over every masked span, then each type's own."""
        metrics = {
            "pii_recall": _ratio(sum(self.found[k] for k in STRUCTURED), sum(self.gold[k] for k in STRUCTURED)),
            "pii_precision": _ratio(sum(self.correct.values()), sum(self.predicted.values())),
            "pii_recall_all": _ratio(sum(self.found.values()), sum(self.gold.values())),
            "near_miss_masked_rate": _ratio(self.near_misses_masked, self.near_misses, empty=0.0),
            "placeholder_consistency": _ratio(self.repeat_consistent, self.repeat_checks),
            "ms_per_string": self.ms_per_string,
        }
        for kind in PII_KINDS:
            metrics[f"pii_recall_{kind.lower()}"] = _ratio(self.found[kind], self.gold[kind])
            metrics[f"pii_precision_{kind.lower()}"] = _ratio(self.correct[kind], self.predicted[kind])
        return metrics


def _ratio(hits: int, total: int, empty: float = 1.0) -> float:
    """hits/total; `empty` when there is nothing to count (no predictions: no false positives)."""
    return hits / total if total else empty


def masked_spans(original: str, masked: str) -> list[Masked]:
    """Where each placeholder of `masked` sits in `original`: the text between placeholders is unchanged."""
    pieces, placeholders = [], []
    at = 0
    for match in PLACEHOLDER.finditer(masked):
        pieces.append(re.escape(masked[at : match.start()]))
        placeholders.append(match)
        at = match.end()
    pieces.append(re.escape(masked[at:]))
    aligned = re.fullmatch("(.+?)".join(pieces), original, flags=re.DOTALL)
    if aligned is None:
        raise ValueError(f"mask() changed text outside its placeholders: {original!r} -> {masked!r}")
    return [
        Masked(aligned.start(i + 1), aligned.end(i + 1), match["label"], match.group())
        for i, match in enumerate(placeholders)
    ]


def _overlaps(a: Span | Masked, b: Span | Masked) -> bool:
    return a.start < b.end and b.start < a.end


def _covered(gold: Span, spans: list[Masked]) -> bool:
    """Every character of the gold value lies under a placeholder of its own type."""
    return sum(
        min(gold.end, s.end) - max(gold.start, s.start) for s in spans if s.label == gold.kind and _overlaps(gold, s)
    ) == len(gold.value)


def same_value(span: Span) -> tuple[str, str]:
    """One key per value whatever its spelling: digits for numbers (a US phone's last ten), else case-folded."""
    if span.kind in {"EMAIL", "IBAN", "PERSON", "ADDRESS", "DOB"}:
        return span.kind, re.sub(r"\s", "", span.value).lower()
    numbers = re.sub(r"\D", "", span.value)
    return span.kind, numbers[-10:] if span.kind == "PHONE" else numbers


def score(result: PiiSuiteResult, sample: Sample, masked: str) -> None:
    """Add one string's hits, misses and false positives to the running counts."""
    spans = masked_spans(sample.text, masked)
    for gold in sample.gold:
        result.gold[gold.kind] += 1
        if _covered(gold, spans):
            result.found[gold.kind] += 1
        else:
            result.misses.append(Miss("missed", gold.kind, gold.value, sample.text, masked))
    for span in spans:
        result.predicted[span.label] += 1
        right = any(g.kind == span.label and _overlaps(g, span) for g in sample.gold)
        if right and not any(_overlaps(n, span) for n in sample.near_misses):
            result.correct[span.label] += 1
        else:
            value = sample.text[span.start : span.end]
            result.misses.append(Miss("false positive", span.label, value, sample.text, masked))
    for near in sample.near_misses:
        hidden = any(_overlaps(near, s) for s in spans)
        result.near_misses += 1
        result.near_misses_masked += hidden
        result.near_miss_kinds[near.kind] += 1
        result.near_miss_kinds_masked[near.kind] += hidden
    _check_consistency(result, sample, spans)


def _check_consistency(result: PiiSuiteResult, sample: Sample, spans: list[Masked]) -> None:
    """Where a string holds two values of one type, equal values must share a placeholder and others not."""
    found = [g for g in sample.gold if _covered(g, spans)]
    for kind in {g.kind for g in found}:
        values = [g for g in found if g.kind == kind]
        if len(values) < 2:
            continue
        placeholder = {g: next(s.placeholder for s in spans if _overlaps(g, s)) for g in values}
        result.repeat_checks += 1
        result.repeat_consistent += all(
            (same_value(a) == same_value(b)) == (placeholder[a] == placeholder[b]) for a in values for b in values
        )


def run_pii_suite(seed: int = 0, count: int = 1000, masker: PiiMasker | None = None) -> PiiSuiteResult:
    """Mask every generated string once and score it; time only the masking."""
    masker = masker or PiiMasker()
    samples = generate(seed, count)
    result = PiiSuiteResult(count=count)
    masked, started = [], time.perf_counter()
    for sample in samples:
        masked.append(masker.mask(sample.text).text)
    result.ms_per_string = (time.perf_counter() - started) * 1000 / count
    for sample, text in zip(samples, masked, strict=True):
        score(result, sample, text)
    return result


def markdown(result: PiiSuiteResult, examples: int = 0) -> str:
    """A table of gold, recall, masked and precision per type, then totals and the first few errors."""
    metrics = result.metrics()
    lines = ["| type | gold | recall | masked | precision |", "| --- | ---: | ---: | ---: | ---: |"]
    for kind in PII_KINDS:
        name = kind.lower()
        row = (
            kind,
            result.gold[kind],
            metrics[f"pii_recall_{name}"],
            result.predicted[kind],
            metrics[f"pii_precision_{name}"],
        )
        lines.append(_row(*row))
    structured = sum(result.gold[k] for k in STRUCTURED)
    structured_masked = sum(result.predicted[k] for k in STRUCTURED)
    structured_precision = _ratio(sum(result.correct[k] for k in STRUCTURED), structured_masked)
    lines.append(
        _row("structured (7 types)", structured, metrics["pii_recall"], structured_masked, structured_precision)
    )
    everything = (sum(result.gold.values()), metrics["pii_recall_all"], sum(result.predicted.values()))
    lines.append(_row("all", *everything, metrics["pii_precision"]))
    lines.append(
        f"\n{result.count} strings, {result.near_misses} near-misses ({result.near_misses_masked} masked), "
        f"placeholder consistency {metrics['placeholder_consistency']:.3f} over {result.repeat_checks} strings, "
        f"{result.ms_per_string:.2f} ms per string."
    )
    counts = ((kind, result.near_miss_kinds[kind], result.near_miss_kinds_masked[kind]) for kind in NEAR_MISS_KINDS)
    by_kind = (f"{kind} {count} ({hidden})" for kind, count, hidden in counts if count)
    lines.append(f"Near-misses by kind (masked): {', '.join(by_kind)}.")
    for miss in result.misses[:examples]:
        lines.append(f"- {miss.error} {miss.kind} `{miss.value}` in {miss.text!r} -> {miss.masked!r}")
    return "\n".join(lines)


def _row(name: str, gold: int, recall: float, masked: int, precision: float) -> str:
    return f"| {name} | {gold} | {recall:.3f} | {masked} | {precision:.3f} |"


def masked_real_queries(masker: PiiMasker, data_dir: Path) -> tuple[int, list[tuple[str, str]]]:
    """Real users' banking and general queries (BANKING77, CLINC150) carry almost no PII: what gets masked there."""
    queries = banking77_train(data_dir) + clinc150(data_dir, ["train", "val", "oos_train", "oos_val"])
    masked = [(query.text, masker.mask(query.text).text) for query in queries]
    return len(queries), [(text, out) for text, out in masked if out != text]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=15, help="errors to list under the table")
    parser.add_argument("--ner-model", help="an installed spaCy pipeline for person names (default: context rules)")
    args = parser.parse_args()
    masker = PiiMasker(ner_model=args.ner_model)
    result = run_pii_suite(seed=args.seed, count=args.count, masker=masker)
    print(markdown(result, args.examples))
    data_dir = get_settings().external_data_dir
    if data_dir is not None and (data_dir / "scope_labels.json").exists():
        total, changed = masked_real_queries(masker, data_dir)
        print(f"\nReal user queries (BANKING77 train, CLINC150 train and val): {len(changed)} of {total} masked")
        for text, out in changed[: args.examples]:
            print(f"- {text!r} -> {out!r}")
    print(json.dumps({key: round(value, 4) for key, value in result.metrics().items()}, indent=2))


if __name__ == "__main__":
    main()
