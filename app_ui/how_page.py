"""The How-it-works page: the method explained beside the tool, with the engine's own code."""
from __future__ import annotations

import inspect

import pandas as pd
import streamlit as st

from unlearn_core import contrastive
from unlearn_core import runner
from unlearn_core.metrics import METRIC_LABELS

from .live.recording import clock_label
from .unlearn_page import MAP_EXPLAINER

# The paper's reference figures (v1, CIFAR-10), as in docs/METHOD.md.
PAPER_FIGURES = pd.DataFrame([
    ("class, ResNet-18: accuracy D^r_ts / D^u_tr / D^u_ts (%)", "86.96 / 0 / 0", "85.79 / 0 / 0"),
    ("class, ResNet-18: time (s)", "1566.36", "48.90 (32x faster)"),
    ("class, ResNet-101: time (s)", "7493.79", "139.94 (54x faster)"),
    ("sample 500, ResNet-18: accuracy D_ts / D^u_tr (%)", "84.47 / 85.60", "82.82 / 82.20"),
    ("sample 500, ResNet-18: time (min)", "41.01", "2.64 (15.5x faster)"),
    ("sample 500, ResNet-18: MIA member rate on D^u_tr (%)", "61.77", "60.88"),
], columns=["setting", "retrain", "contrastive unlearning"])


# What the two curves beside the map measure, and how to read them (figures: docs/RESULTS.md).
LEAVING_CLUSTER = (
    "A map drawn by UMAP keeps who is near whom, roughly, but not how far: two points far apart on the "
    "map may be close in the embedding space, and the other way round. So the Unlearn page measures whether "
    "the forget samples left their cluster on the embeddings themselves (L2-normalised, cosine geometry), on "
    "the probe set the map shows:\n\n"
    "- **own-class kNN share**: the share of forget samples whose 10 nearest samples are mostly of their "
    "own class: 1 when each still sits among its own kind.\n"
    "- **centroid margin**: the mean, over forget samples, of the cosine distance to their own class's "
    "centroid minus the distance to the nearest other class's centroid. Below 0 they are nearer their own "
    "class; at 0 and above, as near another class as their own.\n\n"
    "In class mode the remaining set holds none of the forget class, so the forget class's cluster is the "
    "other forget samples (leave one out: a sample is never its own neighbour). The dotted lines are the "
    "same numbers for the model retrained without the forget data: the target, not the extreme. On the "
    "default digits run (forget class 5) the fives' centroid margin goes from -0.40 to -0.02, and the "
    "retrained model, which never saw a five, puts them at -0.05: at the border with the other digits. "
    "Their kNN share hardly moves, for the retrained model too (0.95): fives still look most like other "
    "fives to any encoder; what unlearning changes is how far their group sits from the rest. With 100 "
    "random samples the retrained model barely moves them (-0.375 to -0.331) while contrastive unlearning "
    "pushes them to -0.17: further than retraining would, which the map alone would not tell "
    "(docs/RESULTS.md).")


def render_how_it_works() -> None:
    st.subheader("The task")
    st.markdown(
        "A classifier F was trained on D_tr. A user asks that a **forget set** D^u_tr be removed; the rest is the "
        "**remaining set** D^r_tr. The gold standard is a model **retrained** from scratch on D^r_tr alone. "
        "Unlearning should make F behave on D^u as if it had never seen it, keep its accuracy on the rest, and "
        "cost far less than retraining.\n\n"
        "- **class unlearning:** D^u_tr is every training sample of one class;\n"
        "- **sample unlearning:** D^u_tr is a random subset of the training set (the paper: 500 of CIFAR-10).")

    st.subheader("The loss")
    st.markdown("The embedding z is the encoder's penultimate representation, L2-normalised. Each step takes a "
                "forget batch (the anchors) and a remaining batch of the same size. For anchor i, positives "
                "P_i are remaining samples of its own label, negatives N_i those of other labels, and")
    st.latex(r"s_{ij} = \frac{z_i \cdot z_j}{\tau}")
    st.markdown("Sample mode pushes each anchor **away** from its positives and pulls it **toward** its "
                "negatives (the reverse of supervised contrastive learning):")
    st.latex(r"\ell_i = -\frac{1}{|N_i|}\sum_{a \in N_i}\Big[s_{ia} - \log \sum_{p \in P_i} e^{s_{ip}}\Big]")
    st.markdown("In class mode P_i is empty (the forget class is not in D^r), and an anchor without positives "
                "in sample mode takes the same form, so nothing computes log 0:")
    st.latex(r"\ell_i = -\frac{1}{|N_i|}\sum_{a \in N_i} s_{ia}")
    st.markdown("L_UL is the mean of the l_i; cross-entropy on the remaining batch keeps the rest classified:")
    st.latex(r"\mathcal{L} = \lambda_{UL}\,\mathcal{L}_{UL} + \lambda_{CE}\,\mathrm{CE}\big(F(X^r), Y^r\big)")
    st.markdown("The paper's finding, which the *No CE term* preset shows: the CE term keeps the remaining "
                "samples' embeddings in place, and that in turn makes the unlearning work.")

    st.subheader("The loop and when it stops")
    st.markdown(
        "For each forget batch, ω remaining batches are drawn at random (ω ≤ 4), each giving one SGD step on L; a "
        "pass over all forget batches is a **round**, at most 3. The termination test runs on small eval sets:\n"
        "- **class:** stop when Acc(F', D^u_ts) ≤ 1/C, the accuracy of a random guess over C classes;\n"
        "- **sample:** stop when Acc(F', D^u_eval) ≤ Acc(F', D^ts_eval): the forget samples look no more "
        "familiar than unseen test samples.\n\n"
        "Where this app differs from the paper's reference code: remaining batches are drawn at random (the "
        "code reuses the first ω in dataset order; the paper says random); the constant log|N_i| of the class "
        "form is left out (no gradient); the test runs every *eval every* steps rather than once a round, to "
        "draw the curves; and the digits defaults differ where the paper's values do not terminate within "
        "3 rounds (the sidebar says which and why).")

    st.subheader("How results are judged")
    st.markdown("\n".join(f"- `{key}`: {text}" for key, text in METRIC_LABELS.items()) +
                "\n- **Avg. Gap**: the mean of |metric − retrain's| over the accuracies and MIA-efficacy, as "
                "SalUn-style papers choose hyperparameters.\n- **Efficiency**: wall-clock time and the speed-up "
                "over retraining.")

    st.subheader("The paper's reference figures (v1, CIFAR-10)")
    st.dataframe(PAPER_FIGURES, hide_index=True, width="stretch")
    st.caption("Class unlearning reaches 0 forget accuracy after about 60 forget batches. The paper's Figure 1 "
               "sketches the representation space under contrastive unlearning, NegGrad and finetuning: the "
               "forget samples leave their cluster for the other classes' while the rest stay in place. The "
               "Unlearn page's map draws that picture from a live run.")

    st.subheader("What the map shows")
    st.markdown(MAP_EXPLAINER.format(points="the probe", forget="up to a fifth", k=10, clock=clock_label("cpu")))

    st.subheader("Leaving the cluster, in numbers")
    st.markdown(LEAVING_CLUSTER)

    st.subheader("The engine's code")
    st.markdown("The loss and the step function, exactly as the Unlearn page runs them "
                "(`unlearn_core/contrastive.py`):")
    st.code(inspect.getsource(contrastive.contrastive_loss), language="python")
    st.code(inspect.getsource(contrastive.contrastive_updates), language="python")
    st.markdown("The termination test (`unlearn_core/runner.py`):")
    st.code(inspect.getsource(runner.termination_test), language="python")
