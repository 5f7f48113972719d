"""The results table of a sweep: one row per trial and per seed's references; best trial, front, summary.

    table = run_sweep(exp, spec)                   # or read_table("sweep.csv")
    best, note = best_trial(table)                 # OBJECTIVE, or the best finished trial (note says so)
    front = pareto_front(table)                    # finished trials + forget_gap, utility_loss, on_front
    config_summary(table)                          # mean and std over seeds, per configuration (pandas groupby)
    write_table(table, "sweep.csv")                # .csv or .parquet, all or nothing

Columns never change with the search or the mode (TABLE_COLUMNS, documented in docs/SWEEPS.md): every
searchable setting of every trial, so a row reproduces its run (`run_command(row)`).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..configs import DataConfig, ForgetConfig, ModelConfig, UnlearnConfig, config_dict
from ..errors import UserInputError
from ..files import write_atomic
from ..metrics import METRIC_KEYS, gaps_to_retrain
from ..settings import settings
from ..steps import Outcome
from .options import TABLE_SUFFIXES, check_table_path
from .space import SETTINGS

EXPERIMENT_COLUMNS = ("method", "dataset", "model", "mode", "forget_class", "forget_count", "forget_indices",
                      "forget_size", "device")
TABLE_COLUMNS = ("kind", "trial", "status", *SETTINGS, "outcome", "stop_reason", "terminated", "steps", "seconds",
                 "speedup", "eval_gap", *METRIC_KEYS, "avg_gap", "error", *EXPERIMENT_COLUMNS)
TERMINATED, NOT_TERMINATED, STOPPED_EARLY, ERROR, REFERENCE = (
    "terminated", "not terminated", "stopped early", "error", "reference")
OBJECTIVE = "smallest Avg. Gap to retrain among trials that terminated by the paper's rule (ties: faster)"
UTILITY_METRIC = {"class": "remain_test_acc", "sample": "test_acc"}     # what is kept, per mode (docs/METHOD.md)


def results_table(frame: pd.DataFrame, exp, references: dict, original_seconds: float,
                  forget_size: int) -> pd.DataFrame:
    """The table from Tune's frame (ResultGrid.get_dataframe(), one row per trial: its last report and
    `config/...`) and the references by seed. Trials are numbered by trial id, which Tune gives in launch
    order (prefix_00000, prefix_00001, ...): the numbers of the dry run."""
    base, mode = exp.unlearn_config(), exp.forget.mode
    rows = []
    for i, r in enumerate(frame.sort_values("trial_id").to_dict("records")):
        config = config_dict(replace(base, **{k[7:]: _py(v) for k, v in r.items() if k.startswith("config/")}))
        error, final = _text(r.get("error")), _true(r.get("final"))
        status = (ERROR if error else STOPPED_EARLY if not final
                  else TERMINATED if r.get("outcome") == Outcome.TERMINATED.value else NOT_TERMINATED)
        rows.append({**{k: r.get(k) for k in TABLE_COLUMNS if k in r}, "kind": "trial", "trial": i, "status": status,
                     **{k: config[k] for k in SETTINGS}, "terminated": status == TERMINATED, "steps": r.get("step"),
                     "error": error, **({} if final else {k: None for k in (*METRIC_KEYS, "avg_gap", "speedup")})})
    for seed, ref in sorted(references.items()):
        for kind, metrics, seconds in (("original", ref.original_metrics, original_seconds),
                                       ("retrain", ref.retrain_metrics, ref.retrain.seconds)):
            rows.append({"kind": kind, "status": REFERENCE, "seed": seed, "seconds": seconds,
                         "avg_gap": gaps_to_retrain(metrics, ref.retrain_metrics, mode)["avg_gap"],
                         **{k: metrics.get(k) for k in METRIC_KEYS}})
    forget = exp.forget
    common = {"method": exp.method, "dataset": exp.data.dataset, "model": exp.model.name, "mode": mode,
              "forget_class": forget.forget_class if mode == "class" else None,
              "forget_count": forget.count if mode == "sample" and not forget.indices else None,
              "forget_indices": ",".join(map(str, forget.indices)) if mode == "sample" else "",
              "forget_size": forget_size, "device": exp.device}
    table = pd.DataFrame([{**common, **row} for row in rows], columns=list(TABLE_COLUMNS))
    return _typed(table)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns as nullable integers: the reference rows leave them empty, and CSV would print 4.0."""
    ints = ["trial", "steps", *(s.name for s in settings(UnlearnConfig) if s.kind is int and s.name in SETTINGS)]
    return table.astype({c: "Int64" for c in ints})


def _py(value):
    return value.item() if isinstance(value, np.generic) else value


def _true(value) -> bool:
    return bool(value) if value is not None and not (isinstance(value, float) and np.isnan(value)) else False


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def trials(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["kind"] == "trial"]


