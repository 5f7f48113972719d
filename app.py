"""The app: `streamlit run app.py`. Routes the pages (st.navigation) and draws the shared sidebar once
(or, in classroom mode, no sidebar at all).

Pages live in pages/ as thin files; add one to app_ui.shell.app_pages(). The sidebar draws the links to
the pages itself, so that a page switch keeps the configuration in the URL.
"""
import streamlit as st

from app_ui.classroom import render_classroom_frame
from app_ui.shell import app_pages, inside_app
from app_ui.sidebar import current_config, render_sidebar
from unlearn_core.devices import configure_threads

configure_threads()     # torch's CPU threads on purpose: the cores this process may use, or $UNLEARN_THREADS

st.set_page_config(page_title="Contrastive unlearning, live", page_icon=":material/blur_on:", layout="wide")

pages = app_pages()
page = st.navigation(pages, position="hidden")
if current_config().view.present:
    render_classroom_frame(page)      # classroom mode (?present=1): no sidebar, projector-sized text
elif render_sidebar(pages).view.present:
    st.rerun()                        # switched on in the sidebar just now: draw the page without it
with inside_app():
    page.run()
