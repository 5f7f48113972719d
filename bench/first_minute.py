"""The first minute on a fresh machine: from `streamlit run serve.py` to moving points.

    python -m bench.first_minute
    python -m bench.first_minute --start-page [--servers 3]    # only the Start page's first render, N servers

Each measurement starts `streamlit run serve.py` (the default recipe, one torch thread, the server's warm-up on)
on empty caches of its own: model cache and map cache (UNLEARN_CACHE_DIR) and numba's compiled code
(NUMBA_CACHE_DIR), and drives Chromium as a new user would:
- click at once: the Start page opened as soon as the server listens (as `streamlit run` opens it itself), its
  first render timed (the Start button, the preset cards and the sidebar drawn), "Start: forget one digit"
  clicked at once, then the seconds to the first map frame (the Unlearn page's map has points);
- click after 30 s: the same on fresh empty caches, the click 30 s after the server started listening;
- a new class after a restart: that server stopped and a new one started on the same (now warm) caches; the
  Start page opened, then the Unlearn page of a class never prepared (3) at once, and of another (4) once the
  Start page says the first story is ready: the seconds from opening each page to its first map frame.
Targets (issue 22): click at once at most 30 s, after 30 s at most 15 s, the Start page under 2 s, a new class
after a restart under 5 s. With --start-page, only the first render: a fresh server on empty caches, the Start
page opened as soon as it listens, timed as above; once per server, each beside a fresh server of a bare Streamlit
page with the same things to wait for (BARE_APP): what Streamlit's frontend alone costs on this machine.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from app_ui.presets import load_presets

from .common import machine, print_figures
from .sessions import ARGS, CHROMIUM, MAP_DRAWN, ROOT, free_port, start_server

START = "Start: forget one digit"
CARDS = len(load_presets())      # the Start page's preset cards, each with a "Present" link
# The floor: a page with only what _start_page waits for (the Start button, a "Present" link in each of
# CARDS bordered cards, the two headings), served the same way (the app's Streamlit configuration).
BARE_APP = f"""import streamlit as st
st.set_page_config(layout="wide")
with st.sidebar:
    st.subheader("Experiment")
st.button({START!r}, type="primary")
for row in range({CARDS} // 2):
    for col in st.columns(2):
        col.container(border=True).link_button("Present", "https://example.invalid")
st.subheader("What to look at")
"""
READY = "The first story is ready"
TIMEOUT_MS = 300_000


@contextlib.contextmanager
def fresh_caches():
    with tempfile.TemporaryDirectory(prefix="unlearn-first-minute-") as tmp:
        yield {"UNLEARN_CACHE_DIR": str(Path(tmp) / "models"), "NUMBA_CACHE_DIR": str(Path(tmp) / "numba")}


@contextlib.contextmanager
def bare_app():
    """A folder holding BARE_APP as app.py, with the app's .streamlit/config.toml."""
    with tempfile.TemporaryDirectory(prefix="unlearn-bare-page-") as tmp:
        (Path(tmp) / ".streamlit").mkdir()
        shutil.copy(ROOT / ".streamlit" / "config.toml", Path(tmp) / ".streamlit" / "config.toml")
        (Path(tmp) / "app.py").write_text(BARE_APP)
        yield Path(tmp)


@contextlib.contextmanager
def server(caches: dict, log_name: str, app_dir: Path = ROOT):
    """A server on `caches`; yields (base URL, the monotonic time it started listening)."""
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", **caches)
    for inherited in ("UNLEARN_TRAIN_EPOCHS", "UNLEARN_WARM_UP"):    # the default recipe, the warm-up on
        env.pop(inherited, None)
    with open(Path(caches["UNLEARN_CACHE_DIR"]).parent / log_name, "w") as log:
        proc = start_server(port, log, env, app_dir, "serve.py" if (app_dir / "serve.py").exists() else "app.py")
        listening = time.monotonic()
        try:
            yield f"http://127.0.0.1:{port}", listening
        finally:
            children = _children(proc.pid)
            proc.terminate()
            proc.wait(timeout=60)
            for pid in children:      # the warm-up's UMAP compile outlives its server: not into the next figure
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)


