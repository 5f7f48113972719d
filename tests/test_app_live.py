"""The live Unlearn page under AppTest: ticks, Step, Pause, Reset, the timeline, the figures, the URL round
trip, two sessions side by side, and a run to its end with the results table and the downloads."""
from __future__ import annotations

import hashlib
import json

import pytest

from app_testing import TINY_EPOCHS, figures, open_page, step_line, trace_names, values, wait_until_prepared
from app_ui.app_config import AppConfig
from app_ui.figures import FORGET_TRACE, TERMINATION_PREFIX, THRESHOLD_PREFIX, TRAIL_TRACE
from app_ui.jobs.resources import reference_job
from app_ui.results import curves_csv, figures_html, report_json


@pytest.fixture(autouse=True, scope="module")
def tiny_recipe():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
        yield


def unlearn_page(**params):
    return wait_until_prepared(open_page("pages/unlearn.py", **params))


def run_state(at):
    return at.session_state["unlearn_run"]


def weights_digest(model) -> str:
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def test_running_advances_the_engine_one_step_per_tick_at_1x():
    # Every script run is one tick of the live fragment (AppTest runs no timers), and a tick at 1x is one
    # optimiser step on any machine: the steps seen are exact, not "some".
    at = unlearn_page(lr="0.001")                      # the paper's lr: 36 steps, longer than a few ticks
    at.button(key="btn_run").click().run()
    assert at.button(key="btn_pause")                  # Run turned into Pause; the click's own run ticked once
    seen = [run_state(at).run.step]
    for _ in range(3):
        at.run()
        seen.append(run_state(at).run.step)
    assert not at.exception
    assert seen == [1, 2, 3, 4]
    assert [f.step for f in run_state(at).run.frames] == [0, 1, 2, 3, 4]      # every step is a map frame
    assert step_line(at).startswith("**Step 4**")


def test_the_speed_sets_the_steps_per_tick_and_replay_plays_the_frames_again():
    at = unlearn_page(lr="0.001")
    at.radio(key="unlearn_speed").set_value("4x").run()      # 2 frames a second x 4: 2 steps a tick
    at.button(key="btn_run").click().run()
    at.run()
    assert run_state(at).run.step == 4
    at.button(key="btn_replay").click().run()                # pauses, shows step 0 for a tick, then plays
    ctl = run_state(at).controller
    assert ctl.replaying and ctl.shown_step == 0 and run_state(at).status == "paused"
    shown = []
    while ctl.replaying:
        at.run()
        shown.append(ctl.shown_step)
    assert shown == [2, 4] and run_state(at).run.step == 4 and not at.exception


def test_the_figures_hold_the_forget_samples_their_trails_and_the_threshold():
    at = unlearn_page()
    for _ in range(3):
        at.button(key="btn_step").click().run()
    map_fig, accuracy, losses, cluster = figures(at)
    assert {FORGET_TRACE, TRAIL_TRACE} <= set(trace_names(map_fig))
    forget = next(t for t in map_fig["data"] if t["name"] == FORGET_TRACE)
    split = run_state(at).run.prep.split
    assert len(values(forget["x"])) == int(split.probe_is_forget.sum())
    # customdata[0]: the position in the probe set, which the hover component looks the image up with.
    assert values(forget["customdata"])[:, 0].tolist() == list(range(int(split.probe_is_forget.sum())))
    threshold = next(t for t in accuracy["data"] if t["name"].startswith(THRESHOLD_PREFIX))
    assert values(threshold["y"])[0] == pytest.approx(1 / split.num_classes)
    assert len(losses["data"]) == 2                                       # L_UL and L_CE
    # Leaving the cluster, in numbers: both measures at every evaluated step so far (digits class: every 4).
    evaluated = run_state(at).run.evaluated
    assert [values(t["x"]).tolist() for t in cluster["data"]] == [[s.step for s in evaluated]] * 2


def test_step_advances_exactly_one_optimiser_step_and_pause_stops_the_ticks():
    at = unlearn_page(lr="0.001")
    at.button(key="btn_step").click().run()
    assert run_state(at).run.step == 1 and run_state(at).status == "paused"
    at.button(key="btn_step").click().run()
    assert run_state(at).run.step == 2
    at.button(key="btn_run").click().run()                  # one tick: step 3
    assert run_state(at).run.step == 3
    at.button(key="btn_pause").click().run()
    at.run()
    at.run()
    assert run_state(at).status == "paused" and run_state(at).run.step == 3


