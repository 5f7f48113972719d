"""What the real-browser tests share: the app under `streamlit run` on a free port (the `server` fixture),
Debian's Chromium launched headless through Playwright (the `browser` fixture, or `launch_chromium`), and
their settings.

    from browser_helpers import ARTIFACTS, TIMEOUT_MS, browser, server   # noqa: F401 (fixtures)

    def test_something(server, browser):
        base, log = server
        page = browser.new_page()
        page.goto(f"{base}/unlearn?points=100", timeout=TIMEOUT_MS)

A test's steps run inside `with screenshot_on_failure(page, "NAME.png", log):`, which saves the page and prints
the server log's tail when a step fails.

(tests/test_browser.py re-exports these names, so `from test_browser import server, CHROMIUM, ...` keeps
working.) Chromium is /usr/bin/chromium unless CHROMIUM says otherwise; a missing browser fails the test with a
message saying so: CI installs it, so a browser test is never skipped.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 150_000          # a cold server trains the short recipe and compiles UMAP first
# Every value the player's status shows, in order (a MutationObserver: no sampling interval to miss one):
# window.__shown.
WATCH_STEPS = """() => { window.__shown = []; const el = document.querySelector('.unlearn-status');
  const note = () => { const s = Number(el.getAttribute('data-step'));
    if (window.__shown[window.__shown.length - 1] !== s) window.__shown.push(s); };
  note(); new MutationObserver(note).observe(el, {attributes: true, attributeFilter: ['data-step']}); }"""


# Until the player's map (its first lane) has drawn at least n samples on its canvas.
MAP_DRAWN_AT_LEAST = """(n) => { const p = document.querySelector('.unlearn-map');
  return !!p && Number(p.getAttribute('data-points')) >= n; }"""
MAP_MARKS = """([lane, kind]) => document.querySelector('.unlearn-player').__unlearnPlayer.mapMarks(lane)
  .filter((m) => m.kind === kind)"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory, isolated_cache):
    """The app under `streamlit run`, one server for every browser test of the session (its first UMAP fit
    compiles numba: paid once), sharing the session's model cache; yields (base URL, log path). Recordings
    are shared per setting by design, so tests that must not share one use settings of their own (a seed)."""
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = dict(os.environ, UNLEARN_CACHE_DIR=str(isolated_cache), UNLEARN_TRAIN_EPOCHS="6")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port",
             str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             # Files edited while the test runs (another checkout task, an editor) must not re-import
             # the app's modules under the running session.
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, f"streamlit exited early:\n{log.read_text()[-3000:]}"
                time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not open port {port} within 60 s:\n{log.read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}", log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
                    f"or set CHROMIUM to its path; this test is not skipped")


def launch_chromium(playwright):
    """Headless Chromium from a (sync or async) Playwright instance: `await` the result with the async API."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture
def browser():
    """A headless Chromium (Playwright's sync API), closed after the test. Fails the test without Chromium."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = launch_chromium(p)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def screenshot_on_failure(page, name: str, server_log: Path):
    """When the block raises: a full-page screenshot of `page` as tests/artifacts/NAME and the server log's tail
    printed (pytest shows it with the failure), then the exception goes on."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        print(server_log.read_text()[-3000:])
        raise


def map_marks(page, kind: str = "forget sample", lane: int = 0) -> list[dict]:
    """The marks of one kind ("forget sample": the diamonds, "remaining", "target": the stars) that lane's map
    draws now on its canvas, in page pixels: [{"probe": position in the probe set, "x", "y"}], topmost last
    (assets/player.js, mapMarks)."""
    return page.evaluate(MAP_MARKS, [lane, kind])


def hover_shows_image(page, marks: list[dict]) -> str | None:
    """Move the mouse onto the first few of `marks` (map_marks) in turn until the player's hover image shows
    beside the map's text box about that sample; the image's src, or None if it never did. A few are tried: a
    redraw under the pointer can swallow one hover."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    image, label = page.locator("#unlearn-hover-image"), page.locator(".unlearn-map-tip").first
    for mark in marks[:5]:
        page.mouse.move(5, 5)
        page.mouse.move(mark["x"], mark["y"], steps=5)
        try:
            image.wait_for(state="visible", timeout=4_000)
            label.wait_for(state="visible", timeout=4_000)
        except PlaywrightTimeout:
            continue
        assert re.search(r"true: .+predicted: .+ \(\d+%\).+training sample #\d+", label.inner_text(), re.S), \
            label.inner_text()
        return image.get_attribute("src")
    return None

