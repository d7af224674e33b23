"""Arguments of the `training` command group; the commands live in workbench/cli/training.py."""

from __future__ import annotations

import argparse


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `train` and `runs …` on the main parser."""
    p = sub.add_parser(
        "train",
        parents=[common],
        help="Create a training run (warm-up then GRPO or RLOO) and start it in the background.",
    )
    p.add_argument("--model", default="smollm2-135m", help="preset, hub id or model folder")
    p.add_argument("--methodology", metavar="ID", help="default: the active methodology")
    p.add_argument("--version", type=int, help="methodology version (default: active/latest)")
    p.add_argument("--as-of", type=date_type, help="rating date (default: the latest)")
    p.add_argument("--lang", choices=["ko", "en"], help="prompt language (default ko)")
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--algorithm", choices=["grpo", "rloo"], help="RL method after the warm-up (default grpo)"
    )
    p.add_argument("--steps", type=int, help="RL (GRPO or RLOO) steps")
    p.add_argument("--sft-steps", type=int, help="warm-up steps (0: none)")
    p.add_argument("--lr", type=float, help="GRPO learning rate")
    p.add_argument("--num-generations", type=int, help="answers per fund in a group")
    p.add_argument("--max-completion-length", type=int, help="longest answer in tokens")
    p.add_argument("--beta", type=float, help="KL penalty (0: none)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--lora", action="store_true", help="train LoRA adapters")
    p.add_argument("--thinking", action="store_true", help="Qwen3 thinking mode")
    p.add_argument(
        "--reward-weights",
        metavar="W",
        help="format,accuracy,reasoning,consistency e.g. 0.1,0.5,0.3,0.1",
    )
    p.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="any other run setting (repeatable)"
    )
    p.add_argument("--wait", action="store_true", help="block until the run ends")
    p.set_defaults(func="training:cmd_train")

    runs = sub.add_parser("runs", help="list, show, stop and resume training runs")
    rsub = runs.add_subparsers(dest="action", required=True, parser_class=type(runs))
    p = rsub.add_parser(
        "list", parents=[common], help="Every run with its state and final figures, newest first."
    )
    p.set_defaults(func="training:cmd_runs_list")
    p = rsub.add_parser(
        "show",
        parents=[common],
        help="One run: status, settings, final figures and the latest validation agreement.",
    )
    p.add_argument("run_id", metavar="ID")
    p.set_defaults(func="training:cmd_runs_show")
    p = rsub.add_parser(
        "stop",
        parents=[common],
        help="Stop a run at its next step, with a checkpoint (a queued run is cancelled).",
    )
    p.add_argument("run_id", metavar="ID")
    p.add_argument("--wait", action="store_true", help="block until it has stopped")
    p.set_defaults(func="training:cmd_runs_stop")
    p = rsub.add_parser(
        "resume", parents=[common], help="Resume a stopped or failed run from its last checkpoint."
    )
    p.add_argument("run_id", metavar="ID")
    p.add_argument("--wait", action="store_true", help="block until the run ends")
    p.set_defaults(func="training:cmd_runs_resume")