def test_the_timeline_scrubs_back_to_an_earlier_frame():
    at = unlearn_page()
    for _ in range(3):
        at.button(key="btn_step").click().run()
    newest = run_state(at).run.step
    at.select_slider(key="unlearn_timeline").set_value(0).run()
    map_fig = figures(at)[0]
    assert f"step 0 (newest frame: step {newest})" in map_fig["layout"]["title"]["text"]
    run = run_state(at).run
    forget = next(t for t in map_fig["data"] if t["name"] == FORGET_TRACE)
    assert values(forget["x"])[0] == pytest.approx(float(run.frame_xy(0)[0, 0]), abs=1e-4)


def test_while_running_a_late_echo_of_the_handle_does_not_pause_but_a_drag_does():
    """The browser sends back values the server set ticks ago (timeline_echo.py): the run goes on through
    them; a drag further back pauses it there."""
    at = unlearn_page(lr="0.001")
    at.button(key="btn_run").click().run()
    while run_state(at).run.step < 9:
        at.run()
    newest = run_state(at).controller.shown_step
    at.select_slider(key="unlearn_timeline").set_value(newest - 3).run()      # an echo, three ticks late
    assert run_state(at).status == "running" and run_state(at).controller.shown_step > newest
    at.select_slider(key="unlearn_timeline").set_value(0).run()               # a drag to the start
    assert run_state(at).status == "paused" and run_state(at).controller.shown_step == 0


def test_reset_and_a_changed_setting_mid_run_drop_the_run():
    at = unlearn_page()
    at.button(key="btn_run").click().run()
    at.run()
    assert run_state(at).run.step > 0
    at.button(key="btn_reset").click().run()
    assert run_state(at).status == "idle" and not run_state(at).run.frames
    at.button(key="btn_run").click().run()
    at.sidebar.number_input(key="cfg.seed").set_value(1).run()
    wait_until_prepared(at)
    assert not at.exception
    assert run_state(at).status == "idle" and run_state(at).cfg.forget.seed == 1 and not run_state(at).run.frames


def test_the_url_holds_the_whole_configuration_both_ways():
    params = {"mode": "sample", "count": "40", "seed": "2", "lr": "0.02", "lambda_ce": "2.5", "fps": "4.0"}
    at = open_page(**params)
    cfg = at.session_state["app_config"]
    assert (cfg.forget.mode, cfg.forget.count, cfg.forget.seed, cfg.hyper.lr, cfg.hyper.lambda_ce, cfg.view.fps) == (
        "sample", 40, 2, 0.02, 2.5, 4.0)
    assert at.sidebar.number_input(key="cfg.count").value == 40
    url = dict(at.query_params)
    assert AppConfig.from_query(url) == (cfg, [])                          # every field is in the URL
    at.sidebar.number_input(key="cfg.seed").set_value(7).run()
    assert at.query_params["seed"] == "7"
    reopened = open_page(**dict(at.query_params))                         # opening the link restores it
    assert reopened.session_state["app_config"] == at.session_state["app_config"]


def test_two_sessions_run_side_by_side_without_touching_the_shared_original():
    a = unlearn_page()
    b = unlearn_page(mode="sample", count="60", seed="1")
    originals = [run_state(x).run.prep.original.model for x in (a, b)]
    before = [weights_digest(m) for m in originals]
    a.button(key="btn_run").click().run()
    b.button(key="btn_run").click().run()
    for _ in range(2):
        a.run()
        b_step = run_state(b).run.step
        b.run()
        assert run_state(b).run.step >= b_step
    assert run_state(a).run.step > 0 and run_state(b).run.step > 0
    assert run_state(a).cfg.forget.mode == "class" and run_state(b).cfg.forget.mode == "sample"
    assert [weights_digest(m) for m in originals] == before


def test_a_run_to_its_end_shows_the_banner_the_results_and_the_downloads():
    at = unlearn_page(max_steps="6")
    at.button(key="btn_run").click().run()
    for _ in range(5):                                                     # one step a tick: 6 ticks in all
        at.run()
    assert run_state(at).status == "stopped"
    banner = " ".join(w.value for w in at.warning) + " ".join(s.value for s in at.success)
    assert "Stopped at step 6: step budget (6) reached" in banner
    assert any(t["name"] == "stopped at step 6" for t in figures(at)[1]["data"])
    wait_until_prepared(at)                                                # the retrain reference
    table = at.dataframe[0].value
    assert table["retrain"].notna().all() and table["original"].notna().all()
    assert "**Compute:**" in " ".join(m.value for m in at.markdown)      # the cost against retraining
    run, cfg = run_state(at).run, run_state(at).cfg
    reference = reference_job(cfg.prep_key(), run.prep).result          # the job the page waited for (cached)
    report = json.loads(report_json(run, reference, cfg))
    assert report["steps"] == 6 and report["metrics"]["retrain"]["forget_test_acc"] == 0.0
    assert report["app_config"]["max_steps"] == "6"
    where = report["where_forgotten"]                                     # where the forgotten fives went
    assert set(where["class_accuracy"]) == {"original", "unlearned", "retrain"} and where["class_accuracy"]["retrain"][5] == 0
    assert sum(where["forget_confusion"]["unlearned"][5]) == len(run.prep.split.forget_train)
    rows = curves_csv(run).strip().splitlines()
    assert rows[0].startswith("step,round,L_UL,L_CE") and len(rows) == 1 + 7          # steps 0..6
    html = figures_html(run, ["data:image/png;base64,AAAA"] * len(run.prep.split.probe))
    assert html.count("Plotly.newPlot") == 3 and "Plotly.addFrames" in html        # the map animates
    assert "unlearnHoverImages([" in html                                          # hover images offline too


