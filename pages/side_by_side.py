import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.side_by_side_page import render_side_by_side

require_app_shell()
st.title("Side by side")
st.markdown("Several methods unlearn the same forget set from the same original model, one optimiser step each "
            "per frame, every one on the same map: the paper's Figure 1, live. Contrastive unlearning moves the "
            "forget samples into other classes' clusters; watch what NegGrad and fine-tuning do instead, and where "
            "a model retrained without them puts them (the stars).")
render_side_by_side()
