"""CLI commands for credit data and the extractor: seed, import-report, summarize, finetune."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, TextIO

import typer

from ui.cli_common import stdout_to_stderr


def seed(
    customers: Annotated[int, typer.Option("--customers", min=1, max=10_000, help="How many.")] = 50,
    seed_value: Annotated[int, typer.Option("--seed", help="The same seed gives the same customers.")] = 7,
) -> None:
    """Create the demo customers with their credit-report history and bank accounts in the app DB (safe to re-run)."""
    from agent.service import seed_demo_customers

    written = seed_demo_customers(customers, seed_value)
    print(f"{written} demo customers with 2-3 report snapshots and 90 days of accounts each are in the app DB")


def import_report(
    file: Annotated[Path, typer.Argument(help="A JSON credit report (the schema in tools/credit.py).")],
    customer: Annotated[str, typer.Option("--customer", help="The customer the report belongs to, e.g. C0001.")],
    name: Annotated[str | None, typer.Option("--name", help="Create the customer with this name if new.")] = None,
) -> None:
    """Validate a credit report and store it; an invalid report names the field and stores nothing."""
    from agent.service import import_report_file

    report = import_report_file(file, customer, name)
    print(f"Imported the {report.bureau} report of {report.report_date} for {customer} (score {report.score})")


def summarize(
    all_customers: Annotated[bool, typer.Option("--all", help="Every customer in the app DB.")] = False,
    customer: Annotated[list[str] | None, typer.Option("--customer", help="A customer id; repeat for more.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write JSON lines here instead of stdout.")] = None,
) -> None:
    """Credit summaries for analysts, generated in batches (BANKASSIST_GENERATION_BATCH_SIZE per batch)."""
    from agent.service import summarize as summarize_customers
    from tools.errors import InvalidInputError

    if all_customers == bool(customer):
        raise InvalidInputError("Pass either --all or one or more --customer IDs.")
    if out is not None and not out.parent.is_dir():
        raise InvalidInputError(f"The directory {out.parent} does not exist.")
    results, stdout, sink = summarize_customers(None if all_customers else list(customer or [])), sys.stdout, None
    count = 0
    try:
        with stdout_to_stderr():  # library chatter must not mix into the JSON lines
            for summary in results:
                # Opened only now: an unknown customer id fails before an existing file is truncated.
                sink = sink or (_open_output(out) if out else stdout)
                sink.write(json.dumps(summary, ensure_ascii=False) + "\n")
                sink.flush()
                count += 1
    finally:
        if out and sink:
            sink.close()
    print(f"{count} summaries" + (f" written to {out}" if out else ""), file=sys.stderr)


def _open_output(path: Path) -> TextIO:
    """Open the output file for writing; a failure is one line."""
    from tools.errors import InvalidInputError

    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write {path}: {exc.strerror or type(exc).__name__}.") from exc


def finetune(
    config: Annotated[Path, typer.Option("--config", help="A YAML config, e.g. finetune/configs/smollm2-cpu.yaml.")],
    output_dir: Annotated[Path | None, typer.Option("--output-dir", help="Override the config's output_dir.")] = None,
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="Stop after this many steps.")] = None,
    merge: Annotated[bool | None, typer.Option("--merge/--no-merge", help="Also save a merged model.")] = None,
    resume: Annotated[bool | None, typer.Option("--resume/--no-resume", help="Continue from a checkpoint.")] = None,
    eval_pairs: Annotated[
        int,
        typer.Option(
            "--eval-pairs",
            min=0,
            help="Evaluate on this many held-out pairs (extractor), questions (advisor) or questions per RAG set "
            "(answerer); 0: none.",
        ),
    ] = 100,
    run_name: Annotated[
        str | None, typer.Option("--run-name", help="TensorBoard run under finetune/runs; default: adapter + time.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an adapter already in the output folder.")
    ] = False,
) -> None:
    """Train the credit-fact extractor (LoRA; QLoRA 4-bit on CUDA), evaluate it and write its model card.

    An output folder that already holds an adapter is kept: the run writes to `<folder>-<run name>`.
    """
    from finetune.run import run_finetune

    report = run_finetune(
        config, eval_pairs, run_name, overwrite, output_dir=output_dir, max_steps=max_steps, merge=merge, resume=resume
    )
    if report.moved_from:
        print(f"{report.moved_from} already holds an adapter, kept (--overwrite replaces it).")
    print(f"Adapter: {report.adapter_dir}" + (f"; merged model: {report.merged_dir}" if report.merged_dir else ""))
    print(f"TensorBoard run: {report.run_dir} (tensorboard --logdir {report.run_dir.parent})")
    print(json.dumps(report.metrics, indent=2, default=str))