def test_the_termination_banner_and_marker_when_the_test_fires():
    at = unlearn_page(lr="0.1")                                             # fires within a few steps
    at.button(key="btn_run").click().run()
    for _ in range(60):
        if run_state(at).status == "stopped":
            break
        at.run()
    final = run_state(at).run.final
    assert final.terminated
    # Green when clean; a warning when the utility guard tripped too (lr 0.1 collapses utility).
    banners = at.warning if final.utility_guard["tripped"] else at.success
    assert any(s.value.startswith(f"Stopped at step {final.step}: terminated") for s in banners)
    assert any(t["name"] == f"{TERMINATION_PREFIX} at step {final.step}" for t in figures(at)[1]["data"])


def test_a_diverging_run_stops_with_its_reason_and_every_download_still_builds():
    # The largest values UnlearnConfig allows (unlearn_core/configs.py): the model blows up within a few steps.
    at = unlearn_page(lr="10", tau="0.01", lambda_ul="1000", lambda_ce="1000", momentum="0.999")
    at.button(key="btn_run").click().run()
    for _ in range(60):                                                    # one step a tick; stops far sooner
        if run_state(at).status == "stopped":
            break
        at.run()
    ctl, run = run_state(at).controller, run_state(at).run
    assert ctl.status == "stopped" and ctl.diverged and ctl.error is None, (ctl.status, ctl.error)
    assert not at.exception
    banner = " ".join(w.value for w in at.warning)
    assert f"Stopped at step {run.final.step}: diverged at step" in banner, banner
    assert "the last frame that has every point" in " ".join(i.value for i in at.info)
    # The newest frame holds non-finite embeddings: the map shows the last one every point of which is placed.
    assert ctl.shown_index < len(run.frames) - 1
    assert f"step {ctl.shown_step} (newest frame" in figures(at)[0]["layout"]["title"]["text"]
    wait_until_prepared(at)                                                # the retrain reference
    assert not at.exception and at.dataframe                               # the results table is drawn
    cfg = run_state(at).cfg
    reference = reference_job(cfg.prep_key(), run.prep).result
    report = json.loads(report_json(run, reference, cfg))
    assert report["steps"] == run.final.step
    json.dumps(report, allow_nan=False)                                    # strict JSON: no NaN a reader rejects
    assert curves_csv(run).count("\n") >= 2
    html = figures_html(run, ["data:image/png;base64,AAAA"] * len(run.prep.split.probe))
    assert html.count("Plotly.newPlot") == 3 and "diverged at step" in html


def guard_data(at) -> dict:
    """The live view's fragment guard (app_ui/fragment_guard.py) as the page last drew it."""
    guards = [json.loads(c.proto.json) for c in at.get("bidi_component")
              if c.proto.component_name.endswith("unlearn_fragment_guard")]
    return next(d for d in guards if d.get("role") == "guard" and d["name"] == "live_view")


def test_the_live_views_guard_watches_only_while_the_run_ticks():
    # The guard reruns the page when the ticking fragment's runs stop coming (tests/test_browser_fragment_guard.py
    # drops them in a real browser); idle, paused or stopped there is nothing to watch, so it must sleep.
    at = unlearn_page(max_steps="3")
    assert not guard_data(at)["active"]
    at.button(key="btn_run").click().run()
    assert guard_data(at)["active"] and guard_data(at)["stall_ms"] >= 8000
    at.button(key="btn_pause").click().run()
    assert not guard_data(at)["active"]
    at.button(key="btn_run").click().run()
    while run_state(at).status == "running":
        at.run()
    assert run_state(at).status == "stopped" and not guard_data(at)["active"] and not at.exception
