"""The Unlearn page's results section, once a run has stopped: the metrics table, both costs, the utility
guard, where the forgotten samples go (class-wise accuracy, the forget samples' predictions), and the forget
samples the membership attack still calls members.

    render_results(run, reference_job(cfg.prep_key(), prepared.prep), cfg.forget.mode)

The tables and texts come from results.py (streamlit-free); this module only draws them. Cells never read
"None": columns without their model yet (the retrain reference still training) are left out until it is
ready, and rows that need the retrain (Avg. Gap, the privacy score) wait for it.
"""
from __future__ import annotations

import streamlit as st

from unlearn_core.experiment import Reference
from unlearn_core.metrics import METRIC_LABELS

from .jobs.background import Job
from .forget_figures import class_accuracy_figure, destinations_text, forget_confusion_figure
from .jobs.progress import wait_for_job
from .jobs.resources import retry_reference
from .live.recording import Recording
from .member_samples import render_member_samples
from .results import cost_markdown, guard_message, metrics_table, unlearned_metrics, where_forgotten


def _percent(label: str, help_text: str):
    return st.column_config.NumberColumn(label, format="%.2f", help=help_text)


COLUMNS = {
    "original": _percent("original %", "The model before unlearning."),
    "unlearned": _percent("unlearned %", "After this run."),
    "retrain": _percent("retrain %", "Retrained from scratch without the forget set: the target."),
    "gap to retrain": _percent("gap (points)", "|unlearned − retrain|, in percentage points"),
    "in Avg. Gap": st.column_config.CheckboxColumn("in Avg. Gap", width="small"),
    "meaning": st.column_config.TextColumn("what it means, and which way is good", width="large"),
}


def render_results(run: Recording, ref_job: Job, mode: str) -> None:
    final = run.final
    st.subheader("Results")
    message = guard_message(final)
    if message is not None:
        st.warning(message)
    if final.metrics is None:
        return
    reference = ref_job.result if ref_job.ok else None
    table = metrics_table(unlearned_metrics(final, reference), reference.original_metrics if reference else None,
                          reference.retrain_metrics if reference else None, mode).dropna(axis=1, how="all")
    st.dataframe(table, hide_index=True, width="stretch", column_config=COLUMNS, key="results_table")
    st.caption("MIA member rate (the paper's convention): " + METRIC_LABELS["mia_member_rate"].split(": ", 1)[1] +
               ". MIA-efficacy (SalUn's convention, its complement): " +
               METRIC_LABELS["mia_efficacy"].split(": ", 1)[1] + ". Both are shares of the forget set D^u_tr. "
               "Privacy score (x100): 100 minus the strongest threshold attack (on prediction entropy or "
               "confidence) telling this model's outputs on D^u_tr from the retrain model's; higher = more "
               "private, 100 = indistinguishable from retrain (docs/COMPARE.md).")
    if reference is not None:
        st.markdown(cost_markdown(final, reference))
    elif ref_job.done:
        st.error(f"The retrain reference is not available: {ref_job.why_not_ok}")
        st.button("Try again", key="reference_retry", on_click=retry_reference, args=(ref_job,),
                  help="Retrain the reference (for every session waiting for it).")
    else:
        st.caption("The original and retrain columns, the privacy score and the cost against retraining fill in "
                   "when the retrain reference is ready (it runs in the background; it is cached for next time).")
        wait_for_job(ref_job, "Retrain reference")
        return
    _where_forgotten(run, reference)
    render_member_samples(run, reference)


def _where_forgotten(run: Recording, reference: Reference) -> None:
    split, names = run.prep.split, run.prep.data.class_names
    st.markdown("##### Where the forgotten samples go")
    with st.spinner("Measuring every class on the test set"):
        where = where_forgotten(run, reference)
    st.plotly_chart(class_accuracy_figure(where["class_accuracy"], names, split.forget_class), width="stretch",
                    key="class_accuracy_chart")
    if split.mode == "class":
        st.caption(f"Accuracy on each class of the whole test set: the forget class ({names[split.forget_class]}) "
                   "should fall to the retrain model's 0, and every other class stay where the original had it.")
    else:
        st.caption("Accuracy on each class of the whole test set: forgetting some training samples should leave "
                   "every class about where the original and the retrain model have it.")
    confusion = where["forget_confusion"]
    zmax = max(max(max(row) for row in matrix) for matrix in confusion.values()) or 1
    columns = st.columns(2)
    for column, (name, title) in zip(columns, (("unlearned", "Unlearned model"), ("retrain", "Retrain model"))):
        with column:
            st.plotly_chart(forget_confusion_figure(confusion[name], names, f"{title}: forget samples D^u_tr", zmax),
                            width="stretch", key=f"forget_confusion_{name}")
            st.markdown(destinations_text(confusion[name], names, f"the {name} model"))
    st.caption("Counts of the forget samples by true class (rows) and the class the model now predicts (columns). "
               "Contrastive unlearning pushes each forget sample towards the classes it already resembles, as a "
               "model that never saw it would place it: compare with the retrain model's row(s).")
