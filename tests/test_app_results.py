"""The Unlearn page's results and the Compare table tell the truth in words: both costs with "slower" where
a run was slower, the privacy score labelled, the utility guard when it trips, no "None" cell, display
names, and the forget samples the membership attack still calls members, as images."""
from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

import pytest

from app_testing import TINY_EPOCHS, Browser, figures, open_page, player_data, send, values, wait_until_prepared
from app_ui.compare_table import NOT_APPLICABLE, results_table, styled
from app_ui.member_samples import SHOWN, STATE_KEY, remembered_samples, thumbnails_html
from app_ui.jobs.resources import reference_job
from app_ui.live.recording import RECORDINGS
from app_ui.results import cost_markdown, guard_message, metrics_table, unlearned_metrics, where_forgotten
from unlearn_core import unlearn
from unlearn_core.compare import summarise
from unlearn_core.experiment import reference, run_method
from unlearn_core.steps import Step

WRONG_WAY = re.compile(r"\b0\.\d+x faster")      # a slower run said as a fraction of "faster"


@pytest.fixture(scope="module")
def finished(class_prep):
    """(model, closing Step, reference) of a short contrastive run on digits class 5."""
    model = class_prep.fresh_model()
    *_, final = unlearn(model, class_prep.data, class_prep.split, class_prep.exp.unlearn_config(), device="cpu")
    return model, final, reference(class_prep)


# ---- streamlit-free ---------------------------------------------------------------------------------

def fake_cost(unlearn_seconds: float, retrain_seconds: float, from_cache: bool):
    final = Step(step=20, round=1, losses={}, seconds=unlearn_seconds, flops=2e9)
    ref = SimpleNamespace(retrain_flops=8e10, retrain=SimpleNamespace(seconds=retrain_seconds, from_cache=from_cache))
    return final, ref


def test_the_cost_says_both_ratios_in_words_and_where_the_retrain_time_comes_from():
    text = cost_markdown(*fake_cost(10.0, 2.5, from_cache=True))
    assert "40.0x faster" in text                        # FLOPs: 8e10 / 2e9
    assert "4.0x slower" in text and not WRONG_WAY.search(text)
    assert "read from the cache file" in text and "the same on any machine" in text
    assert "measured in this run" in cost_markdown(*fake_cost(1.0, 3.0, from_cache=False))


def test_the_utility_guard_speaks_only_when_it_tripped(finished):
    _, final, _ = finished
    tripped = replace(final, utility_guard={"key": "remain_test_acc", "drop": 0.42, "margin": 0.1, "tripped": True})
    message = guard_message(tripped)
    assert message.startswith("Utility guard:") and "42.0 points" in message and "margin 10 points" in message
    assert guard_message(replace(final, utility_guard={**tripped.utility_guard, "tripped": False})) is None


def test_the_results_table_has_no_empty_cell_before_or_after_the_retrain(finished):
    _, final, ref = finished
    before = metrics_table(unlearned_metrics(final, None), None, None, "class").dropna(axis=1, how="all")
    assert not before.isna().any().any() and "Avg. Gap to retrain" not in set(before["metric"])
    after = metrics_table(unlearned_metrics(final, ref), ref.original_metrics, ref.retrain_metrics, "class")
    assert not after.isna().any().any()
    privacy = after.set_index("metric").loc["Privacy score x100 (worst case vs retrain)"]
    assert privacy["retrain"] == 100 and 0 <= privacy["unlearned"] <= 100
    assert "higher = more private" in privacy["meaning"]


def test_the_member_samples_are_the_ones_the_reported_rate_counts(finished, class_prep):
    model, final, ref = finished
    found = remembered_samples(model, class_prep)
    assert found.forget_size == len(class_prep.split.forget_train)
    assert found.count == round(final.metrics["mia_member_rate"] * found.forget_size)   # one attack, one seed
    # The original model still remembers most of the fives: the grid has something to show.
    found = remembered_samples(class_prep.original.model, class_prep)
    assert found.count == round(ref.original_metrics["mia_member_rate"] * found.forget_size) > SHOWN
    assert set(found.train_index) <= set(class_prep.split.forget_train)
    assert (found.labels == 5).all() and list(found.confidence) == sorted(found.confidence, reverse=True)
    html = thumbnails_html(found, class_prep)
    assert html.count("<img ") == min(SHOWN, found.count) and "label 5" in html


