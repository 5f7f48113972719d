import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.compare_page import render_compare

require_app_shell()
st.title("Compare")
st.markdown("Contrastive unlearning against the baselines, on the same forget set from the same original model: "
            "where each method leaves the samples, how fast forget accuracy falls, and how close each result "
            "comes to retraining, at what cost.")
render_compare()
