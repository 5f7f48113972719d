"""The file `compare --out F.json` writes, rewritten after every finished run, and read back by `--resume`.

    {"runs": [report, ...],            # finished runs, one run report per (seed, method), in planned order
     "tuning": [...],                  # --tune's choices per method ([] untuned)
     "complete": false,                # true only once every planned run is in "runs"
     "planned": [{"seed": 0, "method": "contrastive"}, ...],   # every (seed, method) pair of the comparison
     "data": {"dataset": ..., "split_seed": ..., "train_size": ...}}   # what the reports do not record

    data = read_compare_file("F.json")         # UserInputError (one line) unless it is a compare file
    done = finished_pairs(data)                # {(seed, method): report}

A reader tells a partial file from a finished one by "complete". Files written before "complete" existed
hold only "runs" and "tuning" (always finished ones); they read back too. JSON only: nothing here imports the
engine, so the CLI refuses a wrong file before torch loads.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from .errors import UserInputError

# The keys every run report has that --resume needs to tell what experiment it belongs to (experiment.build_report).
REPORT_KEYS = ("method", "seed", "dataset", "model", "mode", "forget", "hyperparameters", "train", "metrics")


def planned_pairs(seeds: Sequence[int], methods: Sequence[str]) -> list[tuple[int, str]]:
    """Every (seed, method) pair in the order compare runs them: seed by seed, methods in the given order."""
    return [(seed, method) for seed in seeds for method in methods]


def compare_file(reports: Sequence[dict], planned: Sequence[tuple[int, str]], tuning: Sequence[dict],
                 data: dict | None = None) -> dict:
    """The file's object; "complete" is true when every planned pair has its report."""
    have = {(r["seed"], r["method"]) for r in reports}
    obj = {"runs": list(reports), "tuning": list(tuning), "complete": all(p in have for p in planned),
           "planned": [{"seed": seed, "method": method} for seed, method in planned]}
    if data is not None:
        obj["data"] = data
    return obj


def read_compare_file(path: str | Path) -> dict:
    """The compare file at `path`, checked for its shape; UserInputError (one line) when it cannot be read or is
    not a compare file (another command's JSON, a hand-edited one, two reports for one seed and method)."""
    path = Path(path)

    def refuse(why: str) -> UserInputError:
        return UserInputError(f"cannot resume from {path}: {why}")

    try:
        data = json.loads(path.read_text())
    except OSError as err:
        raise refuse(err.strerror or str(err)) from None
    except (UnicodeDecodeError, ValueError):
        raise refuse("it is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise refuse('it is not a compare file (no "runs" list; `run --out` and sweep files cannot be resumed)')
    seen = set()
    for report in data["runs"]:
        if not isinstance(report, dict) or any(k not in report for k in REPORT_KEYS):
            raise refuse('it is not a compare file (an entry of "runs" is not a run report)')
        pair = (report["seed"], report["method"])
        if pair in seen:
            raise refuse(f"it holds two runs of seed {pair[0]} {pair[1]}")
        seen.add(pair)
    if not isinstance(data.get("tuning", []), list):
        raise refuse('it is not a compare file ("tuning" is not a list)')
    return data


def finished_pairs(data: dict) -> dict[tuple[int, str], dict]:
    """{(seed, method): report} of the runs a compare file holds."""
    return {(r["seed"], r["method"]): r for r in data["runs"]}
