import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.home_page import render_home

require_app_shell()
st.title("Watch a model forget")
st.markdown("Contrastive unlearning (Lee et al., IJCAI 2025) removes a class or a set of samples from a trained "
            "classifier by pushing their embeddings out of their own class and into the others'. Pick a story "
            "below and watch the forgotten samples leave their clusters, live.")
render_home()
