"""What a finished (or running) run gives back: the metrics table, the JSON report, the CSV, the HTML.

    metrics_table(run.final.metrics, reference, mode)     # pandas DataFrame, in percent
    cost_markdown(run.final, reference)                   # FLOPs and wall-clock against retraining, in words
    guard_message(run.final)                              # the utility guard's warning, or None
    report_json(rec, reference, cfg)                      # the CLI's report object (+ "app_config", "where_forgotten")
    where_forgotten(rec, reference)                       # class-wise accuracy and the forget samples' predictions
    curves_csv(rec)                                       # one row per step
    player_html(prepared, rec)                            # one self-contained page: the player, every frame

No Streamlit here: the page offers these through st.download_button with deferred data.
"""
from __future__ import annotations

import html
import json
import threading
import weakref
from pathlib import Path

import pandas as pd
import plotly

from unlearn_core import Step, class_outcome
from unlearn_core.cost import run_cost, speedup_text
from unlearn_core.experiment import Reference, build_report, forget_privacy
from unlearn_core.leaving_cluster import embedding_measures
from unlearn_core.metrics import GAP_KEYS, METRIC_KEYS, METRIC_LABELS, gaps_to_retrain, infer

from .app_config import AppConfig
from .classroom import Presentation
from .live.payload import Lane, player_data
from .live.prepared_map import PreparedMap
from .live.recording import Recording

PLAYER_SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "player.js"

# Short row names; the long meaning (with the direction that is good) comes from METRIC_LABELS.
ROW_NAMES = {
    "remain_test_acc": "Acc D^r_ts (remaining, test)", "forget_test_acc": "Acc D^u_ts (forget class, test)",
    "remain_train_acc": "Acc D^r_tr (remaining, train)", "forget_train_acc": "Acc D^u_tr (forget set)",
    "test_acc": "Acc D_ts (test set)", "mia_member_rate": "MIA member rate (paper)",
    "mia_efficacy": "MIA-efficacy (SalUn)", "privacy_score": "Privacy score x100 (worst case vs retrain)",
    "avg_gap": "Avg. Gap to retrain",
}


def unlearned_metrics(final: Step, reference: Reference | None) -> dict:
    """The closing Step's metrics, with the privacy score once the retrain reference is there (it compares
    the forget set's outputs of both models; the Step keeps the unlearned model's)."""
    return {**final.metrics, "privacy_score": forget_privacy(reference, final.forget_outputs) if reference else None}


def metrics_table(unlearned: dict, original: dict | None, retrain: dict | None, mode: str) -> pd.DataFrame:
    """Rows: the metrics that apply to the mode, then Avg. Gap; values in percent. Columns without their
    model yet (the retrain reference still training) hold None."""
    rows = []
    gaps = {"unlearned": gaps_to_retrain(unlearned, retrain, mode) if retrain else {},
            "original": gaps_to_retrain(original, retrain, mode) if retrain and original else {}}
    for key in METRIC_KEYS:
        if unlearned.get(key) is None:
            continue
        pct = lambda d: None if d is None or d.get(key) is None else 100 * d[key]  # noqa: E731
        gap = abs(unlearned[key] - retrain[key]) if retrain and retrain.get(key) is not None else None
        rows.append({"metric": ROW_NAMES[key], "original": pct(original), "unlearned": pct(unlearned),
                     "retrain": pct(retrain), "gap to retrain": None if gap is None else 100 * gap,
                     "in Avg. Gap": key in GAP_KEYS[mode], "meaning": METRIC_LABELS[key]})
    avg = lambda name: None if gaps[name].get("avg_gap") is None else 100 * gaps[name]["avg_gap"]  # noqa: E731
    # Avg. Gap is itself a gap to retrain: its "gap" cell repeats it rather than showing an empty cell. Without
    # the retrain there is no gap at all: the row waits for it rather than showing an empty "unlearned" cell.
    if retrain:
        rows.append({"metric": ROW_NAMES["avg_gap"], "original": avg("original"), "unlearned": avg("unlearned"),
                     "retrain": 0.0, "gap to retrain": avg("unlearned"), "in Avg. Gap": False,
                     "meaning": "mean of the gaps marked 'in Avg. Gap' (SalUn-style): lower is better"})
    return pd.DataFrame(rows).astype({c: float for c in ("original", "unlearned", "retrain", "gap to retrain")})


def cost_markdown(final: Step, reference: Reference) -> str:
    """Both costs of the run against retraining, in words: FLOPs (the same on any machine) and wall-clock
    seconds (this machine's; the retrain's maybe read from the model cache, which it says)."""
    c = run_cost(final, reference)
    return (f"**Compute:** unlearning {c['unlearn_flops']:.3g} FLOPs ({final.step} steps, termination tests "
            f"included) against the retrain's {c['retrain_flops']:.3g}: **{speedup_text(c['flops_speedup'])}** "
            f"(FLOPs: the same on any machine).  \n**Wall-clock:** unlearning {c['unlearn_seconds']:.2f} s against "
            f"the retrain's {c['retrain_seconds']:.2f} s: **{speedup_text(c['wall_speedup'])}** (the retrain's "
            f"time was {c['retrain_seconds_source']}; this machine's seconds, which other work on it can "
            f"stretch).")


