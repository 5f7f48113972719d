"""The landing page: one click gets a newcomer running; the presets tell the method's stories.

It draws before the engine is loaded: nothing on its path imports torch, scikit-learn or UMAP (issue 22; a first
render on a fresh server waited seconds for torch). The work that needs them runs in the background: the estimates
(background_estimates) and the server's warm-up (warm_up). tests/test_start_page_imports.py holds it to that.
"""
from __future__ import annotations

import streamlit as st

from .classroom import present_href
from .background_estimates import ESTIMATES
from .preset_cost import preset_cost_text
from .presets import FIRST_PRESET, load_presets, preset_by_id
from .sidebar import apply_config, current_config, url_query
from .warm_up import WARM_UP

UNLEARN_PAGE = "pages/unlearn.py"
AUTORUN_KEY = "unlearn_autorun"      # set here: the Unlearn page starts running as soon as the model is ready
POLL_SECONDS = 1.0      # how often the background line updates while the warm-up or an estimate runs


def _start(preset_id: str) -> None:
    """Callback: the preset becomes the configuration and the Unlearn page starts running on arrival."""
    apply_config(preset_by_id(preset_id).apply(current_config()))
    st.session_state[AUTORUN_KEY] = True


def _go_to_unlearn() -> None:
    # A page switch clears the URL unless told otherwise: carry the configuration along.
    st.switch_page(UNLEARN_PAGE, query_params=url_query(current_config()))


def _background_work() -> None:
    """What the server prepares meanwhile (warm_up.py), redrawn every POLL_SECONDS while it or a first-visit
    estimate (background_estimates.py) runs; when both have finished, the whole page once more, with the
    estimates."""
    busy = WARM_UP.running or ESTIMATES.pending

    @st.fragment(run_every=POLL_SECONDS if busy else None)
    def line() -> None:
        if busy and not (WARM_UP.running or ESTIMATES.pending):
            st.rerun(scope="app")
        status = WARM_UP.status()
        if status:
            st.caption(status)
    line()


def render_home() -> None:
    presets = load_presets()
    # Before the background line: an estimate not computed yet is queued here, and the line then polls for it.
    costs = {preset.id: preset_cost_text(preset, current_config()) for preset in presets}
    first = preset_by_id(FIRST_PRESET)
    if st.button(f"Start: {first.title.lower()}", key="start", type="primary", icon=":material/play_arrow:",
                 on_click=_start, args=(FIRST_PRESET,)):
        _go_to_unlearn()
    st.caption("Runs on the bundled digits dataset, offline. The first visit trains the original model "
               "(a progress bar shows it); afterwards it is read from the disk cache.")
    _background_work()

    st.subheader("Stories in one click")
    for row in range(0, len(presets), 2):
        for col, preset in zip(st.columns(2), presets[row:row + 2]):
            with col.container(border=True):
                st.markdown(f"**{preset.title}**")
                st.write(preset.story)
                if costs[preset.id]:
                    st.caption(costs[preset.id])
                run_col, present_col = st.columns(2)
                if run_col.button("Open and run", key=f"open_{preset.id}", on_click=_start, args=(preset.id,)):
                    _go_to_unlearn()
                # A link, so that it can be copied to a classroom's machine: a new session reads it whole.
                present_col.link_button("Present", present_href(preset.apply(current_config())),
                                        icon=":material/co_present:",
                                        help="Open this preset in classroom mode (a new tab): no settings, "
                                             "large text and markers, the story's captions.")

    st.subheader("What to look at")
    st.markdown(
        "- **Teaching:** start with *Forget one digit*, pause half-way and scrub the timeline back: the fives "
        "leave their cluster while the other digits stay put. Then open *No CE term* and watch everything drift. "
        "On a projector, open a story with **Present**: no settings, large text, and captions at the run's key "
        "moments.\n"
        "- **Exploring:** every hyperparameter in the sidebar says what it does and what the paper uses; the "
        "URL holds the whole configuration, so a link reproduces what you saw.\n"
        "- **Checking:** hover a point for its image and prediction; the results table puts the unlearned model "
        "beside the original and a model retrained without the forget set, with the gaps and both MIA "
        "conventions labelled. Downloads give the run as JSON, the curves as CSV and the figures as HTML.")
