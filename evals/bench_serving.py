"""Benchmark: the same prompts one by one, then concurrently, through the `openai` backend.

It starts `transformers serve --continuous-batching` on loopback with the default model (or uses
`--url` for a server you run, e.g. vLLM on a GPU), sends `--prompts` banking questions from the
retrieval golden set one at a time, then all at once with `--concurrency` requests in flight, and
prints both throughputs and their ratio, measured in one run.

    python -m evals.bench_serving
    python -m evals.bench_serving --prompts 16 --max-tokens 24
    python -m evals.bench_serving --serve-args="--dtype bfloat16"    # on a GPU: the server's own options
    python -m evals.bench_serving --url http://gpu-host:8000/v1 --model bankassist-base
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "retrieval_golden.jsonl"


def questions(count: int) -> list[str]:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:count]]


def timed_generation(model, prompts, max_tokens: int, concurrency: int) -> tuple[float, int]:
    """Seconds to answer every prompt, and the characters generated (a sanity check both runs did work)."""
    from langchain_core.messages import HumanMessage

    from agent.runtime.backends import generate_many

    start = time.perf_counter()
    replies = generate_many(model, [[HumanMessage(p)] for p in prompts], max_tokens, concurrency)
    return time.perf_counter() - start, sum(len(r) for r in replies)


def accelerator() -> str:
    """The GPU a local server would use, or 'no GPU' (torch is imported only to ask)."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--url", help="an OpenAI-compatible /v1 URL; default: start transformers serve here")
    parser.add_argument("--model", help="served model name; default: the converted default model's directory")
    parser.add_argument("--serve-args", default="", help="more server options: --serve-args='--dtype bfloat16'")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.runtime.backends import build_chat_model
    from agent.runtime.model_files import resolve_model_dir
    from agent.settings import get_settings
    from evals.loopback_server import transformers_serve

    settings = get_settings()
    assert settings.model_cache_dir is not None
    with ExitStack() as stack:
        url = args.url
        if url is None:
            log = stack.enter_context(tempfile.TemporaryFile("w+"))
            server_args = ["--continuous-batching", *shlex.split(args.serve_args)]
            url = stack.enter_context(transformers_serve(log, *server_args)) + "/v1"
        model_name = args.model or resolve_model_dir(settings.base_model, settings.model_cache_dir)
        update = {"backend": "openai", "openai_base_url": url, "openai_synthesizer_model": model_name}
        model = build_chat_model("synthesizer", settings.model_copy(update=update))
        prompts = questions(args.prompts)
        timed_generation(model, prompts[:1], args.max_tokens, 1)  # warm-up: the server loads the model
        one_s, one_chars = timed_generation(model, prompts, args.max_tokens, 1)
        many_s, many_chars = timed_generation(model, prompts, args.max_tokens, args.concurrency)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {accelerator()}; python {sys.version.split()[0]}")
    print(f"server: {url} {args.serve_args}".rstrip())
    print(f"{len(prompts)} prompts, {args.max_tokens} new tokens at most")
    print(f"one by one: {one_s:.1f} s ({len(prompts) / one_s:.2f} prompts/s, {one_chars} chars)")
    print(f"{args.concurrency} at a time: {many_s:.1f} s ({len(prompts) / many_s:.2f} prompts/s, {many_chars} chars)")
    print(f"speed-up: {one_s / many_s:.1f}x")


if __name__ == "__main__":
    main()
