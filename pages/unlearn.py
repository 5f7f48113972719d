import streamlit as st

from app_ui.shell import require_app_shell
from app_ui.sidebar import current_config
from app_ui.unlearn_page import render_unlearn

require_app_shell()
# A slot drawn in both modes (empty in classroom mode, whose first screen is the map's): switching the mode
# must not move the player below it (a moved player starts over at step 0).
with st.container():
    if not current_config().view.present:       # classroom mode: the first screen is the map's
        st.title("Unlearn")
        st.markdown("Press **Run** and watch the forget samples leave their cluster on the embedding map; the results "
                    "below compare the unlearned model with the original and with a model retrained without them.")
render_unlearn()
