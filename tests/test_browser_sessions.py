"""Many sessions at once (issue 10, item 6): ten browser sessions open at the same moment, five on one link and
five on five links, each forgetting its own class. Every sidebar value must match its URL before and after
Run, every session must reach its stop banner with its own class's results. Nothing here is timed: each
session waits for its page's state with generous timeouts (the server trains the short recipe once)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from app_ui.app_config import app_settings
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401 (a fixture)

TIMEOUT_MS = 600_000          # ten sessions on two cores: the first ones also wait for UMAP's compilation
CHECKED = ("class", "seed", "tau", "lr", "batch_size")      # what the reported bug showed at its minimum
COMMON = "points=100&max_steps=6&fps=4"                     # short runs: six steps at four frames a second
SAME = [f"/unlearn?class=6&seed=62&{COMMON}"] * 5
OWN = [f"/unlearn?class={c}&seed={10 * c + 1}&{COMMON}" for c in (1, 2, 3, 4, 5)]
LABELS = {s.url: s.label for _, s in app_settings()}


async def sidebar_against_url(page) -> tuple[dict, dict]:
    """(the URL's values, the sidebar's values) of the CHECKED settings, as numbers."""
    url = parse_qs(urlparse(await page.evaluate("location.href")).query)
    shown = {}
    for key in CHECKED:
        box = page.locator(f'[data-testid="stSidebar"] input[aria-label="{LABELS[key]}"]')
        shown[key] = float(await box.input_value(timeout=TIMEOUT_MS))
    return {key: float(url[key][0]) for key in CHECKED}, shown


async def one_session(browser, path: str, base: str, opened: asyncio.Barrier, ran: asyncio.Barrier) -> dict:
    context = await browser.new_context(viewport={"width": 1300, "height": 1600})
    page = await context.new_page()
    try:
        await opened.wait()                                  # every session opens its link at the same moment
        await page.goto(base + path, timeout=TIMEOUT_MS)
        run = page.get_by_role("button", name="Run", exact=True)
        await run.wait_for(timeout=TIMEOUT_MS)
        before = await sidebar_against_url(page)
        await ran.wait()                                     # and presses Run at the same moment
        await run.click()
        banner = page.get_by_test_id("stAlert").filter(has_text="Stopped at step")
        await banner.wait_for(timeout=TIMEOUT_MS)
        await page.get_by_test_id("stDataFrame").first.wait_for(timeout=TIMEOUT_MS)       # the results table
        after = await sidebar_against_url(page)
        caption = await page.get_by_text("forgetting class").first.inner_text()
        return {"path": path, "before": before, "after": after, "banner": await banner.first.inner_text(),
                "caption": caption}
    except Exception:
        await page.screenshot(path=str(ARTIFACTS / f"sessions_failure_{abs(hash(path)) % 1000}.png"), full_page=True)
        raise
    finally:
        await context.close()


async def all_sessions(base: str) -> list:
    from playwright.async_api import async_playwright

    paths = SAME + OWN
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # One session first trains the short recipe and compiles UMAP (numba), which every later map fit
            # reuses: the ten that follow test sessions opening at once, not ten numba compilations racing.
            warm = await browser.new_page()
            await warm.goto(f"{base}/unlearn?class=9&{COMMON}", timeout=TIMEOUT_MS)
            await warm.get_by_role("button", name="Run", exact=True).wait_for(timeout=TIMEOUT_MS)
            await warm.close()
            opened, ran = asyncio.Barrier(len(paths)), asyncio.Barrier(len(paths))
            return await asyncio.gather(*(one_session(browser, path, base, opened, ran) for path in paths))
        finally:
            await browser.close()


@pytest.mark.browser
def test_ten_sessions_opened_at_once_keep_their_own_settings_and_runs(server):  # noqa: F811
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium or set CHROMIUM")
    base, log = server
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        results = asyncio.run(all_sessions(base))
    except Exception:
        print(log.read_text()[-3000:])
        raise
    for r in results:
        opened = {k: float(v[0]) for k, v in parse_qs(urlparse(r["path"]).query).items() if k in CHECKED}
        url, shown = r["before"]
        assert url == shown, (r["path"], "before Run", url, shown)
        assert {k: url[k] for k in opened} == opened, (r["path"], "the URL changed", url)
        url, shown = r["after"]
        assert url == shown and {k: url[k] for k in opened} == opened, (r["path"], "after Run", url, shown)
        assert "Stopped at step 6" in r["banner"], r["banner"]
        assert f"forgetting class {int(opened['class'])}" in r["caption"], (r["path"], r["caption"])
