"""The forget samples that the paper's membership attack still calls "member", shown as images.

    found = remembered_samples(model, prep)     # streamlit-free: indices, labels, predictions, the count
    render_member_samples(run, reference)       # the page's section: a button, then the thumbnails

The attack is the one behind the "MIA member rate" row (unlearn_core.metrics.mia_member_flags, the same
seed), so the count here equals that row's share. It needs three inference passes and an attack fit, so
it runs only when asked (a button), not after every run.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import streamlit as st

from unlearn_core.experiment import Prepared, Reference
from unlearn_core.metrics import infer, mia_member_flags

from .live.thumbnails import png_data_uri

SHOWN = 24                            # thumbnails drawn at most: enough to see a pattern, light to send
STATE_KEY = "unlearn.member_samples"  # (the Recording asked about, its RememberedSamples or None until computed)


@dataclass(frozen=True)
class RememberedSamples:
    train_index: np.ndarray   # int [K]: training-set indices of the forget samples called "member"
    labels: np.ndarray        # int [K]: their true classes
    predicted: np.ndarray     # int [K]: the unlearned model's predicted classes
    confidence: np.ndarray    # float [K]: the model's probability of the predicted class
    forget_size: int          # |D^u_tr|

    @property
    def count(self) -> int:
        return len(self.train_index)

    @property
    def rate(self) -> float:
        return self.count / self.forget_size if self.forget_size else 0.0


def remembered_samples(model, prep: Prepared) -> RememberedSamples:
    """The D^u_tr samples the paper's attack calls "member" for `model`, most confident first. Members and
    non-members as evaluate_model takes them: D^r_tr against D^r_ts (class mode) or D_ts (sample mode)."""
    split = prep.split
    remain = infer(model, prep.data, "train", split.remain_train, prep.device)
    non_member = infer(model, prep.data, "test", split.remain_test, prep.device)
    forget = infer(model, prep.data, "train", split.forget_train, prep.device)
    flags = mia_member_flags(remain, non_member, forget)
    probs = forget.probs().numpy()
    order = np.argsort(-probs.max(axis=1)[flags], kind="stable")
    return RememberedSamples(train_index=np.asarray(split.forget_train)[flags][order],
                             labels=forget.labels.numpy()[flags][order],
                             predicted=probs.argmax(axis=1)[flags][order],
                             confidence=probs.max(axis=1)[flags][order], forget_size=len(split.forget_train))


def thumbnails_html(found: RememberedSamples, prep: Prepared, limit: int = SHOWN) -> str:
    """A grid of the first `limit` samples: image (enlarged without smoothing), true label, prediction. Sized by
    style: Streamlit's markdown drops an <img>'s width and height attributes (an 8x8 digit drew at 8 px)."""
    names = prep.data.class_names
    cells = []
    for i in range(min(limit, found.count)):
        uri = png_data_uri(prep.data.train_x[int(found.train_index[i])].numpy())
        caption = (f"label {html.escape(str(names[found.labels[i]]))}<br>predicted "
                   f"{html.escape(str(names[found.predicted[i]]))} ({100 * found.confidence[i]:.0f}%)")
        cells.append(f"<figure style='margin:0;text-align:center;font-size:0.75rem'><img src='{uri}' "
                     f"style='width:64px;height:64px;object-fit:contain;image-rendering:pixelated'><figcaption>{caption}"
                     f"</figcaption></figure>")
    return ("<div class='member-samples' style='display:grid;grid-template-columns:repeat(auto-fill,"
            "minmax(84px,1fr));gap:8px'>" + "".join(cells) + "</div>")


def _ask(run) -> None:
    st.session_state[STATE_KEY] = (run, None)       # asked for this run; computed by the next draw


def render_member_samples(run, reference: Reference | None) -> None:
    """The section under the results table: one button; the thumbnails stay until the run changes."""
    st.markdown("##### Forget samples the attack still calls *member*")
    st.caption("The paper's membership attack (the **MIA member rate** row: a classifier trained to tell this "
               "model's outputs on its training data from its outputs on unseen test data) applied to each forget "
               "sample. **Lower = more forgotten**, but the target is the retrain model's rate, not 0: a model "
               "that never saw these samples still has some called member.")
    held = st.session_state.get(STATE_KEY)
    if held is None or held[0] is not run:
        # A callback, not the button's return value: the page may rerun itself (a live tick, a finished
        # job) between the click and the next draw, and a click seen only by one script run would be lost.
        st.button("Show them", key="member_samples_show", on_click=_ask, args=(run,),
                  help="Runs the attack on every forget sample (a few inference passes).")
        return
    found = held[1]
    if found is None:
        if run.model is None:
            st.info("The unlearned model is no longer held: run again to see its forget samples.")
            return
        with st.spinner("Running the attack on the forget samples"):
            found = remembered_samples(run.model, run.prep)
        st.session_state[STATE_KEY] = (run, found)
    target = reference.retrain_metrics.get("mia_member_rate") if reference is not None else None
    versus = f"; the retrain model's rate, the target: {100 * target:.1f}%" if target is not None else ""
    st.markdown(f"**{found.count} of {found.forget_size}** forget samples ({100 * found.rate:.1f}%) are still "
                f"called member{versus}." + (f" Showing the {SHOWN} the model is most confident about."
                                            if found.count > SHOWN else ""))
    if found.count:
        st.markdown(thumbnails_html(found, run.prep), unsafe_allow_html=True)
