"""The Unlearn page's player under AppTest, driven event by event as the browser would drive it: what the
page sends (only what the browser lacks), when the engine starts (Run or Step, never on its own), that
sessions with the same settings share one recording, that drawing settings keep it, the end of a run
(results and downloads), a click's details, and a diverging run. The browser side is tests/test_browser_*.py."""
from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
from starlette.routing import Router

from app_testing import TINY_EPOCHS, Browser, figures, open_page, player_data, send, wait_until_prepared
from app_ui.jobs.background import Job
from app_ui.jobs.resources import reference_job
from app_ui.live.feed_route import FEEDS
from app_ui.live.recording import RECORDINGS
from app_ui.results import curves_csv, player_html, report_json


@pytest.fixture(autouse=True, scope="module")
def tiny_recipe():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield


def unlearn_page(**params):
    """The page, prepared, and a browser that has just opened it (it says it has nothing: it gets everything)."""
    at = wait_until_prepared(open_page("pages/unlearn.py", **params))
    browser = Browser()
    send(at, browser, "want")
    return at, browser


def recording(browser: Browser, lane: int = 0):
    return RECORDINGS.by_id(browser.ids[lane])


def run_to_end(at, browser: Browser) -> dict:
    send(at, browser, "run")
    recording(browser).job.wait(120)
    return send(at, browser, "want")


def test_before_run_the_player_has_the_original_map_and_nothing_runs():
    at, browser = unlearn_page(seed="11")
    data = player_data(at)
    assert data["static"] is not None
    assert not at.exception
    [lane] = data["lanes"]
    assert lane["state"] == "idle" and lane["id"].startswith("idle-")
    assert [f["step"] for f in lane["frames"]] == [0] and lane["frames"][0]["map"] is not None
    static = data["static"]
    assert len(static["labels"]) == len(static["thumbs"]) == len(static["is_forget"]) == 100
    colours = [c["color"] for c in static["curves"]]
    assert len(set(colours)) == len(colours) == 3                       # one colour per eval set
    at.run()
    again = player_data(at)
    assert again["static"] is None and again["lanes"][0]["frames"] == []   # nothing is sent twice
    assert recording(browser, 0) is None                                   # the idle lane is not the recording


def test_a_viewer_joining_a_run_before_its_first_step_sees_the_original_map():
    at, browser = unlearn_page(seed="19")
    rec = RECORDINGS.by_id(browser.ids[0].removeprefix("idle-"))
    rec.job = Job("recording", lambda job: None)     # started, as another session's Run would, no Step yet
    data = send(at, Browser(), "want")
    [lane] = data["lanes"]
    assert lane["id"] == rec.id and lane["state"] == "recording" and lane["frames"] == []
    assert lane["preview"]["step"] == 0 and lane["preview"]["map"] is not None
    rec.add(next(rec.steps()))                       # the engine's step 0 arrives: it replaces the preview
    data = send(at, Browser(), "want")
    assert [f["step"] for f in data["lanes"][0]["frames"]] == [0] and data["lanes"][0]["preview"] is None
    RECORDINGS.drop(rec)


def test_run_records_every_step_and_sends_only_what_the_browser_lacks():
    at, browser = unlearn_page(seed="12", max_steps="8")
    data = send(at, browser, "run")
    rec_id = data["lanes"][0]["id"]
    assert rec_id.startswith("rec-")
    rec = recording(browser)
    rec.job.wait(120)
    data = send(at, browser, "want")
    assert data["lanes"][0]["state"] == "done" and data["lanes"][0]["final"]["step"] == 8
    steps = [f["step"] for f in browser.frames()]
    assert steps == list(range(9))                                       # every step, in order, once
    assert all(f["map"] is not None for f in browser.frames())
    assert browser.frames()[0]["eval"] is not None                      # step 0 is the recording's own
    seconds = [f["seconds"] for f in browser.frames()]
    assert seconds == sorted(seconds) and seconds[-1] > 0
    # A payload the browser never drew: it says what it has, and the rest comes again.
    browser.lanes[rec_id] = browser.lanes[rec_id][:3]
    data = send(at, browser, "want")
    assert data["lanes"][0]["offset"] == 3 and [f["step"] for f in browser.frames()] == list(range(9))
    data = send(at, browser, "want")
    assert data["lanes"][0]["frames"] == [] and data["static"] is None


def test_sessions_with_the_same_settings_share_one_recording_and_drawing_settings_keep_it():
    a, browser_a = unlearn_page(seed="13", max_steps="4")
    send(a, browser_a, "run")
    b, browser_b = unlearn_page(seed="13", max_steps="4", trails="false")
    assert browser_b.ids == browser_a.ids                                  # already recording: joined, not restarted
    c, browser_c = unlearn_page(seed="14", max_steps="4")
    assert browser_c.ids[0].startswith("idle-")                            # another setting: its own recording
    recording(browser_a).job.wait(120)


def test_step_starts_the_engine_too():
    at, browser = unlearn_page(seed="15", max_steps="3")
    data = send(at, browser, "step")
    assert data["lanes"][0]["state"] in ("recording", "done")
    recording(browser).job.wait(120)


