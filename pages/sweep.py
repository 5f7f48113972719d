import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.sweep_page import render_sweep_page

require_app_shell()
st.title("Sweep")
st.markdown("Search the method's hyperparameters and seeds on Ray Tune, on this machine or on a cluster, and see "
            "which settings come closest to the retrain reference, how fast. Any trial opens in the Unlearn page "
            "with its settings.")
render_sweep_page()
