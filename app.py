"""The app: `streamlit run app.py`. Routes the pages (st.navigation) and draws the shared sidebar once.

Pages live in pages/ as thin files; add one by appending an st.Page to PAGES. The sidebar draws the
links to PAGES itself, so that a page switch keeps the configuration in the URL.
"""
import streamlit as st

from app_ui.sidebar import render_sidebar

st.set_page_config(page_title="Contrastive unlearning, live", page_icon=":material/blur_on:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Start", icon=":material/home:", default=True),
    st.Page("pages/unlearn.py", title="Unlearn", icon=":material/play_circle:"),
    st.Page("pages/how_it_works.py", title="How it works", icon=":material/menu_book:"),
    st.Page("pages/sweep.py", title="Sweep", icon=":material/tune:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
]

page = st.navigation(PAGES, position="hidden")
render_sidebar(PAGES)
page.run()
