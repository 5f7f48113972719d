"""Five sessions against one: the wall time of a live run when five browser sessions run at once.

    python -m bench.sessions [--speed 1x|fastest]

Starts `streamlit run app.py` on a free port (a private model cache, the short training recipe: the
figure is about the live run, not about training), opens each class's link once so that its model and
map are ready, then measures, in Chromium, from pressing Run to the stop banner: one session (forget
class 1), then five sessions at once (classes 1 to 5, Run pressed together; the time until the last
banner). Target (issue 10, item 6): five within 3x of one. At 1x a run is paced by its frame rate, so
this says whether the server keeps up with five paced runs; "fastest" says what five unpaced runs cost.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from .common import machine, print_figures, private_cache

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
TIMEOUT_MS = 600_000
SPEED_LABELS = {"1x": "1x", "fastest": "as fast as possible"}


def _link(forget_class: int) -> str:
    return f"/unlearn?class={forget_class}&seed=0&points=300"


async def _warm(browser, base: str) -> None:
    """One visit trains the original model and compiles UMAP's numba code (once per server process). On a
    loaded machine the app can estimate that training at minutes and ask first: then Start is pressed."""
    page = await browser.new_page()
    await page.goto(base + _link(0), timeout=TIMEOUT_MS)
    run, start = (page.get_by_role("button", name=name, exact=True) for name in ("Run", "Start"))
    await run.or_(start).first.wait_for(timeout=TIMEOUT_MS)
    if await start.count():
        await start.click()
    await run.wait_for(timeout=TIMEOUT_MS)
    await page.close()


async def _open(browser, base: str, forget_class: int, speed: str):
    context = await browser.new_context(viewport={"width": 1300, "height": 1600})
    page = await context.new_page()
    await page.goto(base + _link(forget_class), timeout=TIMEOUT_MS)
    await page.get_by_role("button", name="Run", exact=True).wait_for(timeout=TIMEOUT_MS)
    await page.get_by_text(SPEED_LABELS[speed], exact=True).click()
    await page.get_by_role("button", name="Run", exact=True).wait_for(timeout=TIMEOUT_MS)
    return context, page


async def _run(page) -> float:
    start = time.perf_counter()
    await page.get_by_role("button", name="Run", exact=True).click()
    await page.get_by_test_id("stAlert").filter(has_text="Stopped at step").wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - start


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (all its threads) so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _browser_cpu_seconds() -> float:
    """CPU seconds so far of every Chromium process on the machine (the benchmark's browsers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"chrom" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                total += _cpu_seconds(int(entry.name))
        except (OSError, IndexError):
            pass          # the process ended while we looked
    return total


async def _measure(base: str, classes: list[int], speed: str, server_pid: int, warm: bool = False) -> dict:
    """Wall time from Run to the last stop banner, and the CPU seconds the server and the browsers spent."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            if warm:
                await _warm(browser, base)
            opened = await asyncio.gather(*(_open(browser, base, c, speed) for c in classes))
            cpu = _cpu_seconds(server_pid), _browser_cpu_seconds()
            start = time.perf_counter()
            await asyncio.gather(*(_run(page) for _, page in opened))
            wall = time.perf_counter() - start
            return {"wall_s": wall, "server_cpu_s": _cpu_seconds(server_pid) - cpu[0],
                    "browsers_cpu_s": _browser_cpu_seconds() - cpu[1]}
        finally:
            await browser.close()


def _server(port: int, log) -> subprocess.Popen:
    env = dict(os.environ, UNLEARN_TRAIN_EPOCHS="6", OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"streamlit did not open port {port}")


@contextlib.contextmanager
def served_app():
    """`streamlit run app.py` on a free port with a private model cache: yields (base URL, server process)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with private_cache() as cache, open(Path(cache) / "streamlit.log", "w") as log:
        proc = _server(port, log)
        try:
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def measure(speed: str = "1x") -> dict:
    with served_app() as (base, proc):
        classes = [1, 2, 3, 4, 5]
        asyncio.run(_measure(base, classes, speed, proc.pid, warm=True))   # warm: every model, map, first step
        one = asyncio.run(_measure(base, classes[:1], speed, proc.pid))
        five = asyncio.run(_measure(base, classes, speed, proc.pid))
    return {"description": "Wall time from Run to the stop banner: one browser session (forget class 1), then five "
                           "at once (classes 1-5; until the last banner). Target (issue 10, item 6): five within 3x.",
            "command": f"python -m bench.sessions --speed {speed}", "speed": SPEED_LABELS[speed],
            "one_session_s": round(one["wall_s"], 2), "five_sessions_s": round(five["wall_s"], 2),
            "ratio": round(five["wall_s"] / one["wall_s"], 2), "target_ratio": 3.0,
            # Where the time went: on this machine the browsers share the server's cores.
            "cpu_s": {"one": {k: round(v, 1) for k, v in one.items() if k != "wall_s"},
                      "five": {k: round(v, 1) for k, v in five.items() if k != "wall_s"}},
            "machine": machine()}


def run(quick: bool = False) -> dict:
    """`python -m bench` calls this (no quick variant: five sessions are the figure)."""
    return measure("1x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", choices=sorted(SPEED_LABELS), default="1x")
    args = parser.parse_args()
    print_figures("five sessions against one", measure(args.speed))


if __name__ == "__main__":
    main()