def finished_trials(table: pd.DataFrame) -> pd.DataFrame:
    t = trials(table)
    return t[t["status"].isin([TERMINATED, NOT_TERMINATED]) & t["avg_gap"].notna()]


def best_trial(table: pd.DataFrame) -> tuple[pd.Series | None, str]:
    """(the best row, a note): OBJECTIVE; without a terminated trial, the best finished one, said so."""
    done = finished_trials(table)
    terminated = done[done["status"] == TERMINATED]
    pool, note = (terminated, OBJECTIVE) if len(terminated) else (
        done, "no trial terminated by the paper's rule: smallest Avg. Gap among the trials that finished")
    if not len(pool):
        return None, "no trial finished"
    return pool.sort_values(["avg_gap", "seconds"], kind="stable").iloc[0], note


def config_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration (every setting but the seed): shares and means over its seeds."""
    t = trials(table).assign(is_terminated=lambda d: d["status"] == TERMINATED)
    summary = t.groupby([c for c in SETTINGS if c != "seed"], dropna=False, sort=False).agg(
        seeds=("seed", "nunique"), terminated_share=("is_terminated", "mean"), finished=("avg_gap", "count"),
        avg_gap_mean=("avg_gap", "mean"), avg_gap_std=("avg_gap", "std"), seconds_mean=("seconds", "mean"))
    return summary.reset_index().sort_values(["terminated_share", "avg_gap_mean"], ascending=[False, True],
                                             kind="stable")


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """True for rows no other row dominates (<= in every column, < in one); every column is minimised."""
    values = np.asarray(values, dtype=float)
    below = (values[:, None, :] <= values[None, :, :]).all(-1) & (values[:, None, :] < values[None, :, :]).any(-1)
    return ~below.any(axis=0)          # below[j, i]: row j dominates row i


def pareto_front(table: pd.DataFrame) -> pd.DataFrame:
    """The finished trials with the front's objectives, all minimised: forget_gap = |forget-train accuracy -
    retrain's|, utility_loss = retrain's utility accuracy - the trial's, seconds; and `on_front`."""
    done = finished_trials(table).copy()
    retrain = table[table["kind"] == "retrain"].set_index("seed")
    utility = UTILITY_METRIC[str(table["mode"].iloc[0])]
    done["forget_acc"], done["utility_acc"] = done["forget_train_acc"], done[utility]
    done["forget_gap"] = (done["forget_acc"] - done["seed"].map(retrain["forget_train_acc"])).abs()
    done["utility_loss"] = done["seed"].map(retrain[utility]) - done["utility_acc"]
    done["on_front"] = pareto_mask(done[["forget_gap", "utility_loss", "seconds"]].to_numpy(float))
    return done


def run_command(row) -> str:
    """The `python -m unlearn_core run` command that reproduces a trial row (flags from the settings)."""
    named = {s.name: s for cls in (DataConfig, ModelConfig) for s in settings(cls)}
    forget = {s.name: s for s in settings(ForgetConfig)}
    args = [named["dataset"].flag, str(row["dataset"]), named["name"].flag, str(row["model"]),
            forget["mode"].flag, str(row["mode"])]
    if row["mode"] == "class":
        args += [forget["forget_class"].flag, str(int(row["forget_class"]))]
    elif isinstance(row["forget_indices"], str) and row["forget_indices"]:
        args += [forget["indices"].flag, row["forget_indices"]]
    else:
        args += [forget["count"].flag, str(int(row["forget_count"]))]
    args += [forget["seed"].flag, str(int(row["seed"])), "--device", str(row["device"])]
    for s in settings(UnlearnConfig):
        if s.name in row and s.flag != "-":
            args += [s.flag, s.format(s.kind(row[s.name]))]
    return "python -m unlearn_core run " + " ".join(args)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """CSV or parquet by the file's suffix, all or nothing (files.write_atomic)."""
    path = Path(path)
    check_table_path(path)
    if path.suffix == ".parquet":
        return write_atomic(path, lambda f: table.to_parquet(f, index=False))
    return write_atomic(path, lambda f: table.to_csv(f, index=False), text=True)


def read_table(source) -> pd.DataFrame:
    """A results file written by `write_table` (a path, or an uploaded file with a .name)."""
    name = str(source) if isinstance(source, (str, Path)) else str(getattr(source, "name", source))
    if not name.endswith(TABLE_SUFFIXES):
        raise UserInputError(f"{name}: a sweep results file is .csv or .parquet")
    try:
        table = pd.read_parquet(source) if name.endswith(".parquet") else pd.read_csv(source)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise UserInputError(f"cannot read {name}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") \
            from None
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise UserInputError(f"{name} is not a sweep results file: missing column {missing[0]!r}")
    if not (table["kind"] == "trial").any():
        raise UserInputError(f"{name} holds no trials")
    table = _typed(table)
    table["terminated"] = table["terminated"].astype(str).str.lower().eq("true")
    table["forget_indices"] = table["forget_indices"].fillna("").astype(str)
    return table
