import streamlit as st

from app_ui.sweep_page import render_sweep_page

st.title("Sweep")
st.write("Search the method's hyperparameters and seeds on Ray Tune, on this machine or a cluster, and compare the "
         "trials against the retrain reference. Each trial opens in the Unlearn page with its settings.")
render_sweep_page()
