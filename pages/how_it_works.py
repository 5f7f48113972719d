import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.how_page import render_how_it_works

require_app_shell()
st.title("How it works")
st.markdown("The method in one page: the loss, the loop, when it stops and how the result is judged. "
            "The code shown is the engine's own, the same that runs on the Unlearn page.")
render_how_it_works()
