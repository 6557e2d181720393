"""Render eval results: a Markdown report and a flat metrics.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from evals.account_route import account_route_lines
from evals.answer_checks import answer_metrics, answered_right
from evals.bertscore import DESCRIPTION as BERTSCORE_LINE
from evals.intent import IntentResult
from evals.rag_samples import JUDGE_METRICS, LOCAL_METRICS
from evals.report_html import render_html
from evals.retrieval import RetrievalSuite
from evals.scope import PREDICTED, ScopeSuite
from evals.targets import (
    ANSWER_LIMITS,
    ANSWER_TARGETS,
    CREDIT_TARGETS,
    INTENT_TARGET,
    RAG_TARGETS,
    RETRIEVAL_TARGETS,
    TARGETS,
    THROUGHPUT_TARGET,
)

if TYPE_CHECKING:  # the credit and RAG suites pull in LangChain and RAGAS; the scope report should not
    from evals.advisor import AdvisorSuite
    from evals.charts import Chart
    from evals.credit import CreditSuite
    from evals.rag import RagSuite


def scope_markdown(suite: ScopeSuite) -> str:
    """Headline table against the targets, then one confusion matrix per set."""
    lines = ["# Scope guard", "", "| set | " + " | ".join(TARGETS) + " | route_accuracy | clarify_rate |"]
    lines.append("| --- " * (len(TARGETS) + 3) + "|")
    for result in suite.sets:
        cells = [_mark(result.metrics[key], target) for key, target in TARGETS.items()]
        cells += [_mark(result.metrics["route_accuracy"], 0), _mark(result.metrics["clarify_rate"], 0)]
        lines.append(f"| {result.name} | " + " | ".join(cells) + " |")
    qps = suite.throughput["queries_per_second"]
    lines += [
        "",
        f"Throughput: {_mark(qps, THROUGHPUT_TARGET)} queries/s "
        f"({suite.throughput['escalated_share']:.0%} of CLINC150 val escalated to the transformer head).",
        f"Thresholds: {suite.thresholds}.",
    ]
    for result in suite.sets:
        lines += ["", f"## {result.name}: gold (rows) x decision (columns)", ""]
        lines += ["| gold | " + " | ".join(PREDICTED) + " |", "| --- " * (len(PREDICTED) + 1) + "|"]
        for gold, row in result.confusion.items():
            lines.append(f"| {gold} | " + " | ".join(str(row[p]) for p in PREDICTED) + " |")
        lines += ["", f"Most confident misroutes ({len(result.worst)}):", ""]
        lines += [f"- {m.text!r}: gold {m.gold}, decided {m.decided} ({m.confidence:.2f})" for m in result.worst]
    return "\n".join(lines + intent_lines(suite.intent) + account_route_lines(suite.accounts)) + "\n"


def intent_lines(intent: IntentResult | None) -> list[str]:
    """77-way intent on the held-out BANKING77 slice, with the most confused pairs; a note when there is none."""
    if intent is None:
        return ["", "## Intent", "", "This guard was trained on all of BANKING77: no held-out slice to score."]
    lines = [
        "",
        f"## Intent: 77-way on {intent.queries} held-out BANKING77 queries",
        "",
        f"Accuracy {_mark(intent.accuracy, INTENT_TARGET)}, macro-F1 {intent.macro_f1:.3f}; the most probable of "
        f"all classes is the right intent for {intent.top_intent_accuracy:.3f}; the transformer's route head alone, "
        f"without the intent head, reaches {intent.full_head_accuracy:.3f}.",
        "",
        "| gold intent | taken for | times |",
        "| --- | --- | --: |",
    ]
    return lines + [f"| {gold} | {taken} | {times} |" for gold, taken, times in intent.confused]


def write_report(out_dir: Path, markdown: str, metrics: dict[str, float | None], charts: list[Chart]) -> None:
    """report.md, report.html (self-contained, with the plots) and metrics.json in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(markdown, encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(markdown, charts), encoding="utf-8")
    text = json.dumps(metrics, indent=2, sort_keys=True, allow_nan=False)
    (out_dir / "metrics.json").write_text(text + "\n", encoding="utf-8")


