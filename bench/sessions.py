"""Sessions at once: does a class still play in time when five (or ten) browser sessions run at once?

    python -m bench.sessions [--speed 1x|4x|computed] [--points 300] [--no-ten]

Starts `streamlit run serve.py` on a free port (a private model cache, the short training recipe: the figure is
about the live view, not about training), prepares the map of every class used (one page per class opened
once, Run not pressed), then measures in Chromium, each measurement once the server is quiet (the retrain
references and evidence of the sessions before it done), each session in its own browser context, the wall time from
pressing Run (`.unlearn-controls button[data-action=run]`) to the player's stop banner (`.unlearn-banner`
with "Stopped at step"):
- five sessions at once (classes 1 to 5, Run pressed together; the time until the last banner);
- one session alone, forgetting the class of the five whose run was longest (the runs stop at different steps:
  on the 10-epoch digits original 8 to 16), and the ratio of five to one (target: at most 1.5x: at 1x a run is paced by the player's clock, 2 steps a second, so this says
  whether the server and the browsers keep up with five paced runs);
- ten sessions at once (classes 0 to 9): how many reach their own banner (target: all ten; `--no-ten` skips it).
"Own" banner: the page's recording stopped at the banner's step with every frame held (data-frames = step + 1,
a frame per step), its map forgets the page's class, and no two pages play the same recording.

Recordings are shared per setting (five students on one story cost one run), so each measurement gets
recordings of its own by a step budget no run reaches (max_steps 9999, 9998, 9997 instead of 10000): the
runs are the same as the default's, step for step, but none was recorded before.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
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
SPEEDS = {"1x": "1", "4x": "4", "computed": "computed"}      # the player's speed menu values
RUN = ".unlearn-controls button[data-action=run]"
BANNER = ".unlearn-banner"
STOPPED = "Stopped at step"
MAP_DRAWN = """() => { const p = document.querySelector('.unlearn-map');
  return !!p && Number(p.getAttribute('data-points')) > 0; }"""
# What the page's player holds: its recording, where it stopped, the frames held and the map's forget classes.
PLAYED = """() => { const root = document.querySelector('.unlearn-player'), S = root.__unlearnPlayer.state;
  const st = S.static, lane = S.lanes[0];
  return {url: location.href, frames: Number(root.getAttribute('data-frames')),
          banner: document.querySelector('.unlearn-banner').textContent,
          lane: lane.id, final: lane.final && lane.final.step, fell_behind: S.behindCount,
          forget_classes: [...new Set(st.labels.filter((_, i) => st.is_forget[i]))]}; }"""


def _link(forget_class: int, points: int, max_steps: int = 10_000) -> str:
    return f"/unlearn?class={forget_class}&seed=0&points={points}&max_steps={max_steps}"


async def _ready(page) -> None:
    """Until the page's player can run. On a loaded machine the app can estimate the first training at
    minutes and ask first: then Start is pressed."""
    run, start = page.locator(RUN), page.get_by_role("button", name="Start", exact=True)
    await run.or_(start).first.wait_for(timeout=TIMEOUT_MS)
    if await start.count():
        await start.click()
    await run.wait_for(timeout=TIMEOUT_MS)
    await page.wait_for_function(MAP_DRAWN, timeout=TIMEOUT_MS)


async def _warm(browser, base: str, classes: list[int], points: int) -> None:
    """Every class's model and map ready (the pages open at once; Run is not pressed: nothing is recorded)."""
    async def one(c: int) -> None:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(base + _link(c, points), timeout=TIMEOUT_MS)
        await _ready(page)
        await context.close()
    await asyncio.gather(*(one(c) for c in classes))


async def _open(browser, base: str, forget_class: int, speed: str, points: int, max_steps: int):
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    await page.goto(base + _link(forget_class, points, max_steps), timeout=TIMEOUT_MS)
    await _ready(page)
    await page.locator(".unlearn-speed").select_option(SPEEDS[speed])
    return context, page


# What a page shows, for a session that never reached its banner.
SHOWS = """() => { const q = (s) => document.querySelector(s), root = q('.unlearn-player');
  const S = root && root.__unlearnPlayer ? root.__unlearnPlayer.state : null;
  return {status: q('.unlearn-status') && q('.unlearn-status').textContent, frames: root && root.getAttribute('data-frames'),
          lanes: S && S.lanes.map((l) => [l.id, l.state, l.frames.length]), started: S && S.started,
          alerts: [...document.querySelectorAll('[data-testid=stAlert], [data-testid=stException]')]
            .map((e) => e.innerText.slice(0, 160))}; }"""


