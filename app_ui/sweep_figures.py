"""The Sweep page's figures and tables, streamlit-free (plotly express over the results table).

    parallel_figure(table)     # one line per finished trial: searched settings, then the outcomes
    pareto_figure(table)       # forget vs utility accuracy; the Pareto front, original and retrain marked
    trials_view(table)         # the trials as the page lists them, with a link to the Unlearn page
"""
from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pandas as pd
import plotly.express as px

from unlearn_core import DataConfig, Experiment, ForgetConfig, ModelConfig, UnlearnConfig, settings
from unlearn_core.sweep import SETTINGS, UTILITY_METRIC, finished_trials, pareto_front, trials

UNLEARN_PAGE = "unlearn"      # url_path of the Unlearn page in app.py's navigation (pages/unlearn.py)
# Table column -> the setting whose URL key carries it (the column names follow the CLI's, not the fields').
URL_SETTINGS = {"dataset": (DataConfig, "dataset"), "model": (ModelConfig, "name"), "mode": (ForgetConfig, "mode"),
                "forget_class": (ForgetConfig, "forget_class"), "forget_count": (ForgetConfig, "count"),
                "forget_indices": (ForgetConfig, "indices"), "seed": (ForgetConfig, "seed"),
                "device": (Experiment, "device"), **{name: (UnlearnConfig, name) for name in SETTINGS if name != "seed"}}


def searched_columns(table: pd.DataFrame) -> list[str]:
    """The settings that vary between trials (the seed last, as SETTINGS orders them)."""
    t = trials(table)
    return [c for c in SETTINGS if t[c].nunique(dropna=True) > 1]


def trial_link(row: pd.Series) -> str:
    """A relative link to the Unlearn page with the trial's whole configuration, in the settings' URL keys."""
    query = {}
    for column, (cls, name) in URL_SETTINGS.items():
        s = next(s for s in settings(cls) if s.name == name)
        value = row[column]
        if s.url == "-" or value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            continue
        value = tuple(int(i) for i in str(value).split(",")) if s.kind is tuple else s.kind(value)
        query[s.url] = s.format(value)
    return f"{UNLEARN_PAGE}?{urlencode(query)}"


def trials_view(table: pd.DataFrame) -> pd.DataFrame:
    """The trials as the page lists them: settings, outcome, metrics (percent), and the link."""
    t = trials(table)
    mode = str(t["mode"].iloc[0])
    view = pd.DataFrame({"trial": t["trial"].astype(int), "status": t["status"]})
    for c in searched_columns(table) or ["seed"]:
        view[c] = t[c]
    view["steps"] = t["steps"]
    view["Avg. Gap %"] = 100 * t["avg_gap"]
    view["forget-train acc %"] = 100 * t["forget_train_acc"]
    view[f"{UTILITY_METRIC[mode].removesuffix('_acc')} acc %"] = 100 * t[UTILITY_METRIC[mode]]
    view["MIA-efficacy %"] = 100 * t["mia_efficacy"]
    view["seconds"], view["speed-up"] = t["seconds"], t["speedup"]
    view["open"] = [trial_link(row) for _, row in t.iterrows()]
    return view.reset_index(drop=True)


def _percent(frame: pd.DataFrame, utility: str) -> pd.DataFrame:
    return frame.assign(**{"Avg. Gap %": 100 * frame["avg_gap"], "forget-train acc %": 100 * frame["forget_train_acc"],
                           f"{utility} %": 100 * frame[utility]})


def parallel_figure(table: pd.DataFrame):
    """One line per finished trial across the searched settings, then Avg. Gap, forget and utility accuracy
    and time; coloured by Avg. Gap (dark: closer to retrain). Learning rates on a log axis (log10)."""
    utility = UTILITY_METRIC[str(table["mode"].iloc[0])]
    done = _percent(finished_trials(table), utility)
    dims = []
    for c in searched_columns(table):
        if c == "lr":
            done = done.assign(**{"log10 lr": np.log10(done["lr"].astype(float))})
            c = "log10 lr"
        dims.append(c)
    fig = px.parallel_coordinates(done, dimensions=[*dims, "Avg. Gap %", "forget-train acc %", f"{utility} %",
                                                    "seconds"], color="Avg. Gap %",
                                  color_continuous_scale=px.colors.sequential.Viridis_r)
    fig.update_layout(title=f"{len(done)} finished trials (lower Avg. Gap: closer to retrain)", height=440,
                      margin=dict(l=60, r=40, t=100, b=30))
    return fig


def pareto_figure(table: pd.DataFrame):
    """Forget-train accuracy against utility accuracy: the Pareto front over (distance of forget accuracy to
    retrain's, drop of utility below retrain's, seconds), the dominated trials, and the two references."""
    utility = UTILITY_METRIC[str(table["mode"].iloc[0])]
    front = pareto_front(table)
    front = front.assign(point=np.where(front["on_front"].astype(bool), "on the Pareto front", "dominated"))
    refs = table[table["kind"].isin(["original", "retrain"])].assign(point=lambda d: d["kind"])
    points = _percent(pd.concat([front, refs], ignore_index=True), utility)
    fig = px.scatter(points, x="forget-train acc %", y=f"{utility} %", color="point", symbol="point",
                     hover_data={"trial": True, "seed": True, "status": True, "seconds": ":.2f", "Avg. Gap %": ":.2f",
                                 "point": False},
                     category_orders={"point": ["on the Pareto front", "dominated", "retrain", "original"]},
                     color_discrete_map={"on the Pareto front": "#2ca02c", "dominated": "#bbbbbb",
                                         "retrain": "#d62728", "original": "#1f77b4"})
    fig.update_traces(marker=dict(size=12))
    target = "retrain's (red)" if str(table["mode"].iloc[0]) == "sample" else "0, as retrain's"
    fig.update_layout(title="Pareto front: forget accuracy vs utility accuracy vs time", height=460,
                      xaxis_title=f"forget-train accuracy % (target: {target})",
                      yaxis_title=f"{utility} % (higher is better)", legend_title_text="")
    return fig