def guard_message(final: Step) -> str | None:
    """The utility guard's warning when it tripped (the stop reason carries the same words), else None."""
    guard = final.utility_guard
    if not guard or not guard.get("tripped"):
        return None
    what = ROW_NAMES.get(guard["key"], guard["key"])
    return (f"Utility guard: {what} fell {100 * guard['drop']:.1f} points below the original's (margin "
            f"{100 * guard['margin']:.0f} points), measured on the eval set. The run may have forgotten, but it "
            f"damaged what it should keep: try a lower learning rate or keep the CE term.")


def report_json(rec: Recording, reference: Reference, cfg: AppConfig) -> str:
    """The CLI's report (unlearn_core.experiment.build_report) for this run, plus the app's URL settings."""
    report = build_report(rec.prep, rec.evaluated, reference, model=rec.model)  # evaluated ends with the last Step
    # The shared reference measured the retrain on the probe set of whichever session built it first; this
    # run's map may have another point count, so the target is measured on this run's own probe set.
    report["embedding"]["retrain"] = embedding_measures(reference.retrain.model, rec.prep.data, rec.prep.split,
                                                        rec.prep.device)
    report["where_forgotten"] = where_forgotten(rec, reference)
    report["app_config"] = cfg.to_query()      # open the app with these URL parameters to see this run again
    return json.dumps(report, indent=2)


# where_forgotten's results per run (with the reference they were measured against). The page and the JSON
# download (built on another thread) share them, and the lock keeps two inference passes off the unlearned
# model at once: infer() switches a model to eval mode and back, which a concurrent pass would undo midway.
_WHERE_FORGOTTEN: "weakref.WeakKeyDictionary[Recording, tuple[Reference, dict]]" = weakref.WeakKeyDictionary()
_WHERE_FORGOTTEN_LOCK = threading.Lock()


def where_forgotten(rec: Recording, reference: Reference) -> dict:
    """The report's "where_forgotten" (unlearn_core.class_outcome.where_forgotten): test accuracy per class of
    the original, unlearned and retrain models, and the forget samples' true-vs-predicted counts for the
    unlearned and retrain models. Five inference passes, made once per run and reference."""
    with _WHERE_FORGOTTEN_LOCK:
        held = _WHERE_FORGOTTEN.get(rec)
        if held is None or held[0] is not reference:
            prep = rec.prep
            models = {"original": prep.original.model, "unlearned": rec.model, "retrain": reference.retrain.model}
            test = {name: class_outcome.test_outputs(model, prep.data, prep.device) for name, model in models.items()}
            forget = {name: infer(models[name], prep.data, "train", prep.split.forget_train, prep.device)
                      for name in ("unlearned", "retrain")}
            held = reference, class_outcome.where_forgotten(test, forget, prep.split.num_classes)
            _WHERE_FORGOTTEN[rec] = held
        return held[1]


def curves_csv(rec: Recording) -> str:
    """One row per step: the loss terms, and where evaluated the eval accuracies, the termination test and
    the leaving-the-cluster numbers (own_class_knn, centroid_margin)."""
    losses = pd.DataFrame(rec.losses, columns=["step", "round", "L_UL", "L_CE", "total"])
    evals = pd.DataFrame([{"step": s.step, "seconds": s.seconds, "engine_cpu_seconds": s.cpu_seconds, **(s.eval or {}),
                           "termination_value": s.termination.value if s.termination else None,
                           "termination_threshold": s.termination.threshold if s.termination else None,
                           "termination_fired": s.termination.fired if s.termination else None,
                           **(s.embedding or {})}
                          for s in rec.evaluated])
    table = losses.merge(evals, on="step", how="outer") if len(evals) else losses
    return table.sort_values("step").to_csv(index=False)


def player_html(prepared: PreparedMap, rec: Recording, look: Presentation = Presentation()) -> str:
    """One self-contained page: the app's own player (assets/player.js) with every frame of the run inside and
    plotly.js inlined, so it plays offline: Run, Step, Replay, the speed, the timeline, hover images."""
    lanes = [Lane(rec, "Contrastive", rec.exp.method)]
    data = player_data(prepared, lanes, look, {"static": None, "lanes": {}, "served": 0}, target=None)
    data["standalone"] = True
    plotly_js = (Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js").read_text()
    title = f"Contrastive unlearning: {rec.exp.data.dataset}, {rec.prep.split.mode} mode, step {rec.step}"
    blob = json.dumps(data).replace("</", "<\\/")          # nothing in the data may close the script element
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>\n"
            f"<body style='font-family:sans-serif;margin:1rem 2rem'>\n<h2>{html.escape(title)}</h2>\n"
            f"<p>{html.escape(rec.final.stop_reason if rec.final else 'run not finished')}</p>\n"
            f"<div id='player'></div>\n<script>{plotly_js}</script>\n<script>{PLAYER_SCRIPT.read_text()}\n"
            f"unlearnMountPlayer(document.getElementById('player'), {blob});\n</script>\n</body></html>\n")
