"""Sessions are independent (issue 10, item 6): ten browser sessions open at the same moment on one server,
five on the same link and five on five links that each forget their own class. In every session, before and
after Run, every number in the sidebar equals its URL's value, the URL still holds the link's settings, and
the page prepared (and ran) the link's class; every session reaches its own stop banner.

Lean on purpose (the whole suite runs on 2 cores): one Chromium, a context per session (as separate as two
students' browsers), small maps and four-step runs. One visit first warms the server (the original model and
UMAP's numba compilation, once per process); then all ten links are opened before any is waited on, so their
first script runs, their six map fits and their first widget messages overlap. Nothing here is timed: each check waits for its page's state (the Run
button, the stop banner, the results section), with generous timeouts.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from app_ui.app_config import app_settings
from browser_helpers import ARTIFACTS, browser, server  # noqa: F401 (fixtures)

PREPARE_MS = 480_000          # a fresh server trains the short recipe and compiles UMAP while ten pages load
RUN_MS = 300_000
COMMON = "points=100&max_steps=4&fps=4"                     # four steps, at four frames a second
SAME = [f"/unlearn?class=6&seed=62&{COMMON}"] * 5
OWN = [f"/unlearn?class={c}&seed={11 * c}&{COMMON}" for c in (1, 2, 3, 4, 5)]
MUST_SHOW = ("class", "seed", "tau", "lr", "batch_size")   # what the reported bug showed at their minimum
KEY_BY_LABEL = {s.label: s.url for _, s in app_settings() if s.kind in (int, float)}     # the numeric settings
MUST_SHOW_LABELS = [label for label, key in KEY_BY_LABEL.items() if key in MUST_SHOW]
# Every input in the sidebar, by its label (expanders' contents are in the DOM, folded).
SIDEBAR_INPUTS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=stSidebar] input')]
  .map(el => [el.getAttribute('aria-label') || (el.labels && el.labels[0] ? el.labels[0].textContent.trim() : ''),
              el.value]).filter(([label]) => label))"""


def _number(text: str) -> float:
    return float(text)


def sidebar_and_url(page) -> tuple[dict, dict]:
    """The sidebar's numeric settings and the URL's values of the same settings, by URL key, as numbers."""
    shown = {KEY_BY_LABEL[label]: value for label, value in page.evaluate(SIDEBAR_INPUTS).items()
             if label in KEY_BY_LABEL}
    shown = {key: _number(value) for key, value in shown.items()}
    query = parse_qs(urlparse(page.evaluate("location.href")).query)    # (page.url can miss pushState)
    return shown, {key: _number(query[key][0]) if key in query else None for key in shown}


def check_agree(page, link: str, when: str) -> None:
    # The sidebar's widgets arrive in the same script run as the Run button, but the browser mounts them in its
    # own time (seen on a loaded machine: the expanders' inputs there, the top section's not yet): wait until
    # every one the check needs is in the page rather than read a half-mounted sidebar.
    page.wait_for_function(f"(labels) => {{ const shown = ({SIDEBAR_INPUTS})(); "
                           f"return labels.every(label => label in shown); }}", arg=MUST_SHOW_LABELS, timeout=PREPARE_MS)
    shown, url = sidebar_and_url(page)
    assert set(MUST_SHOW) <= set(shown), (link, when, "missing from the sidebar", sorted(shown))
    assert shown == url, (link, when, "the sidebar disagrees with the URL",
                          {k: (shown[k], url[k]) for k in shown if shown[k] != url[k]})
    opened = {k: _number(v[0]) for k, v in parse_qs(urlparse(link).query).items()}
    assert {k: url[k] for k in opened} == opened, (link, when, "the URL lost the link's settings", url)
    forget_class = int(opened["class"])
    caption = page.get_by_text("· forgetting class").inner_text()
    assert f"forgetting class {forget_class} " in caption, (link, when, caption)


# What a session shows, for a failure's message: which of them is stuck, and where (idle, running, an error).
PAGE_STATE = """() => ({
  url: location.search,
  buttons: [...document.querySelectorAll('button')].map(b => b.innerText.trim())
           .filter(t => ['Run', 'Pause', 'Step', 'Replay', 'Reset', 'Start'].includes(t)),
  map: [...document.querySelectorAll('.js-plotly-plot .gtitle')].map(t => t.textContent)
       .find(t => t.startsWith('Embedding map')) || null,
  alerts: [...document.querySelectorAll('[data-testid=stAlert], [data-testid=stException], [data-testid=stToast]')]
          .map(a => a.innerText.trim().slice(0, 160)),
})"""


def wait_for_stop(page, link: str) -> str:
    """The session's stop banner's text; if it never comes, fail with what the session shows instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout      # as browser_helpers: lazily

    banner = page.get_by_test_id("stAlert").filter(has_text="Stopped at step")
    try:
        banner.wait_for(timeout=RUN_MS)
    except PlaywrightTimeout:
        # An AssertionError, not pytest.fail (a BaseException): the test's handler saves every session's state.
        raise AssertionError(f"{link}: no stop banner within {RUN_MS // 1000} s; the page shows "
                             f"{page.evaluate(PAGE_STATE)}") from None
    return banner.inner_text()


@pytest.mark.browser
def test_ten_sessions_opened_at_once_keep_their_own_settings_and_runs(server, browser):  # noqa: F811
    base, log = server
    links = SAME + OWN
    # A classroom's server is already up: one visit first trains the short recipe and compiles UMAP's numba
    # code, which every later map fit in the process reuses.
    # (On a loaded machine the app may estimate that training at minutes and ask first: Start it.)
    warm = browser.new_page()
    warm.goto(f"{base}/unlearn?class=9&{COMMON}", timeout=PREPARE_MS)
    run, start = (warm.get_by_role("button", name=name, exact=True) for name in ("Run", "Start"))
    run.or_(start).first.wait_for(timeout=PREPARE_MS)
    if start.count():
        start.click()
    run.wait_for(timeout=PREPARE_MS)
    warm.close()
    contexts = [browser.new_context(viewport={"width": 1300, "height": 1500}) for _ in links]
    pages = [context.new_page() for context in contexts]
    step = "opening"
    try:
        for page, link in zip(pages, links):           # every link opens before any page is waited on
            page.goto(base + link, wait_until="commit", timeout=PREPARE_MS)
        step = "before Run"
        for page, link in zip(pages, links):
            page.get_by_role("button", name="Run", exact=True).wait_for(timeout=PREPARE_MS)
            check_agree(page, link, step)
        step = "Run"
        for page in pages:                              # Run pressed in every session, then waited on
            page.get_by_role("button", name="Run", exact=True).click()
        step = "after Run"
        for page, link in zip(pages, links):
            banner = wait_for_stop(page, link)
            assert "Stopped at step 4:" in banner, (link, banner)
            # The results section is drawn by the page's rerun after the stop: the sidebar was drawn again too.
            page.get_by_role("heading", name="Results").wait_for(timeout=RUN_MS)
            check_agree(page, link, step)
    except Exception:
        for i, (page, link) in enumerate(zip(pages, links)):
            page.screenshot(path=str(ARTIFACTS / f"sessions_failure_{i}.png"), full_page=True)
            print(f"session {i} ({link}): {page.evaluate(PAGE_STATE)}")
        print(f"failed at: {step}\n" + log.read_text()[-3000:])
        raise
    finally:
        for context in contexts:
            context.close()
