"""Classroom mode (`?present=1`) and the preset's guided story, as the pages draw them.

    render_classroom_frame(page)        # app.py, in place of the sidebar: no sidebar, projector-sized text
    look = Presentation.of(cfg)         # the Unlearn page: desk or projector sizes, trails, the preset's story
    render_present_header(cfg)          # the Unlearn page in classroom mode: title, Trails, Leave
    present_href(cfg)                   # a relative link that opens `cfg` in classroom mode (a new session)

Classroom mode hides every setting (the sidebar, the preset buttons, the facts line) and keeps the run's
controls, the timeline, the map, the curves and the story. Sizes: figures.PROJECTOR, and the CSS below,
which also gives back the vertical space of Streamlit's header, so that at 1280x720 the map and the
accuracy curves fit the first screen (tests/test_browser_classroom.py measures it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import streamlit as st

from .app_config import AppConfig
from .figures import DESK, PROJECTOR, FigureStyle
from .presets import matching_preset
from .sidebar import URL_PROBLEMS_KEY, apply_config, current_config, url_query, write_url

if TYPE_CHECKING:       # story.py imports numpy, which the Start page's first run does without (figures.py says why)
    from .live.story import Caption

UNLEARN_PATH = "unlearn"                # the Unlearn page's URL path (app_ui.shell)
TRAILS_KEY = "classroom.trails"

# Streamlit's header bar and the main column's top padding take about 100 px of a 720 px screen; the
# sidebar (and the arrow that reopens it) must not show at all. Text a projector can carry.
CLASSROOM_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.5rem 3rem 1.5rem !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.45rem; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li { font-size: 1.15rem; }
[data-testid="stMainBlockContainer"] button p { font-size: 1.15rem; font-weight: 600; }
</style>"""


@dataclass(frozen=True)
class Presentation:
    """How the live view draws a run: for a desk or a projector, with or without trails, and which story
    it tells (the captions of the preset the configuration is, if it is one)."""
    present: bool = False
    trails: bool = True
    captions: tuple[Caption, ...] = ()
    speed: float = 1.0              # the player's starting speed (1x: two optimiser steps a second)

    @staticmethod
    def of(cfg: AppConfig) -> "Presentation":
        preset = matching_preset(cfg)
        return Presentation(cfg.view.present, cfg.view.trails, preset.captions if preset is not None else (),
                            cfg.view.speed)

    @property
    def style(self) -> FigureStyle:
        return PROJECTOR if self.present else DESK

    @property
    def caption_px(self) -> int:
        return 18 if self.present else 15

    @property
    def key_px(self) -> int:
        return 15 if self.present else 13


# ---- the frame (app.py) -----------------------------------------------------------------------------
def render_classroom_frame(page) -> None:
    """In place of the sidebar: the CSS, the URL kept in step with the configuration, and on pages other
    than Unlearn (which has its own header) a way back out."""
    st.html(CLASSROOM_CSS)
    for problem in st.session_state.get(URL_PROBLEMS_KEY, []):
        st.warning(problem)
    if getattr(page, "url_path", "") != UNLEARN_PATH:
        st.button("Leave classroom mode", key="classroom_leave", on_click=_leave, icon=":material/close:")
    write_url(current_config())


def _leave() -> None:
    cfg = current_config()
    apply_config(cfg.updated({"present": False}))


def _set_trails() -> None:
    apply_config(current_config().updated({"trails": st.session_state[TRAILS_KEY]}))


def render_present_header(cfg: AppConfig) -> None:
    """One row: what is shown (the preset's title), the Trails toggle and the way out."""
    preset = matching_preset(cfg)
    title = preset.title if preset is not None else "Contrastive unlearning"
    cols = st.columns([6, 1.3, 2.2], vertical_alignment="center")
    cols[0].markdown(f"#### {title}")
    st.session_state[TRAILS_KEY] = cfg.view.trails
    cols[1].toggle("Trails", key=TRAILS_KEY, on_change=_set_trails,
                   help="Each forget sample's path from where it started.")
    cols[2].button("Leave classroom mode", key="classroom_leave", on_click=_leave, icon=":material/close:",
                   width="stretch")


def present_href(cfg: AppConfig) -> str:
    """A link (relative: it works under any base path) that opens `cfg` on the Unlearn page in classroom
    mode. A link, not a button: it opens a new session that reads the whole configuration from the URL."""
    return f"{UNLEARN_PATH}?{urlencode(url_query(cfg.updated({'present': True})))}"
