"""Why batched summaries stop short of 8x on CPU: prefill and decode cost per row at batch 1, 8 and 32.

Runs the extractor's real prompts (the first demo customers' report pairs) through the local model:
one prefill of the left-padded batch, then decode steps on its KV cache, adapter on (extraction) and
off (phrasing). From those it prints the best speed-up batching can give to a reply of N tokens:
(prefill + N steps at batch 1) / (prefill + N steps at batch 32, per row), ignoring that a padded
batch also runs until its longest reply ends.

    python -m evals.bench_batch_anatomy            # about 4 minutes on 2 cores
    python -m evals.bench_batch_anatomy --reply-tokens 118
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any

BATCHES = (1, 8, 32)
DECODE_STEPS = 12


def costs(runtime: Any, chats: list[list[dict[str, str]]], size: int) -> tuple[float, float]:
    """Seconds per row of one batched prefill, and of one decode step (median of DECODE_STEPS)."""
    import torch
    from transformers import DynamicCache

    inputs = runtime._encode_batch(chats[:size])
    cache = DynamicCache()
    with torch.inference_mode():
        start = time.perf_counter()
        out = runtime.model(**inputs, past_key_values=cache, use_cache=True)
        prefill = time.perf_counter() - start
        mask, steps = inputs["attention_mask"], []
        for _ in range(DECODE_STEPS):
            mask = torch.cat([mask, mask.new_ones(size, 1)], dim=1)
            step_ids = out.logits[:, -1].argmax(-1)[:, None]
            start = time.perf_counter()
            out = runtime.model(input_ids=step_ids, attention_mask=mask, past_key_values=cache, use_cache=True)
            steps.append(time.perf_counter() - start)
    return prefill / size, statistics.median(steps) / size


def main() -> None:
    """Print the cost table and the bound it implies."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reply-tokens", type=int, default=118, help="reply length for the bound (mean fact list)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["BANKASSIST_LOCAL_ENGINE"] = "transformers"  # it measures transformers' padded batches
    import torch

    from agent.credit import extractor_messages
    from agent.runtime.local_model import LocalChatModel, to_chat
    from agent.service import open_credit_models

    with open_credit_models() as credit:
        ids = [c.id for c in credit.reports.list_customers() if c.reports >= 2][: max(BATCHES)]
        histories = [credit.reports.latest_reports(cid, 2) for cid in ids]
        chats = [to_chat(extractor_messages(h[1], h[0])) for h in histories]
        if not isinstance(credit.extractor, LocalChatModel):
            raise SystemExit("This benchmark measures the local backend; unset BANKASSIST_BACKEND.")
        runtime = credit.extractor.runtime_loader()
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads")
        for adapter in (True, False):
            with runtime._adapter(adapter):
                table = {size: costs(runtime, chats, size) for size in BATCHES}
            for size, (prefill, step) in table.items():
                print(f"adapter {'on ' if adapter else 'off'} batch {size:>2}: prefill {prefill:.2f} s/row, "
                      f"decode step {step * 1000:.1f} ms/row")  # fmt: skip
            (p1, s1), (pn, sn) = table[BATCHES[0]], table[BATCHES[-1]]
            n = args.reply_tokens
            bound = (p1 + n * s1) / (pn + n * sn)
            print(f"  best speed-up at batch {BATCHES[-1]} for {n}-token replies: {bound:.1f}x")


if __name__ == "__main__":
    main()
