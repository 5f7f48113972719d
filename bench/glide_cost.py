"""What the glide between frames costs the browser: Chromium's CPU seconds a step shown, with and without it.

    python -m bench.glide_cost [--points 300] [--pages 1]

Records a class run in-process (digits, forget class 1, the default recipe trained into a private cache, a map
frame every step), writes it as the offline player (app_ui.results.player_html: the app's own assets/player.js),
and plays it at 1x in headless Chromium twice: as shipped, and with the glide's duration patched to 0 (every
step a jump). Prints, for each, the steps shown, the wall seconds and the CPU seconds of every Chromium process over the
steps shown, and how often each page fell behind its clock (player.js then drops the glide for a while). With
--pages 5 the pages play at once, as five students' browsers on one machine would. The map's layout is a
random stand-in for UMAP's (drawing costs the same wherever the points lie).
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from app_ui.live.prepared_map import PreparedMap
from app_ui.live.recording import Recording
from app_ui.live.thumbnails import png_data_uris
from app_ui.results import player_html
from unlearn_core import Experiment, ForgetConfig, make_split, prepare
from unlearn_core.metrics import infer
from unlearn_core.projection import MapProjection, MapSettings

from .common import machine, print_figures, private_cache
from .sessions import ARGS, CHROMIUM, MAP_DRAWN, _browser_cpu_seconds

GLIDE = "const glideMs = (ms) => Math.max(0, Math.min(ms * 0.7, 1000));"
NO_GLIDE = "const glideMs = (ms) => 0;"
FELL_BEHIND = "() => document.querySelector('.unlearn-player').__unlearnPlayer.state.behindCount"


def record_player_html(points: int) -> tuple[str, int]:
    """(the offline player's HTML, the run's last step) for the default class run on a `points`-point map."""
    prep = prepare(Experiment(forget=ForgetConfig(mode="class", forget_class=1), device="cpu"))
    prep = replace(prep, split=make_split(prep.data, prep.exp.forget, probe_size=points))
    split = prep.split
    out = infer(prep.original.model, prep.data, "train", split.probe, prep.device)
    layout = np.random.default_rng(0).normal(size=(len(split.probe), 2)).astype(np.float32)
    projection = MapProjection(out.embeddings.numpy(), layout, ~split.probe_is_forget, MapSettings())
    prepared = PreparedMap(prep, projection, png_data_uris(prep.data.train_x, split.probe), out.probs().numpy())
    rec = Recording(prepared, replace(prep.exp, unlearn=replace(prep.exp.unlearn_config(), probe_every=1)))
    for step in rec.steps():
        rec.add(step)
    return player_html(prepared, rec), rec.final.step


async def play(path: Path, pages: int) -> dict:
    """Every page plays the file at 1x from Run to its stop banner, all at once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            opened = []
            for _ in range(pages):
                page = await (await browser.new_context(viewport={"width": 1300, "height": 1000})).new_page()
                await page.goto(path.as_uri())
                await page.wait_for_function(MAP_DRAWN)
                await page.locator(".unlearn-speed").select_option("1")
                opened.append(page)
            await asyncio.sleep(2)                     # the first drawing's work is over
            cpu, start = _browser_cpu_seconds(), time.perf_counter()
            await asyncio.gather(*(page.locator(".unlearn-controls button[data-action=run]").click() for page in opened))
            await asyncio.gather(*(page.locator(".unlearn-banner", has_text="Stopped at step").wait_for(timeout=300_000)
                                   for page in opened))
            wall, cpu = time.perf_counter() - start, _browser_cpu_seconds() - cpu
            steps = [int(await page.locator(".unlearn-status").get_attribute("data-step")) for page in opened]
            return {"wall_s": round(wall, 2), "browsers_cpu_s": round(cpu, 2),
                    "cpu_s_per_step_shown": round(cpu / sum(s + 1 for s in steps), 3),
                    "fell_behind": [await page.evaluate(FELL_BEHIND) for page in opened]}
        finally:
            await browser.close()


def run(quick: bool = False, points: int = 300, pages: int = 1) -> dict:
    with private_cache(), tempfile.TemporaryDirectory() as tmp:
        html, last = record_player_html(points)
        assert GLIDE in html, "assets/player.js's glide changed: update bench/glide_cost.py"
        shipped, jumps = Path(tmp) / "glide.html", Path(tmp) / "jumps.html"
        shipped.write_text(html)
        jumps.write_text(html.replace(GLIDE, NO_GLIDE))
        figures = {"description": "Chromium's CPU seconds a step shown by the offline player at 1x, with the glide "
                                  "between frames (as shipped) and with every step a jump",
                   "command": f"python -m bench.glide_cost --points {points} --pages {pages}",
                   "map_points": points, "pages": pages, "steps": last,
                   "as_shipped": asyncio.run(play(shipped, pages)),
                   "every_step_a_jump": asyncio.run(play(jumps, pages))}
    figures["glide_over_jump_cpu"] = round(figures["as_shipped"]["cpu_s_per_step_shown"]
                                           / figures["every_step_a_jump"]["cpu_s_per_step_shown"], 2)
    figures["machine"] = machine()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--pages", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print_figures("glide_cost", run(points=args.points, pages=args.pages))


if __name__ == "__main__":
    main()
