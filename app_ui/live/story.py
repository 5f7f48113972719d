"""A preset's guided story: captions tied to measurable moments of a run, and which ones to show now.

    moments = find_moments(RunSoFar(evaluated, final, rounds, predictions, forget_labels))  # {Moment.START: 0, ...}
    for caption in captions_at(preset.captions, moments, shown_step):
        caption.text                                        # what the page shows at the shown frame

The moments, each the step at which it happens (a moment the run has not reached yet is absent):
- start: step 0, the original model.
- round_2: the first step of the second round (every forget batch has been an anchor batch once).
- leaving: the first forget sample leaves its class in the model's eyes: the first map frame in which the
  model predicts another class for a forget sample that it predicted correctly at step 0 (on the map, a
  diamond changes colour). Measured on predictions, not on the embedding's own_class_knn: in class mode the
  forget samples move away together, so each keeps its fellow forget samples as nearest neighbours and
  own_class_knn stays at 1 through a whole digits run (seed 0) while every five's prediction changes.
- threshold: the first evaluated step whose termination test passed (class mode: forget-test accuracy
  <= 1/C; sample mode: forget accuracy <= test accuracy), whether or not the run stopped there (with the
  paper's schedule the test that stops a run comes only at a round's end).
- stop: the run's closing step.

Pure functions of the run's evaluated Steps: the live view calls them on every frame, during a live run
(moments appear as the run reaches them), a replay or a seek (the shown step decides), alike.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:       # the presets (Caption, Moment) are read on the Start page's first run, without numpy
    import numpy as np

    from unlearn_core.steps import Step


class Moment(enum.StrEnum):
    START = "start"
    SECOND_ROUND = "round_2"
    LEAVING = "leaving"
    THRESHOLD = "threshold"
    STOP = "stop"


@dataclass(frozen=True)
class Caption:
    at: Moment          # the moment it belongs to
    text: str           # one or two sentences, Markdown


@dataclass(frozen=True, eq=False)
class RunSoFar:
    """What a run has recorded so far, as the moments need it (the app builds it from a LiveRun)."""
    evaluated: Sequence[Step]                          # evaluated Steps, in order
    final: Step | None                                 # the closing Step; None while the run goes on
    rounds: Sequence[tuple[int, int]]                  # (step, round) of every optimiser step, in order
    predictions: Sequence[tuple[int, np.ndarray]]      # (step, predicted class [F] of the forget samples)
    forget_labels: np.ndarray                          # int [F]: the forget samples' true classes
    # `predictions` holds one entry per map frame, in order, step 0 first


def find_moments(run: RunSoFar) -> dict[Moment, int]:
    """The step of every moment the run has reached so far (see the module's docstring)."""
    import numpy as np

    moments = {Moment.START: 0}
    second_round = next((step for step, round_no in run.rounds if round_no >= 2), None)
    leaving = _first_leaving(run.predictions, np.asarray(run.forget_labels))
    tested = [*run.evaluated, *([run.final] if run.final is not None else [])]
    crossed = next((s.step for s in tested if s.termination is not None and s.termination.fired), None)
    found = {Moment.SECOND_ROUND: second_round, Moment.LEAVING: leaving, Moment.THRESHOLD: crossed,
             Moment.STOP: run.final.step if run.final is not None else None}
    moments.update({moment: step for moment, step in found.items() if step is not None})
    return moments


def _first_leaving(predictions: Sequence[tuple[int, np.ndarray]], labels: np.ndarray) -> int | None:
    if not predictions or predictions[0][0] != 0:
        return None                     # no step-0 predictions to compare with
    import numpy as np

    recognised = np.asarray(predictions[0][1]) == labels
    return next((step for step, predicted in predictions[1:]
                 if (recognised & (np.asarray(predicted) != labels)).any()), None)


def captions_at(captions: Iterable[Caption], moments: dict[Moment, int], shown_step: int | None) -> list[Caption]:
    """The captions of the latest captioned moment at or before `shown_step` (several when moments
    coincide, e.g. a run that stops at the step its test passed), in the story's order. A moment the story
    has no caption for leaves the previous caption up. None: nothing shown yet (before Run), step 0."""
    captions = list(captions)
    step = 0 if shown_step is None else shown_step
    told = {c.at for c in captions}
    reached = [s for moment, s in moments.items() if moment in told and s <= step]
    if not reached:
        return []
    latest = max(reached)
    return [c for c in captions if moments.get(c.at) == latest]
