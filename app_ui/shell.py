"""The app's frame: its pages, and the guarantee that every page runs inside app.py.

    pages = app_pages()                                    # app.py: st.navigation(pages), the sidebar...
    with inside_app():                                     # ...then the page, marked as run by app.py
        st.navigation(pages, position="hidden").run()
    require_app_shell()                                    # first call of every pages/*.py file

Why require_app_shell: Streamlit keeps a legacy mode for apps with a pages/ folder beside the entrypoint,
and a server starts in it. If the server's FIRST request is a deep link such as /unlearn?lr=0.1 (a shared
link), that mode runs pages/unlearn.py on its own, without app.py: no sidebar, no URL handling. Streamlit
leaves the mode, for every session, as soon as any session calls st.navigation (st.navigation's
reference says so). So a page that finds itself run without app.py calls st.navigation with the app's
pages, and reruns: from then on app.py routes the same URL to the same page, sidebar and all. Only
public API is used. (Renaming pages/ would avoid the legacy mode altogether, which is Streamlit's own
advice; the product keeps the name pages/, so the page files carry this one-line guard instead.)
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import streamlit as st

# Streamlit's main column starts about 6rem down (room for its header bar); 2.5rem keeps clear of the bar and
# gives a laptop's 768 px screen the map and the curves under the controls (tests/test_browser.py measures it).
DESK_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem !important; }
</style>"""

# True while app.py runs the page (set around page.run(), on the script thread of that run).
_INSIDE_APP: ContextVar[bool] = ContextVar("inside_app", default=False)


def app_pages() -> list:
    """The app's pages, in menu order; the sidebar links to them (app.py hides Streamlit's own menu)."""
    return [
        st.Page("pages/home.py", title="Start", icon=":material/home:", default=True),
        st.Page("pages/unlearn.py", title="Unlearn", icon=":material/play_circle:"),
        st.Page("pages/how_it_works.py", title="How it works", icon=":material/menu_book:"),
        st.Page("pages/sweep.py", title="Sweep", icon=":material/tune:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/side_by_side.py", title="Side by side", icon=":material/view_column:"),
    ]


@contextmanager
def inside_app() -> Iterator[None]:
    token = _INSIDE_APP.set(True)
    try:
        yield
    finally:
        _INSIDE_APP.reset(token)


def require_app_shell() -> None:
    """Run by app.py: nothing to do. Run on its own (the legacy pages/ mode): hand routing to
    st.navigation, which ends that mode for the whole server, and rerun through app.py."""
    if not _INSIDE_APP.get():
        st.navigation(app_pages(), position="hidden")
        st.rerun()
