"""Run every benchmark under bench/ and write bench/results.json and bench/results.md.

    python -m bench            # full sizes
    python -m bench --quick    # a few minutes on 2 CPU cores
    python -m bench --only engine_digits,throughput

A benchmark is a module here with run(quick: bool) -> dict. One that fails is reported, not fatal.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import time
import traceback
from pathlib import Path

from unlearn_core.devices import configure_threads

from .common import machine

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"common", "__main__"}


def discover() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in NOT_BENCHMARKS)


def flatten(prefix: str, value, rows: list) -> None:
    """Nested figures -> (name, value) rows for the markdown table; lists of runs are left out."""
    if isinstance(value, dict):
        for key, sub in value.items():
            if key not in ("description", "machine", "runs"):
                flatten(f"{prefix}.{key}" if prefix else key, sub, rows)
    elif isinstance(value, (int, float, bool, str)) or value is None:
        rows.append((prefix, value))


def to_markdown(results: dict) -> str:
    lines = ["# Benchmark results", "", f"Machine: `{json.dumps(results['machine'])}`  ",
             f"Command: `{results['command']}`", ""]
    for name, figures in results["benchmarks"].items():
        lines += [f"## {name}", "", figures.get("description", ""), "", "| figure | value |", "|---|---|"]
        rows: list = []
        flatten("", figures, rows)
        for key, value in rows:
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            lines.append(f"| {key} | {shown} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes: a few minutes on 2 CPU cores")
    parser.add_argument("--only", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: ratios measured side by side stay steady on a shared "
                             "machine; the count is recorded with the figures)")
    args = parser.parse_args()
    threads = configure_threads(args.threads)
    names = args.only.split(",") if args.only else [n for n in discover() if n not in ("tune_digits", "gpu_cifar")]
    results = {"machine": {**machine(), "torch_threads": threads},
               "command": "python -m bench" + (" --quick" if args.quick else "")
               + (f" --only {args.only}" if args.only else "") + f" --threads {threads}", "benchmarks": {}}
    for name in names:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            figures = importlib.import_module(f"bench.{name}").run(quick=args.quick)
        except Exception as err:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            figures = {"description": f"FAILED: {type(err).__name__}: {err}"}
        figures["bench_wall_seconds"] = time.perf_counter() - start
        results["benchmarks"][name] = figures
        print(json.dumps(figures, indent=2, default=str), flush=True)
    (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (HERE / "results.md").write_text(to_markdown(results))
    print(f"wrote {HERE / 'results.json'} and {HERE / 'results.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
