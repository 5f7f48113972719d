"""The live charts' plotly.js: copied once from the plotly package into the folder Streamlit serves, whole or
not at all. (The charts themselves are tested in a browser: tests/test_browser_live.py, test_browser_click.py.)"""
from __future__ import annotations

import os
import stat

import pytest

from app_ui.live_chart import PLOTLY_JS, _package_plotly_js, ensure_static_plotly


def test_plotly_js_is_copied_whole_readable_and_only_once(tmp_path):
    static = tmp_path / "static"
    target = ensure_static_plotly(static)
    assert target == static / PLOTLY_JS
    assert target.read_bytes() == _package_plotly_js().read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644                 # served to every browser
    assert sorted(p.name for p in static.iterdir()) == [PLOTLY_JS]       # no temporary file left behind
    os.utime(target, (1, 1))
    ensure_static_plotly(static)
    assert target.stat().st_mtime == 1                                   # the same file: not written again


def test_a_truncated_copy_is_replaced(tmp_path):
    (tmp_path / PLOTLY_JS).write_text("half a file")
    assert ensure_static_plotly(tmp_path).read_bytes() == _package_plotly_js().read_bytes()


def test_a_folder_that_cannot_be_written_raises_oserror_for_the_fallback(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    with pytest.raises(OSError):
        ensure_static_plotly(blocked)