def _children(pid: int) -> list[int]:
    """The processes that `pid` started (Linux's /proc: each process's parent is the 4th field of its stat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue            # it ended meanwhile
        if parent == pid:
            found.append(int(stat.parent.name))
    return found


# In the page, at every animation frame: the moment (ms since navigation) at which the Start button, the last card's
# "Present" link, the "What to look at" heading and the sidebar's "Experiment" heading are all visible; false until
# then. Timed in the page rather than by Playwright's locator waits: those poll with a backoff (up to 500 ms between
# tries), which measured the harness (1.6-2.0 s for pages drawn at 1.5-1.8 s).
DRAWN = """([start, cards]) => { const shown = (e) => !!e && e.checkVisibility({visibilityProperty: true});
  const find = (root, sel, text) =>
    (root ? [...root.querySelectorAll(sel)] : []).filter((e) => e.innerText.includes(text));
  const side = document.querySelector('section[data-testid=stSidebar]');
  const button = find(document, 'button', start).find(shown);
  const present = find(document, 'a', 'Present').filter(shown);
  const look = find(document, 'h3', 'What to look at').find(shown);
  const experiment = find(side, 'h3', 'Experiment').find(shown);
  return button && look && experiment && present.length >= cards ? performance.now() : false; }"""


def _start_page(page, base: str) -> float:
    """Open the Start page; the seconds from navigation until the Start button, the last card and the sidebar are
    drawn."""
    page.goto(base + "/", timeout=TIMEOUT_MS)
    drawn = page.wait_for_function(DRAWN, arg=[START, CARDS], polling="raf", timeout=TIMEOUT_MS)
    return drawn.json_value() / 1000


def _load() -> float:
    """The machine's 1-minute load average (2 cores: above 2, others' work shares them)."""
    return round(os.getloadavg()[0], 1)


def _first_map(page) -> float:
    began = time.monotonic()
    page.wait_for_function(MAP_DRAWN, timeout=TIMEOUT_MS)
    return time.monotonic() - began


def click_start(browser, after_s: float) -> dict:
    """Fresh caches and server; the Start page opened at once, Start clicked `after_s` seconds after the server
    started listening."""
    with fresh_caches() as caches, server(caches, "streamlit.log") as (base, listening):
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        render = _start_page(page, base)
        wait = listening + after_s - time.monotonic()
        if wait > 0:
            page.wait_for_timeout(wait * 1000)
        clicked = time.monotonic() - listening
        page.get_by_role("button", name=START).click()
        first_map = _first_map(page)
        return {"start_page_first_render_s": round(render, 2), "clicked_after_server_start_s": round(clicked, 1),
                "click_to_first_map_s": round(first_map, 1), "load_average_1min_then": _load()}


def new_class_after_restart(browser) -> dict:
    """The caches a first visit left (class 5's models and map, the compiled code), a fresh server process."""
    with fresh_caches() as caches:
        with server(caches, "first.log") as (base, _):
            page = browser.new_page()
            _start_page(page, base)
            page.get_by_text(READY).wait_for(timeout=TIMEOUT_MS)      # models, map and compiled code on disk
        with server(caches, "restart.log") as (base, listening):
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            render = _start_page(page, base)
            opened = time.monotonic() - listening
            page.goto(base + "/unlearn?class=3", timeout=TIMEOUT_MS)
            at_once = _first_map(page)
            start_page = browser.new_page()
            _start_page(start_page, base)
            start_page.get_by_text(READY).wait_for(timeout=TIMEOUT_MS)
            later = time.monotonic() - listening
            page.goto(base + "/unlearn?class=4", timeout=TIMEOUT_MS)
            return {"start_page_render_after_restart_s": round(render, 2),
                    "class_3_opened_after_restart_s": round(opened, 1), "class_3_first_map_s": round(at_once, 1),
                    "class_4_opened_after_restart_s": round(later, 1), "class_4_first_map_s": round(_first_map(page), 1),
                    "load_average_1min_then": _load()}


def start_page_renders(browser, servers: int) -> dict:
    """The Start page's first render on `servers` fresh servers, each on empty caches of its own, each followed by
    a fresh server of the bare page."""
    renders, bare, loads = [], [], []
    with bare_app() as bare_dir:
        for _ in range(servers):
            for app_dir, times in ((ROOT, renders), (bare_dir, bare)):
                with fresh_caches() as caches, server(caches, "streamlit.log", app_dir) as (base, _):
                    page = browser.new_page(viewport={"width": 1300, "height": 1000})
                    times.append(round(_start_page(page, base), 2))
                    page.close()
            loads.append(_load())
    return {"start_page_first_render_s": renders, "bare_streamlit_page_first_render_s": bare,
            "load_average_1min_then": loads}


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def measure_start_page(servers: int = 3) -> dict:
    with chromium() as browser:
        renders = start_page_renders(browser, servers)
    return {"description": "The Start page's first render on a fresh server (empty caches, the warm-up on), "
                           "opened as soon as the server listens: the seconds until the Start button, the last "
                           "card and the sidebar are drawn; one figure per server. Beside each, a fresh server "
                           "of a bare Streamlit page with only those things (BARE_APP): the frontend's floor.",
            "command": f"python -m bench.first_minute --start-page --servers {servers}", **renders,
            "target_s": 2, "machine": machine()}


def measure() -> dict:
    with chromium() as browser:
        at_once = click_start(browser, 0.0)
        after_30 = click_start(browser, 30.0)
        restart = new_class_after_restart(browser)
    return {"description": __doc__.split("\n\n")[2].strip(), "command": "python -m bench.first_minute",
            "click_at_once": at_once, "click_after_30_s": after_30, "new_class_after_restart": restart,
            "targets_s": {"click_at_once": 30, "click_after_30_s": 15, "start_page_first_render": 2,
                          "new_class_after_restart": 5},
            "machine": machine()}


def run(quick: bool = False) -> dict:
    """`python -m bench` calls this (no quick variant: empty caches are the figure)."""
    return measure()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.first_minute")
    parser.add_argument("--start-page", action="store_true", help="only the Start page's first render")
    parser.add_argument("--servers", type=int, default=3, help="with --start-page: fresh servers, one figure each")
    args = parser.parse_args()
    if args.start_page:
        print_figures("the Start page's first render", measure_start_page(args.servers))
    else:
        print_figures("the first minute", measure())


if __name__ == "__main__":
    main()