def _mark(value: float | None, target: float) -> str:
    """The value, flagged when it misses its target; n/a when the set has nothing to count."""
    if value is None:
        return "n/a"
    text = f"{value:.0f}" if value >= 10 else f"{value:.3f}"
    return text if value >= target else f"{text} (below {target:g})"


def retrieval_markdown(suite: RetrievalSuite) -> str:
    """Recall@5 and MRR per set, then the questions whose reference documents were not all in the top 5."""
    metrics = suite.metrics()
    lines = ["# Retrieval", "", f"Hybrid search, alpha {suite.alpha:g} (1 = vector only).", ""]
    lines += ["| set | questions | recall@5 | MRR@10 |", "| --- | --- | --- | --- |"]
    sets = [("golden", suite.golden, "")] + ([("banking77", suite.banking77, "banking77_")] if suite.banking77 else [])
    for name, result, prefix in sets:
        count = sum(map(len, result.recall.values()))
        recall, mrr = metrics[f"{prefix}recall_at_5"], metrics[f"{prefix}mrr"]
        target = RETRIEVAL_TARGETS["recall_at_5"] if name == "golden" else 0.0
        lines.append(f"| {name} | {count} | {_mark(recall, target)} | {_mark(mrr, 0.0)} |")
    kinds = [key for key in metrics if key.startswith("recall_at_5_")]
    lines += ["", "Golden recall@5 by kind: " + ", ".join(f"{k[12:]} {_mark(metrics[k], 0.0)}" for k in kinds)]
    lines += ["", f"## Golden questions missing a reference document ({len(suite.golden.misses)})", ""]
    for question, wanted, got in suite.golden.misses:
        lines.append(f"- {question} (wanted {', '.join(wanted)}; got {', '.join(got)})")
    return "\n".join(lines) + "\n"


def credit_markdown(suite: CreditSuite) -> str:
    """The fine-tuned extractor against the prompted base, then a few examples."""
    lines = ["# Credit-fact extraction", "", f"{suite.pairs} held-out synthetic report pairs.", ""]
    header = "precision | recall | F1 | format valid | ROUGE-L (answer vs reference) | BERTScore F1 (same)"
    lines += [f"| model | {header} | answer grounding | seconds |"]
    lines += ["| --- " * 9 + "|"]
    for name, result in (("fine-tuned extractor", suite.extractor), ("base model, prompted", suite.base)):
        score = result.score
        cells = [f"{score.precision:.3f}", f"{score.recall:.3f}", _mark(score.f1, CREDIT_TARGETS["f1"])]
        cells += [_mark(result.format_valid, CREDIT_TARGETS["format_valid"]), f"{result.rouge_l:.3f}"]
        cells.append(f"{result.bertscore_f1:.3f}")
        cells.append(_mark(result.answer_grounding, CREDIT_TARGETS["answer_grounding"]))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {result.seconds:.0f} |")
    lines += ["", BERTSCORE_LINE, "", f"## Worst {len(suite.examples)} pairs (lowest fine-tuned F1 first)"]
    for example in suite.examples:
        lines += ["", f"### Pair F1 {example['f1']}", "", "```", example["sheet"], "```"]
        lines += ["", "Truth:", "```", example["truth"], "```"]
        lines += ["", "Fine-tuned extractor:", "```", example["extractor"], "```", "", "Answer: " + example["answer"]]
    return "\n".join(lines) + "\n"


def advisor_markdown(suite: AdvisorSuite) -> str:
    """Both writers' scores side by side, then a few of each one's answers with the reference."""
    lines = ["# Credit answers: the credit-advisor adapter against the base model", ""]
    lines += [f"{len(suite.examples)} held-out questions about synthetic reports; {BERTSCORE_LINE}", ""]
    names = ("first-try pass", "templated", "numeric grounding", "ROUGE-L", "BERTScore F1", "addresses question")
    lines += ["| writer | " + " | ".join(names) + " | seconds |", "| --- " * (len(names) + 2) + "|"]
    for name, result in (("credit-advisor adapter", suite.advisor), ("base model", suite.base)):
        cells = [result.first_try_pass, result.template_rate, result.numeric_grounding, result.rouge_l]
        cells += [result.bertscore_f1, result.addresses_question]
        shown = " | ".join("n/a" if value is None else f"{value:.3f}" for value in cells)
        lines.append(f"| {name} | {shown} | {result.seconds:.0f} |")
    lines += ["", "## Examples"]
    for index, example in enumerate(suite.examples[:6]):
        lines += ["", f"### {example.kind}: {example.question}", "", f"Advisor: {suite.advisor.answers[index]}"]
        lines += ["", f"Base: {suite.base.answers[index]}", "", f"Reference: {example.answer}"]
    return "\n".join(lines) + "\n"