def test_the_compare_table_shows_privacy_and_flops_speed_up_in_words_and_no_none(class_prep):
    ref = reference(class_prep)
    reports = [run_method(class_prep, ref, m).report for m in ("contrastive", "boundary_expanding")]
    rows = summarise(reports)
    rows[2]["values"]["speedup"] = (0.25, 0.0)          # as if the machine had been busy: slower than retrain
    table, best = results_table(rows)
    assert list(table["method"]) == ["Original", "Retrain (reference)", "Contrastive", "Boundary Expanding"]
    assert {"privacy score (x100)", "FLOPs speed-up", "speed-up"} <= set(table.columns)
    assert table.loc[1, "privacy score (x100)"] == 100          # the retrain against itself
    html = styled(table, best).to_html()
    assert "4.0x slower" in html and not WRONG_WAY.search(html)
    assert "None" not in html and "nan" not in html and NOT_APPLICABLE in html
    assert re.search(r"\d+\.\dx faster", html)                  # the FLOPs speed-up, in words


# ---- the page (AppTest) -----------------------------------------------------------------------------

@pytest.fixture
def tiny_recipe(monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)


def run_to_the_end(at):
    """Run pressed in the player, the recording to its end, and the player at its last frame ("end")."""
    browser = Browser()
    send(at, browser, "run")
    rec = RECORDINGS.by_id(browser.ids[0])
    rec.job.wait(300)
    send(at, browser, "want")
    send(at, browser, "end")
    return at, rec


def test_a_finished_run_shows_both_costs_the_privacy_row_and_the_remembered_samples(tiny_recipe):
    at, run = run_to_the_end(wait_until_prepared(open_page("pages/unlearn.py", max_steps="6")))
    assert not at.dataframe[0].value.isna().any().any()          # whether or not the retrain is ready yet
    wait_until_prepared(at)                                        # the retrain reference
    assert not at.exception
    table = at.dataframe[0].value
    assert not table.isna().any().any()
    assert "Privacy score x100 (worst case vs retrain)" in set(table["metric"])
    text = " ".join(m.value for m in at.markdown)
    assert "**Compute:**" in text and "**Wall-clock:**" in text and not WRONG_WAY.search(text)
    assert re.search(r"\*\*(\d+\.\dx (faster|slower)|about as fast)\*\*", text)
    assert "read from the cache file" in text or "measured in this run" in text

    # Where the forgotten samples go: the class-wise bars and the two single-row matrices of the fives.
    charts = {f["layout"]["title"]["text"]: f for f in figures(at) if "title" in f["layout"]}
    bars = charts["Test accuracy per class"]
    assert [t["name"] for t in bars["data"]] == ["original", "unlearned", "retrain"]
    assert list(bars["data"][0]["x"])[5] == "5 (forgotten)"
    forget_size = len(run.prep.split.forget_train)
    for name in ("Unlearned", "Retrain"):
        heatmap = charts[f"{name} model: forget samples D^u_tr"]["data"][0]
        assert list(heatmap["y"]) == ["5"] and values(heatmap["z"]).sum() == forget_size
    assert sum("predicts the " + str(forget_size) + " forget samples (class 5) as" in m.value for m in at.markdown) == 2
    # The same numbers as the metrics table's, from the whole test set and D^u_tr.
    ref = reference_job(at.session_state["app_config"].prep_key(), run.prep).result   # the page's (cached)
    where = where_forgotten(run, ref)
    assert where["class_accuracy"]["unlearned"][5] == pytest.approx(run.final.metrics["forget_test_acc"])
    confusion = where["forget_confusion"]["unlearned"]
    assert confusion[5][5] / forget_size == pytest.approx(run.final.metrics["forget_train_acc"])
    at.button(key="member_samples_show").click().run()
    assert not at.exception
    found = at.session_state[STATE_KEY][1]
    assert found.count == round(run.final.metrics["mia_member_rate"] * found.forget_size)
    text = " ".join(m.value for m in at.markdown)
    assert f"**{found.count} of {found.forget_size}** forget samples" in text and "the target" in text
    assert ("member-samples" in text) == (found.count > 0)


def test_a_run_that_wrecks_utility_says_so_beside_its_results(tiny_recipe):
    at, rec = run_to_the_end(wait_until_prepared(open_page("pages/unlearn.py", lr="0.1")))
    final = rec.final
    assert final.utility_guard["tripped"]                          # lr 0.1 collapses remaining-test accuracy
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Utility guard:") for w in warnings)
    banner = player_data(at)["lanes"][0]["final"]                  # the player's stop banner: not green
    assert banner["reason"].startswith("terminated") and not banner["clean"]
    assert not at.exception
