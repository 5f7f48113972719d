"""The guided story: moments found on hand-made runs, the captions shown at a step, every caption of
assets/presets.json tied to a known moment, and every digits preset's run reaching each of its captions."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app_testing import TINY_EPOCHS
from app_ui.app_config import AppConfig
from app_ui.presets import load_presets
from app_ui.live.story import Caption, Moment, RunSoFar, captions_at, find_moments
from unlearn_core import Outcome, prepare, unlearn
from unlearn_core.steps import Step, Termination

LABELS = np.array([5, 5, 5])          # three forget samples of class 5


def evaluated(step: int, fired: bool, **extra) -> Step:
    term = Termination("forget-test accuracy <= 1/C", 0.05 if fired else 0.6, 0.1, fired)
    return Step(step, 1, {}, 0.0, eval={"forget_test_acc": term.value}, termination=term, **extra)


def run(*, evals, predictions, rounds=(), final=None) -> RunSoFar:
    return RunSoFar(evaluated=evals, final=final, rounds=list(rounds),
                    predictions=[(s, np.array(p)) for s, p in predictions], forget_labels=LABELS)


def test_a_fresh_run_is_at_its_start():
    assert find_moments(run(evals=[], predictions=[])) == {Moment.START: 0}


def test_each_moment_is_the_first_step_that_shows_it():
    final = replace(evaluated(8, True), outcome=Outcome.TERMINATED)
    moments = find_moments(run(
        evals=[evaluated(0, False), evaluated(4, False), evaluated(8, True)], final=final,
        rounds=[(1, 1), (2, 1), (3, 2), (4, 2)],
        predictions=[(0, [5, 5, 3]), (2, [5, 5, 3]), (3, [5, 1, 2]), (5, [0, 1, 2])]))
    # step 3: the second sample, recognised at step 0, is called 1 (the third was never recognised)
    assert moments == {Moment.START: 0, Moment.SECOND_ROUND: 3, Moment.LEAVING: 3, Moment.THRESHOLD: 8,
                       Moment.STOP: 8}


def test_a_sample_misread_from_the_start_is_not_leaving():
    moments = find_moments(run(evals=[evaluated(0, False)], predictions=[(0, [5, 2, 5]), (1, [5, 7, 5])]))
    assert Moment.LEAVING not in moments


def test_the_threshold_can_pass_before_the_stop_and_a_run_can_stop_without_it():
    # The paper's schedule: the curve crosses at step 4, the test that stops comes at the round's end.
    crossed = find_moments(run(evals=[evaluated(0, False), evaluated(4, True)], predictions=[],
                               final=replace(evaluated(12, True), outcome=Outcome.TERMINATED)))
    assert (crossed[Moment.THRESHOLD], crossed[Moment.STOP]) == (4, 12)
    capped = find_moments(run(evals=[evaluated(0, False)], predictions=[],
                              final=replace(evaluated(36, False), outcome=Outcome.ROUND_CAP)))
    assert Moment.THRESHOLD not in capped and capped[Moment.STOP] == 36


STORY = (Caption(Moment.START, "start"), Caption(Moment.LEAVING, "leaving"), Caption(Moment.THRESHOLD, "threshold"),
         Caption(Moment.STOP, "stop"))


@pytest.mark.parametrize("shown_step, texts", [
    (None, ["start"]), (0, ["start"]), (4, ["start"]),         # round_2 at 5 has no caption in this story
    (7, ["leaving"]), (11, ["leaving"]), (12, ["threshold", "stop"]), (30, ["threshold", "stop"]),
])
def test_the_captions_shown_are_those_of_the_latest_captioned_moment(shown_step, texts):
    moments = {Moment.START: 0, Moment.SECOND_ROUND: 5, Moment.LEAVING: 7, Moment.THRESHOLD: 12, Moment.STOP: 12}
    assert [c.text for c in captions_at(STORY, moments, shown_step)] == texts


def test_a_replay_goes_back_to_the_first_caption():
    moments = {Moment.START: 0, Moment.LEAVING: 7, Moment.STOP: 12}
    assert [c.text for c in captions_at(STORY, moments, 0)] == ["start"]


def test_every_preset_tells_a_story_of_three_to_five_captions():
    for preset in load_presets():
        assert 3 <= len(preset.captions) <= 5, preset.id
        assert preset.captions[0].at is Moment.START and preset.captions[-1].at is Moment.STOP, preset.id
        order = list(Moment)
        assert [order.index(c.at) for c in preset.captions] == sorted(order.index(c.at) for c in preset.captions)


@pytest.mark.parametrize("preset", [p for p in load_presets() if dict(p.settings)["dataset"] == "digits"],
                         ids=lambda p: p.id)
def test_each_digits_preset_reaches_every_moment_its_captions_name(preset, monkeypatch):
    monkeypatch.setenv("UNLEARN_TRAIN_EPOCHS", TINY_EPOCHS)
    exp = preset.apply(AppConfig(device="cpu")).experiment()
    prep = prepare(exp)
    is_forget = prep.split.probe_is_forget
    evals, rounds, predictions, final = [], [], [], None
    for step in unlearn(prep.fresh_model(), prep.data, prep.split, exp.unlearn_config(), device=prep.device):
        evals += [step] if step.eval is not None else []
        rounds += [(step.step, step.round)] if step.losses else []
        if step.probe is not None:
            predictions.append((step.step, step.probe.probs.argmax(axis=1)[is_forget]))
        final = step if step.stop else None
    labels = prep.data.train_y.numpy()[prep.split.probe][is_forget]
    moments = find_moments(RunSoFar(evals, final, rounds, predictions, labels))
    assert {c.at for c in preset.captions} <= set(moments), moments
