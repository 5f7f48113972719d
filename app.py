"""The app: `streamlit run app.py`. Routes the pages (st.navigation) and draws the shared sidebar once.

Pages live in pages/ as thin files; add one to app_ui.shell.app_pages(). The sidebar draws the links to
the pages itself, so that a page switch keeps the configuration in the URL.
"""
import streamlit as st

from app_ui.shell import app_pages, inside_app
from app_ui.sidebar import render_sidebar
from unlearn_core.devices import configure_threads

configure_threads()     # torch's CPU threads on purpose: the cores this process may use, or $UNLEARN_THREADS

st.set_page_config(page_title="Contrastive unlearning, live", page_icon=":material/blur_on:", layout="wide")

pages = app_pages()
page = st.navigation(pages, position="hidden")
render_sidebar(pages)
with inside_app():
    page.run()
