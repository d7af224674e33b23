"""Time batched evaluation against one fund at a time, on the built-in tiny model.

The same prompts (the demo universe's house-methodology prompts in the style the built-in tiny
model's runs and evaluations use: compact, ~200 tokens each; `--prompt-style full` gives the
~770-token prompts of real models) are answered greedily by `engine.llm.generate.generate`, the function the background
evaluation job runs: once with `--batch-size` prompts per forward pass (left-padded, sorted by
length), once with batches of one. Both must give identical answers. The untrained model never
writes its end-of-turn token, so every answer runs the full `--max-new-tokens`: the two ways do
exactly the same work per fund. Throughput is funds per second, best of `--repeat` timings
after a warm-up; the ratio is batched / one-at-a-time. CPU threads wait passively, as in the
job (OMP_WAIT_POLICY=PASSIVE unless set): on shared cores busy-waiting threads distort both.

    .venv/bin/python bench/bench_evaluation.py [--funds 64] [--batch-size N]
        [--max-new-tokens 64] [--repeat 2] [--prompt-style compact|full] [--device auto] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# as the evaluation job runs (engine.jobs.launch.OMP_WAIT_POLICY); set before torch loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.demo.build import DemoConfig, build_demo  # noqa: E402
from engine.llm.device import resolve_device  # noqa: E402
from engine.llm.generate import default_batch_size, generate  # noqa: E402
from engine.llm.models import load, resolve  # noqa: E402
from engine.training.snapshot import build_snapshot  # noqa: E402
from store.home import Home  # noqa: E402

DEMO_FUNDS = 150  # about 120 rated on the latest date


def _time(model, tokenizer, prompts, batch_size: int, max_new_tokens: int, repeat: int):
    best, answers = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        answers = generate(
            model, tokenizer, prompts, max_new_tokens=max_new_tokens, batch_size=batch_size
        )
        best = min(best, time.perf_counter() - began)
    return best, [text for text, _ in answers]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=64, help="prompts to answer")
    parser.add_argument(
        "--batch-size",
        type=int,
        help="prompts per batch (default: what the rating cycle's job uses for the model, 128 for"
        " the built-in tiny model)",
    )
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--prompt-style", default="compact", choices=["compact", "full"])
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home").ensure()
        build_demo(home, DemoConfig(n_funds=DEMO_FUNDS, years=5))
        rows = build_snapshot(
            home, "house", 1, splits=(1.0, 0.0, 0.0), prompt_style=args.prompt_style
        ).rows()
        prompts = list(rows["prompt"][: args.funds])
        device = resolve_device(args.device)
        folder = resolve(home, "builtin-tiny")
        batch_size = args.batch_size or default_batch_size(folder)
        model, tokenizer = load(folder, device=device)
        texts = [
            tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
            for p in prompts
        ]
        tokens = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        generate(model, tokenizer, prompts[:4], max_new_tokens=4, batch_size=4)  # warm-up
        one_s, one = _time(model, tokenizer, prompts, 1, args.max_new_tokens, args.repeat)
        batch_s, batched = _time(
            model, tokenizer, prompts, batch_size, args.max_new_tokens, args.repeat
        )
    result = {
        "funds": len(prompts),
        "prompt_style": args.prompt_style,
        "prompt_tokens_mean": round(sum(tokens) / len(tokens)),
        "max_new_tokens": args.max_new_tokens,
        "batch_size": batch_size,
        "device": device,
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "machine": platform.machine(),
        "one_at_a_time_s": round(one_s, 3),
        "batched_s": round(batch_s, 3),
        "one_at_a_time_funds_per_s": round(len(prompts) / one_s, 2),
        "batched_funds_per_s": round(len(prompts) / batch_s, 2),
        "ratio": round(one_s / batch_s, 2),
        "identical_answers": one == batched,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['funds']} funds, {args.prompt_style} prompts of "
            f"{result['prompt_tokens_mean']} tokens, {args.max_new_tokens} new tokens each, {device} "
            f"({result['torch_threads']} threads)\n"
            f"one at a time : {result['one_at_a_time_funds_per_s']:8.2f} funds/s "
            f"({one_s:.2f} s)\n"
            f"batches of {batch_size:<3}: {result['batched_funds_per_s']:8.2f} funds/s "
            f"({batch_s:.2f} s)\n"
            f"ratio         : {result['ratio']:.2f}x  identical answers: "
            f"{result['identical_answers']}"
        )
    return 0 if result["identical_answers"] else 1


if __name__ == "__main__":
    sys.exit(main())
