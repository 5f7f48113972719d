"""The map's image-on-hover: a Streamlit component that shows a sample's image beside the pointer.

    show_hover_images(prepared.thumbnails)       # once per page, outside the live fragment

Plotly's own tooltips cannot hold images, so a small script (assets/hover_images.js, shared with the
downloaded HTML figures) listens to the map's hover events and draws the probe point's image next to
the tooltip; the tooltip itself says the true label, the predicted label and its probability. The
images travel once per page load, not with every frame: a frame's points carry only their probe index.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "hover_images.js"


@lru_cache(maxsize=1)
def _component():
    js = SCRIPT.read_text() + "\nexport default function (component) {\n" \
         "  return unlearnHoverImages((component.data && component.data.thumbs) || []);\n}\n"
    return st.components.v2.component("unlearn_hover_images", js=js, isolate_styles=False)


def show_hover_images(thumbnails: list[str]) -> None:
    _component()(data={"thumbs": thumbnails}, key="hover_images")
