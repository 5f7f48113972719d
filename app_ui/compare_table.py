"""The Compare page's results table, streamlit-free: one row per method, every metric with its gap to the
retrain reference, Avg. Gap, time and both speed-ups, the best competing cell of each column marked.

    table, best = results_table(summarise(reports))
    st.dataframe(styled(table, best), column_config=...column_help(mode)...)

Accuracies, MIA shares and gaps are in percent, the privacy score x100; speed-ups are ratios shown in words
(unlearn_core.cost.speedup_text), and a cell with nothing to show reads as a dash, never "None".
"""
from __future__ import annotations

import pandas as pd

from unlearn_core.compare import COLUMNS
from unlearn_core.cost import speedup_text
from unlearn_core.metrics import METRIC_LABELS

BEST_STYLE = "background-color: #d4edda; font-weight: bold"
NOT_APPLICABLE = "—"                                      # a cell with nothing to show (never "None")
RATIO_COLUMNS = {"speedup": "speed-up", "flops_speedup": "FLOPs speed-up"}   # retrain over method, in words
PRIVACY_HELP = ("worst-case privacy score on D^u_tr, x100: 100 minus the strongest threshold attack (prediction "
                "entropy or confidence) telling the method's outputs from the retrain model's; higher = more "
                "private, 100 = indistinguishable from retrain")
WALL_HELP = ("wall-clock: the retrain's seconds over the method's, on this machine (maybe read from the model "
             "cache; see the note under the table); higher is better")
FLOPS_HELP = ("compute: the retrain's training FLOPs over the method's (termination tests included), the same on "
              "any machine; higher is better")


def results_table(rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(table, best-cell mask): one row per method (original and retrain reference first); per metric its
    value and its gap to retrain, in percent; Avg. Gap; time; speed-up; whether the test passed."""
    mode = rows[0]["mode"]
    records, best = [], []
    for row in rows:
        record, marks = {"method": row["title"]}, {"method": False}
        for key, header, kind in COLUMNS[mode]:
            value = row["values"].get(key)
            scale = 1 if key in RATIO_COLUMNS or key == "seconds" else 100
            name = column_name(key, header)
            record[name] = None if value is None else scale * value[0]
            marks[name] = key in row["best"] and kind != "metric"
            if kind == "metric":
                gap = row["gaps"].get(key)
                record[f"gap {header}"] = None if gap is None else 100 * gap
                marks[name] = marks[f"gap {header}"] = key in row["best"]
        record["passed test"] = NOT_APPLICABLE if row["reached"] is None else (
            "yes" if row["reached"] == row["seeds"] else "no")
        marks["passed test"] = False
        records.append(record)
        best.append(marks)
    return pd.DataFrame(records), pd.DataFrame(best)


def column_name(key: str, header: str) -> str:
    """The table's header for a summarise() key: its unit says how to read the number."""
    return {"seconds": "time (s)", "privacy_score": "privacy score (x100)", **RATIO_COLUMNS}.get(key, f"{header} (%)")


def column_help(mode: str) -> dict[str, str]:
    """What each column means and which way is good (the table's header tooltips)."""
    helps = {column_name(key, header): METRIC_LABELS[key] for key, header, kind in COLUMNS[mode]
             if key in METRIC_LABELS}
    return helps | {"privacy score (x100)": PRIVACY_HELP, "speed-up": WALL_HELP, "FLOPs speed-up": FLOPS_HELP,
                    "Avg. Gap (%)": "mean of the gaps to the retrain reference (SalUn-style): lower is better",
                    "time (s)": "this machine's wall-clock seconds, termination tests included: lower is better"}


def styled(table: pd.DataFrame, best: pd.DataFrame):
    """Best cells highlighted; speed-ups in words ("4.0x slower", never "0.3x faster"); cells with nothing to
    show (the reference rows' time) read as a dash, never "None"."""
    ratios = [c for c in RATIO_COLUMNS.values() if c in table.columns]
    return (table.style.apply(lambda _: best.replace({True: BEST_STYLE, False: ""}), axis=None)
            .format(precision=2, na_rep=NOT_APPLICABLE)
            .format(lambda v: speedup_text(v) if v == v else NOT_APPLICABLE, subset=ratios))