def test_the_end_of_a_run_shows_the_results_and_every_download_builds():
    at, browser = unlearn_page(seed="16", max_steps="6")
    run_to_end(at, browser)
    send(at, browser, "end")
    wait_until_prepared(at)                                                # the retrain reference
    assert not at.exception
    table = at.dataframe[0].value
    assert table["retrain"].notna().all() and table["original"].notna().all()
    assert "**Compute:**" in " ".join(m.value for m in at.markdown)
    rec = recording(browser)
    cfg = at.session_state["app_config"]
    reference = reference_job(cfg.prep_key(), rec.prep).result
    report = json.loads(report_json(rec, reference, cfg))
    assert report["steps"] == 6 and report["app_config"]["max_steps"] == "6"
    assert report["evidence"]["unlearned"]["relearn"]["curve"]            # the JSON carries the evidence too
    rows = curves_csv(rec).strip().splitlines()
    assert rows[0].startswith("step,round,L_UL,L_CE") and "engine_cpu_seconds" in rows[0] and len(rows) == 1 + 7
    html = player_html(rec.prepared, rec)
    assert "unlearnMountPlayer(" in html and '"standalone": true' in html and html.count('"step": ') >= 7


def test_after_the_results_the_page_asks_does_it_really_forget():
    at, browser = unlearn_page(seed="18", max_steps="6")
    run_to_end(at, browser)
    send(at, browser, "end")
    wait_until_prepared(at)                                  # the retrain reference, then the relearning test
    assert not at.exception
    assert "Does it really forget?" in [h.value for h in at.subheader]
    assert any("relearn" in str(f["layout"].get("title", "")).lower() or
               any("etrain" in str(t.get("name", "")) for t in f["data"]) for f in figures(at))
    assert at.button(key="privacy_start")                    # the N-model test waits for a click, its cost said
    assert player_data(at)["overlay"] is None                # nothing to colour the map by yet


def test_a_click_shows_the_sample_and_its_neighbours_at_the_shown_step():
    at, browser = unlearn_page(seed="17", max_steps="4")
    run_to_end(at, browser)
    send(at, browser, "select", probe=0, step=2)
    panel = " ".join(m.value for m in at.markdown)
    assert "clicked-point" in panel and "at step 2" in panel and panel.count("cos ") == 5
    send(at, browser, "select", probe=None, step=2)
    assert "clicked-point" not in " ".join(m.value for m in at.markdown)


def test_a_diverging_run_stops_with_its_reason_and_every_download_still_builds(monkeypatch):
    monkeypatch.setattr(FEEDS, "served", False)
    router = Router(routes=FEEDS.routes())
    # The largest values UnlearnConfig allows (unlearn_core/configs.py): the model blows up within a few steps.
    at, browser = unlearn_page(lr="10", tau="0.01", lambda_ul="1000", lambda_ce="1000", momentum="0.999")
    data = run_to_end(at, browser)
    final = data["lanes"][0]["final"]
    assert final["outcome"] == "diverged" and not final["clean"] and "diverged at step" in final["reason"]
    status, answer = _get(router, f"{data['feed_url']}?{_have({})}")      # its frames over the route: strict JSON
    assert status == 200 and answer["lanes"][0]["final"]["outcome"] == "diverged"
    rec = recording(browser)
    cfg = at.session_state["app_config"]
    send(at, browser, "end")
    wait_until_prepared(at)
    assert not at.exception and at.dataframe
    report = json.loads(report_json(rec, reference_job(cfg.prep_key(), rec.prep).result, cfg))
    json.dumps(report, allow_nan=False)                                    # strict JSON: no NaN a reader rejects
    assert "diverged at step" in player_html(rec.prepared, rec)


def _get(router: Router, url: str) -> tuple[int, dict]:
    """GET `url` from `router` as a browser's fetch would reach the app's server (one ASGI request)."""
    path, _, query = url.partition("?")
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "headers": [], "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def respond(message):
        sent.append(message)
    asyncio.run(router(scope, receive, respond))

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON a browser parses")
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]), parse_constant=refuse)


def _have(lanes: dict) -> str:
    return "have=" + quote(json.dumps({"lanes": lanes}))


def test_under_serve_py_the_player_fetches_new_frames_from_the_feed_route(monkeypatch):
    monkeypatch.setattr(FEEDS, "served", False)
    router = Router(routes=FEEDS.routes())           # what serve.py mounts; publish() now gives URLs
    at, browser = unlearn_page(seed="23", max_steps="6")
    url = player_data(at)["feed_url"]
    assert url.startswith("/unlearn-api/feed/")
    send(at, browser, "run")
    rec = recording(browser)
    rec.job.wait(120)

    status, answer = _get(router, f"{url}?{_have(browser.have()['lanes'])}")
    assert status == 200 and answer["served"].startswith("feed-") and answer["static_id"] == browser.static_id
    [lane] = answer["lanes"]
    assert lane["id"] == rec.id and lane["state"] == "done" and lane["final"]["step"] == 6
    assert [f["step"] for f in lane["frames"]] == list(range(lane["offset"], 7))
    browser.take({"static": None, **answer})
    assert [f["step"] for f in browser.frames()] == list(range(7))     # every step, from the route
    status, again = _get(router, f"{url}?{_have(browser.have()['lanes'])}")
    assert status == 200 and again["lanes"][0]["frames"] == [] and again["served"] != answer["served"]
    at.run()                                         # a rerun of the page: what the route sent is not sent again
    assert player_data(at)["lanes"][0]["frames"] == []

    for bad in ("have=%7Bnot-json", _have({rec.id: -3}), _have({rec.id: float("inf")}), "have=%7B%22lanes%22%3A5%7D"):
        assert _get(router, f"{url}?{bad}")[0] == 400, bad
    assert _get(router, f"/unlearn-api/feed/not-a-token?{_have({})}")[0] == 404   # a restarted server: reruns again


def test_under_app_py_there_is_no_feed_route_and_the_player_asks_by_reruns(monkeypatch):
    monkeypatch.setattr(FEEDS, "served", False)
    at, _ = unlearn_page(seed="24")
    assert player_data(at)["feed_url"] is None
