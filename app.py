"""The app's script, served by `streamlit run serve.py` (`streamlit run app.py` runs it too, without the players'
feed route). Routes the pages (st.navigation) and draws the shared sidebar once (or, in classroom mode, no
sidebar at all).

Pages live in pages/ as thin files; add one to app_ui.shell.app_pages(). The sidebar draws the links to
the pages itself, so that a page switch keeps the configuration in the URL.
"""
import os

import streamlit as st

from app_ui.classroom import render_classroom_frame
from app_ui.shell import DESK_CSS, app_pages, inside_app
from app_ui.sidebar import current_config, render_sidebar
from app_ui.warm_up import WARM_UP
from unlearn_core.devices import THREADS_ENV, configure_threads_once

# Once per process: UMAP's code starts compiling on the other core while this first page draws (app_ui/warm_up.py).
WARM_UP.start()

# One torch thread unless $UNLEARN_THREADS says otherwise: the server runs several engines at once (recordings,
# references, other sessions), each on its own core, and a run's engine seconds are then its thread's CPU time
# (app_ui/live/recording.py), whatever else the server does. Once per process, and said before torch loads: the
# Start page imports none of the engine (issue 22), so this run may be over before anything loads torch.
configure_threads_once(None if os.environ.get(THREADS_ENV) else 1)

st.set_page_config(page_title="Contrastive unlearning, live", page_icon=":material/blur_on:", layout="wide")

pages = app_pages()
page = st.navigation(pages, position="hidden")
START_PAGE = pages[0]


def run_page() -> None:
    try:
        with inside_app():
            page.run()
    finally:
        # Once per process, after the first page is drawn (its elements are sent; on the Start page the sidebar
        # follows, well within the warm-up's grace period): prepare the first story in the background
        # (app_ui/warm_up.py). A finally: a page may end its run with st.stop or st.rerun.
        WARM_UP.page_drawn()


# One slot above every page in both modes: switching classroom mode never moves the page's elements (a moved
# player is mounted afresh, and its playback starts over at step 0).
frame = st.container()
if current_config().view.present:
    with frame:
        render_classroom_frame(page)  # classroom mode (?present=1): no sidebar, projector-sized text
    run_page()
elif page is START_PAGE:
    # The Start page before the sidebar: the browser fetches each kind of element's code as the elements arrive,
    # six files at a time, and the sidebar's widgets (about 30 files) queued the Start button's behind them. A
    # fresh server's first render (bench.first_minute --start-page): 2.9-3.6 s with the sidebar first, 1.9-2.3 s
    # with it last; a bare one-button Streamlit page 1.3-1.4 s (2 cores, load average 1.3-2.6).
    # The page reads the configuration the sidebar last left, so a change made in the sidebar redraws it.
    with frame:
        st.html(DESK_CSS)
    before = current_config()
    try:
        run_page()
    except Exception:
        render_sidebar(pages)         # the page failed: the settings that may be why stay at hand
        raise
    after = render_sidebar(pages)
    if after.view.present or after != before:
        st.rerun()
elif render_sidebar(pages).view.present:
    st.rerun()                        # switched on in the sidebar just now: draw the page without it
else:
    with frame:
        st.html(DESK_CSS)
    run_page()
