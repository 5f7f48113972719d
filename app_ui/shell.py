"""Make sure a page runs inside app.py's shell (its st.navigation and shared sidebar).

    require_app_shell()     # first call of every pages/*.py file

Why: Streamlit still has its legacy pages/ mode. A server whose FIRST request is a deep link such as
/unlearn?lr=0.1 (a shared link) starts in that mode and runs pages/unlearn.py on its own, without
app.py: no sidebar, no URL handling, and it stays so until app.py runs once (AppTest even starts
every run in it). A page that finds itself run that way switches the process to st.navigation (the
flag that st.navigation itself clears, PagesManager.uses_pages_directory) and reruns, so app.py
routes the same URL to the same page, with everything around it.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_app_shell() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False     # what st.navigation does on its first call
        st.rerun()
