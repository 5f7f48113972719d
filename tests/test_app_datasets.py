"""The sidebar fetches a missing torchvision dataset from the page (AppTest), against the local mirror on
127.0.0.1 that the engine's download tests use (download_server.py): present / Download (size) / progress /
present, and offline, one line with the folder and the CLI command."""
from __future__ import annotations

import socket

from app_testing import open_page, wait_until_prepared
from download_server import mirror, served, server, tiny_md5  # noqa: F401  (fixtures)
from unlearn_core.download import MIRROR_ENV, status


def captions(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_a_missing_dataset_is_downloaded_from_the_sidebar_and_then_present(tmp_path, monkeypatch, mirror, tiny_md5):
    folder = tmp_path / "data"
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(folder))
    at = open_page(dataset="mnist")
    assert not at.exception
    assert f"mnist files not on this machine (in `{folder}`)" in captions(at)
    button = at.sidebar.button(key="download_start")
    assert button.label == "Download (12 MB)"                 # torchvision's published sizes, before any fetch
    button.click().run()
    wait_until_prepared(at)                                   # the download's progress bar ends
    assert not at.exception
    assert any(s.value == "mnist downloaded." for s in at.sidebar.success)
    assert f"✓ mnist files present in `{folder}`" in captions(at)
    assert status("mnist", folder).present
    assert "download_start" not in {b.key for b in at.sidebar.button}


def test_offline_the_sidebar_says_so_with_the_folder_and_the_command(tmp_path, monkeypatch):
    with socket.socket() as s:              # a port nothing listens on: the mirror is unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path / "data"
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(folder))
    monkeypatch.setenv(MIRROR_ENV, f"http://127.0.0.1:{port}/")
    at = open_page(dataset="fashion-mnist")
    at.sidebar.button(key="download_start").click().run()
    wait_until_prepared(at)
    assert not at.exception
    (error,) = at.sidebar.error
    assert "\n" not in error.value and "offline?" in error.value and str(folder) in error.value
    assert f"python -m unlearn_core download fashion-mnist --data-dir {folder}" in captions(at)
    assert not status("fashion-mnist", folder).present and not any(folder.rglob("*.gz"))
