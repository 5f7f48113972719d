"""The app's server: `streamlit run serve.py` (app.py is the Streamlit script it serves).

Streamlit's ASGI mode (st.App) mounts one route beside the app: a recording's player fetches its new frames from
it while the engine records, instead of rerunning its part of the page for each batch (app_ui/live/feed_route.py
says why). `streamlit run app.py` runs the same app without the route; its players then ask by reruns.
"""
import streamlit as st

from app_ui.live.feed_route import feed_routes

app = st.App("app.py", routes=feed_routes())