async def _run(page, forget_class: int) -> dict:
    """Run pressed; the seconds to the stop banner, and whether it is this page's own."""
    start = time.perf_counter()
    await page.locator(RUN).click()
    try:
        await page.locator(BANNER, has_text=STOPPED).wait_for(timeout=TIMEOUT_MS)
    except Exception as err:
        raise RuntimeError(f"no banner; the page shows {await page.evaluate(SHOWS)}") from err
    seconds = time.perf_counter() - start
    played = await page.evaluate(PLAYED)
    step = int(re.match(rf"{STOPPED} (\d+):", played["banner"]).group(1))
    own = (played["final"] == step and played["frames"] == step + 1 and played["forget_classes"] == [forget_class]
           and re.search(rf"[?&]class={forget_class}(&|$)", played["url"]) is not None)
    return {"seconds": seconds, "step": step, "own": own, "recording": played["lane"], "fell_behind": played["fell_behind"]}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (all its threads) so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chromium_cpu_by_type() -> dict[str, float]:
    """CPU seconds so far of every Chromium process on the machine (the benchmark's browsers), by the process's
    --type (renderer, gpu-process, utility, ...; "browser" for the browser process itself). Chromium rewrites
    its children's command lines into one string, so --type is looked for anywhere in it."""
    out: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit():
                continue
            cmdline = (entry / "cmdline").read_bytes()
            if b"chrom" not in cmdline.split(b"\0")[0].split(b" ")[0]:
                continue
            kind = re.search(rb"--type=([\w-]+)", cmdline)
            kind = kind.group(1).decode() if kind else "browser"
            out[kind] = out.get(kind, 0.0) + _cpu_seconds(int(entry.name))
        except (OSError, IndexError):
            pass          # the process ended while we looked
    return out


