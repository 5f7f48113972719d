"""The Step records the unlearning generator yields: what each one holds, when it is evaluated, when it
carries probe embeddings, and that a consumer may walk away from the generator at any step."""
from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch

from unlearn_core import UnlearnConfig, UserInputError, unlearn
from unlearn_core.metrics import METRIC_KEYS
from unlearn_core.runner import evaluate_small

# Small real updates: the model changes, but nothing is forgotten within these budgets.
GENTLE = UnlearnConfig(lr=1e-4, batch_size=64, omega=2, max_rounds=1, eval_every=1000)


def run(prep, cfg, model=None, **kwargs):
    return list(unlearn(model or prep.fresh_model(), prep.data, prep.split, cfg, device="cpu", **kwargs))


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_step_zero_is_the_untouched_model(class_prep):
    model = class_prep.fresh_model()
    gen = unlearn(model, class_prep.data, class_prep.split, GENTLE, device="cpu")
    first = next(gen)
    assert (first.step, first.round, first.losses, first.stop) == (0, 0, {}, False)
    # step 0 measured the untouched model (the warm-up used a copy)
    assert first.eval == evaluate_small(class_prep.original.model, class_prep.data, class_prep.split,
                                        torch.device("cpu"))
    assert set(first.eval) == {f"{name}_acc" for name in class_prep.split.eval_sets}
    assert first.eval["forget_test_acc"] > 0.5                  # the original still knows class 5
    assert first.termination is not None and not first.termination.fired
    second = next(gen)
    assert second.step == 1 and second.round == 1 and set(second.losses) == {"L_UL", "L_CE", "total"}
    assert not same_weights(model, class_prep.original.model)
    gen.close()


def test_evaluated_every_eval_every_steps_and_at_the_end(class_prep):
    # 146 forget samples in batches of 64 = 3 forget batches; omega 2: 6 steps in the one round
    steps = run(class_prep, replace(GENTLE, eval_every=4), final_metrics=True)
    assert [s.step for s in steps] == list(range(0, 7))          # one Step a step, the closing one last
    assert [s.stop for s in steps] == [False] * 6 + [True]
    assert {s.step for s in steps if s.eval is not None} == {0, 4, 6}
    assert all((s.termination is not None) == (s.eval is not None) for s in steps)
    last = steps[-1]
    assert last.stop and last.step == 6 and last.eval is not None
    assert set(last.metrics) == set(METRIC_KEYS)                # every metric, on the full splits
    assert all(s.metrics is None for s in steps[:-1])
    assert [s.round for s in steps[1:]] == [1] * (len(steps) - 1)
    assert all(a.seconds <= b.seconds for a, b in zip(steps, steps[1:]))
    assert all(np.isfinite(list(s.losses.values())).all() for s in steps[1:])


def test_probe_frames_at_probe_every_with_the_probe_set_shapes(class_prep):
    steps = run(class_prep, replace(GENTLE, probe_every=2, max_steps=5), final_metrics=False)
    probed = [s.step for s in steps if s.probe is not None]
    assert probed == [0, 2, 4, 5]                                # the cadence, and the final step
    n_probe, n_classes = len(class_prep.split.probe), class_prep.data.num_classes
    for s in steps:
        if s.probe is None:
            continue
        emb, probs = s.probe.embeddings, s.probe.probs
        assert emb.shape == (n_probe, 128) and probs.shape == (n_probe, n_classes)   # [P, D], [P, C]
        assert emb.dtype == np.float32 and probs.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    first, last = steps[0].probe, steps[-1].probe
    assert not np.array_equal(first.embeddings, last.embeddings)   # the map moves as the model changes


def test_no_probe_frames_unless_asked(class_prep):
    assert all(s.probe is None for s in run(class_prep, replace(GENTLE, max_steps=2), final_metrics=False))


def test_the_generator_may_be_abandoned_and_leaves_nothing_behind(class_prep):
    """Stop after two steps, then run the same configuration to its end: the full run matches one that
    never had an abandoned run before it (nothing global carried over)."""
    cfg = replace(GENTLE, max_steps=4)
    reference = [s.losses for s in run(class_prep, cfg, final_metrics=False)]

    model = class_prep.fresh_model()
    gen = unlearn(model, class_prep.data, class_prep.split, cfg, device="cpu")
    taken = list(itertools.islice(gen, 3))
    gen.close()
    assert [s.step for s in taken] == [0, 1, 2] and not any(s.stop for s in taken)
    assert torch.is_grad_enabled()
    assert all(torch.isfinite(v.float()).all() for v in model.state_dict().values())

    again = [s.losses for s in run(class_prep, cfg, final_metrics=False)]
    assert again == reference
    assert same_weights(class_prep.fresh_model(), class_prep.original.model)   # the shared original untouched


def test_history_entries_are_json_ready(class_prep):
    import json

    steps = run(class_prep, replace(GENTLE, eval_every=3, max_steps=3), final_metrics=False)
    entries = [s.history_entry() for s in steps if s.eval is not None]
    assert [e["step"] for e in entries] == [0, 3]        # the step budget's closing evaluation
    assert json.loads(json.dumps(entries)) == entries
    assert entries[-1]["termination"]["threshold"] == pytest.approx(0.1)


def test_bad_arguments_are_user_errors(class_prep):
    with pytest.raises(UserInputError, match="unknown method"):
        next(unlearn(class_prep.fresh_model(), class_prep.data, class_prep.split, GENTLE, method="nope"))
    with pytest.raises(UserInputError, match="lr"):
        next(unlearn(class_prep.fresh_model(), class_prep.data, class_prep.split, replace(GENTLE, lr=-1.0)))


def test_every_evaluation_measures_leaving_the_cluster_on_that_steps_embeddings(class_prep):
    from unlearn_core.leaving_cluster import measures_of_probe

    steps = run(class_prep, replace(GENTLE, eval_every=2, probe_every=1, max_steps=4), final_metrics=False)
    assert all((s.embedding is not None) == (s.eval is not None) for s in steps)
    for s in steps:
        if s.eval is not None:       # the same numbers as the step's own probe embeddings give
            assert s.embedding == measures_of_probe(s.probe.embeddings, class_prep.data, class_prep.split)