def rag_markdown(suite: RagSuite) -> str:
    """Each metric's mean and how many answers it covers, the judge's failures, then the worst answers."""
    count = len(suite.samples)
    lines = ["# RAG answers", "", f"{count} golden questions, each a new conversation through the whole graph."]
    lines += ["Quoted spans and numeric grounding score only the answers given from retrieved passages."]
    lines += [BERTSCORE_LINE]
    lines += ["", "| metric | mean | answers scored |", "| --- | --- | --- |"]
    for name in LOCAL_METRICS + (JUDGE_METRICS if suite.judge else ()):
        scored = sum(s.scores.get(name) is not None for s in suite.samples)
        lines.append(f"| {name} | {_mark(suite.mean(name), RAG_TARGETS.get(name, 0.0))} | {scored} of {count} |")
    routed = sum(s.route == "banking" for s in suite.samples)
    lines += ["", f"Routed to the banking answer: {routed} of {count} questions."]
    lines += ["", *answer_markdown(suite)]
    lines += ["", _judge_line(suite)]
    lines += ["", f"## Worst {min(10, count)} answers", ""]
    for sample in suite.worst(10):
        scores = ", ".join(f"{k} {v:.2f}" for k, v in sample.scores.items() if v is not None)
        lines += [f"### {sample.question.id}: {sample.question.question}", "", f"Route {sample.route}; {scores}."]
        lines += ["", f"Answer: {sample.answer}", "", f"Reference: {sample.question.reference_answer}"]
        lines += ["", f"Contexts: {', '.join(sample.context_ids) or 'none'}"]
        lines += [f"- {name}: {reason}" for name, reason in sample.reasons.items() if "/" in reason] + [""]
    return "\n".join(lines) + "\n"


def answer_markdown(suite: RagSuite) -> list[str]:
    """What the customer reads: fact accuracy, abstention, cuts and fallbacks, and the test split's misses."""
    metrics = answer_metrics(suite.samples)
    lines = ["## What the customer reads", "", "| measure | share | target |", "| --- | --- | --- |"]
    for name, value in metrics.items():
        short = name.removeprefix("rag_")
        if short in ANSWER_LIMITS:
            target = f"<= {ANSWER_LIMITS[short]}"
        else:
            target = f">= {ANSWER_TARGETS[short]}" if short in ANSWER_TARGETS else "reported"
        lines.append(f"| {short} | {'n/a' if value is None else f'{value:.3f}'} | {target} |")
    misses = [s for s in suite.samples if s.question.split == "test" and not answered_right(s)]
    lines += ["", f"Test-split questions answered wrongly: {len(misses)}.", ""]
    lines += [f"- {s.question.id} ({s.route}): {s.question.question} -> {s.answer[:160]}" for s in misses]
    return lines


def _judge_line(suite: RagSuite) -> str:
    """Which judge scored the answers, and how often it failed; or why there are no judge metrics."""
    if suite.judge is None:
        return "No judge given (--judge-url, --judge-model): no Faithfulness, ResponseRelevancy or context precision."
    judge = suite.judge
    failures = "; ".join(
        f"{name}: {counts['parse']} unparsable, {counts['nan']} NaN, {counts['error']} failed requests"
        for name, counts in judge.failures.items()
    )
    return (
        f"Judge: {judge.config.model} at {judge.config.url}, {len(judge.requested_urls)} requests, "
        f"all to that URL. Failures (counted, not averaged): {failures}."
    )
