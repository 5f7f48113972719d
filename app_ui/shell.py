"""Make sure a page runs inside app.py's shell (its st.navigation and shared sidebar).

    require_app_shell()     # first line of every pages/*.py file (after importing streamlit)

Why: Streamlit still has its legacy pages/ mode. A server whose FIRST request is a deep link such as
/unlearn?lr=0.1 (a shared link) starts in that mode and runs pages/unlearn.py on its own, without
app.py: no sidebar, no URL handling, and it stays so for the whole process until app.py runs once.
A page that finds itself run that way switches the process to st.navigation (the flag Streamlit's
own st.navigation sets, PagesManager.uses_pages_directory) and reruns, so app.py routes the same
URL to the same page with everything around it.
"""
from __future__ import annotations

import streamlit as st

SHELL_KEY = "app_shell_active"      # set by app.py before it runs the page


def mark_app_shell() -> None:
    st.session_state[SHELL_KEY] = True


def require_app_shell() -> None:
    if st.session_state.get(SHELL_KEY):
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False     # what st.navigation does on its first call
    st.rerun()