def wait_until_quiet(pid: int, cpu_per_s: float = 0.05, window_s: float = 2.0, limit_s: float = 300.0) -> float:
    """Until process `pid` uses under `cpu_per_s` CPU seconds a second over `window_s` (what the sessions before
    left running, their retrain references and evidence, is done); the seconds waited. Past `limit_s` the
    measurement would run on a busy server: SystemExit says so."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        before = _cpu_seconds(pid)
        time.sleep(window_s)
        if _cpu_seconds(pid) - before < cpu_per_s * window_s:
            return time.monotonic() - began
    raise SystemExit(f"the server (pid {pid}) was still busy after {limit_s:.0f} s: no figure on a busy server")


def _browser_cpu_seconds() -> float:
    """CPU seconds so far of every Chromium process on the machine (the benchmark's browsers)."""
    return sum(chromium_cpu_by_type().values())


async def _prepare(base: str, classes: list[int], points: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            await _warm(browser, base, classes, points)
        finally:
            await browser.close()


async def _measure(base: str, classes: list[int], speed: str, server_pid: int, points: int, max_steps: int) -> dict:
    """Sessions at once, one class each: the wall time from Run to the last banner, each session's own figures,
    and the CPU seconds the server and the browsers spent meanwhile."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            opened = await asyncio.gather(*(_open(browser, base, c, speed, points, max_steps) for c in classes))
            cpu = _cpu_seconds(server_pid), _browser_cpu_seconds()
            by_type = chromium_cpu_by_type()
            start = time.perf_counter()
            sessions = await asyncio.gather(*(_run(page, c) for c, (_, page) in zip(classes, opened)),
                                            return_exceptions=True)
            wall = time.perf_counter() - start
            browsers = _browser_cpu_seconds() - cpu[1]
            by_type = {k: round(v - by_type.get(k, 0.0), 1) for k, v in sorted(chromium_cpu_by_type().items())}
            failed = [f"class {c}: {type(s).__name__}: {s}".splitlines()[0]
                      for c, s in zip(classes, sessions) if isinstance(s, BaseException)]
            done = [s for s in sessions if not isinstance(s, BaseException)]
            own = [s for s in done if s["own"]]
            return {"wall_s": wall, "reached_own_banner": len({s["recording"] for s in own}), "sessions": len(classes), "session_s": [round(s["seconds"], 2) for s in done],
                    "stop_steps": [s["step"] for s in done], "failed": failed, "classes": classes,
                    "stop_step_by_class": {c: s["step"] for c, s in zip(classes, sessions)
                                           if not isinstance(s, BaseException)},
                    # How often each page fell behind its clock and drew 4 s of steps without the glide.
                    "fell_behind": [s["fell_behind"] for s in done],
                    "server_cpu_s": round(_cpu_seconds(server_pid) - cpu[0], 1),
                    "browsers_cpu_s": round(browsers, 1), "browsers_cpu_s_by_process": by_type,
                    # What drawing one step costs a page (its map's glide, curves, markers): the browsers' CPU
                    # over the steps shown (each session shows steps 0..stop).
                    "browser_cpu_s_per_step": round(browsers / max(1, sum(s["step"] + 1 for s in done)), 3),
                    "load_average_1min": round(os.getloadavg()[0], 1)}
        finally:
            await browser.close()


def _server(port: int, log) -> subprocess.Popen:
    # No warm-up (app_ui/warm_up.py): it would train the first story beside the classes measured here.
    return start_server(port, log, dict(os.environ, UNLEARN_TRAIN_EPOCHS="6", OMP_NUM_THREADS="1",
                                        UNLEARN_WARM_UP="0"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log, env: dict, cwd: Path = ROOT, script: str = "serve.py") -> subprocess.Popen:
    """`streamlit run serve.py` (the README's command; `script` in `cwd`) on `port` with the environment `env`;
    returns once the port accepts connections."""
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
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
    """`streamlit run serve.py` on a free port with a private model cache: yields (base URL, server process)."""
    port = free_port()
    with private_cache() as cache, open(Path(cache) / "streamlit.log", "w") as log:
        proc = _server(port, log)
        try:
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


FIVE = [1, 2, 3, 4, 5]


def measure(speed: str = "1x", points: int = 300, ten_sessions: bool = True) -> dict:
    with served_app() as (base, proc):
        asyncio.run(_prepare(base, list(range(10 if ten_sessions else 6)), points))   # every class's model and map
        # Each measurement starts on a quiet server: the sessions before it leave their retrain references and
        # evidence computing for a while (they ran beside the single session otherwise, and slowed it).
        quiet = [wait_until_quiet(proc.pid)]
        five = asyncio.run(_measure(base, FIVE, speed, proc.pid, points, 9_998))
        # Alone: the class of the five that ran longest, so that both figures wait for a run of the same length.
        by_class = five["stop_step_by_class"]
        longest = max(by_class, key=by_class.get) if by_class else FIVE[0]
        quiet.append(wait_until_quiet(proc.pid))
        one = asyncio.run(_measure(base, [longest], speed, proc.pid, points, 9_999))
        if ten_sessions:
            quiet.append(wait_until_quiet(proc.pid))
        ten = (asyncio.run(_measure(base, list(range(10)), speed, proc.pid, points, 9_997)) if ten_sessions
               else {"reached_own_banner": None, "wall_s": float("nan"), "skipped": "--no-ten"})
    return {"description": "Wall time from Run to the stop banner: five browser sessions at once (classes 1-5; until "
                           "the last banner), then one alone (the class of the five whose run was longest); ten at "
                           "once (classes 0-9): how many reach their own banner. Targets: five within 1.5x of one; "
                           "all ten.",
            "one_session_class": one["classes"][0],
            "command": f"python -m bench.sessions --speed {speed} --points {points}" + ("" if ten_sessions else " --no-ten"),
            "speed": speed,
            "map_points": points, "one_session_s": round(one["wall_s"], 2), "five_sessions_s": round(five["wall_s"], 2),
            "ratio": round(five["wall_s"] / one["wall_s"], 2), "target_ratio": 1.5,
            "five_reached_own_banner": f"{five['reached_own_banner']}/5",
            "ten_reached_own_banner": f"{ten['reached_own_banner']}/10", "ten_sessions_s": round(ten["wall_s"], 2),
            "waited_for_a_quiet_server_s": [round(q, 1) for q in quiet],
            # The least wall time at this speed: the last stop step over the player's pace (1x: 2 steps a second);
            # five sessions wait for the class that stops last.
            "least_at_pace_s": {k: round(max(r["stop_steps"]) / (2 * float(SPEEDS[speed])), 2)
                                for k, r in (("one", one), ("five", five)) if speed != "computed" and r["stop_steps"]},
            # Where the time went: here the browsers share the server's cores (and whatever else the machine runs).
            "runs": {"one": one, "five": five, "ten": ten},
            "machine": machine()}


def run(quick: bool = False) -> dict:
    """`python -m bench` calls this (no quick variant: sessions at once are the figure)."""
    return measure("1x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", choices=list(SPEEDS), default="1x")
    parser.add_argument("--points", type=int, default=300, help="map points (default 300)")
    parser.add_argument("--no-ten", action="store_true", help="skip the ten sessions (one and five only)")
    args = parser.parse_args()
    print_figures("sessions at once", measure(args.speed, args.points, not args.no_ten))


if __name__ == "__main__":
    main()
