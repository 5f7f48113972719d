"""The unlearning loop as a generator of Steps, shared by every method.

    model = copy.deepcopy(original.model)            # unlearning changes the model in place
    for step in unlearn(model, data, split, UnlearnConfig(lr=1e-2)):
        print(step.step, step.losses, step.termination)
        if step.stop:
            print(step.stop_reason, step.metrics)

The method (contrastive by default; baselines register in METHODS) only performs optimiser steps.
This runner counts and times them, evaluates the small eval sets every `eval_every` steps and at the
end, applies the paper's termination test, records probe embeddings every `probe_every` steps, stops
on a step budget, and guards against a non-finite loss or weight by restoring the last good weights. The
consumer may stop iterating at any step; nothing global is touched.
"""
from __future__ import annotations

import copy
import time
from typing import Callable, Iterator

import numpy as np
import torch

from .baselines import BASELINES, WHOLE_BUDGET
from .batches import take
from .configs import UnlearnConfig
from .contrastive import contrastive_updates
from .data import ImageData
from .devices import pick_device
from .errors import UserInputError
from .metrics import accuracy, evaluate_model, infer
from .splits import Split
from .steps import ProbeFrame, Step, Termination, Update

# A method: (model, data, split, cfg, device, rng) -> optimiser-step Updates. Baselines: baselines/.
Method = Callable[[torch.nn.Module, ImageData, Split, UnlearnConfig, torch.device, np.random.Generator], Iterator[Update]]
METHODS: dict[str, Method] = {"contrastive": contrastive_updates, **BASELINES}
# Methods whose papers depend on running their whole budget (retrain; SCRUB's max/min and UNSIR's
# impair/repair phases): the termination test is still evaluated and recorded, but does not stop them.
RUNS_WHOLE_BUDGET: set[str] = set(WHOLE_BUDGET)


def evaluate_small(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device) -> dict[str, float]:
    """Accuracy on each small eval set, keyed like the metrics (forget_train_acc, ...)."""
    return {f"{name}_acc": accuracy(infer(model, data, es.source, es.indices, device))
            for name, es in split.eval_sets.items()}


def termination_test(split: Split, accs: dict[str, float]) -> Termination:
    """The paper's stopping rule. Class: Acc(D^u_ts) <= 1/C. Sample: Acc(D^u_eval) <= Acc(D^ts_eval)."""
    if split.mode == "class":
        value, threshold = accs["forget_test_acc"], 1.0 / split.num_classes
        rule = f"forget-test accuracy <= 1/C = {threshold:.3f}"
    else:
        value, threshold = accs["forget_train_acc"], accs["test_acc"]
        rule = "forget-eval accuracy <= test-eval accuracy"
    return Termination(rule=rule, value=value, threshold=threshold, fired=value <= threshold)


def probe_frame(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device) -> ProbeFrame:
    out = infer(model, data, "train", split.probe, device)
    return ProbeFrame(out.embeddings.numpy().astype(np.float32), out.probs().numpy().astype(np.float32))


def warm_up(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig, device: torch.device) -> None:
    """One untimed optimiser step on a throwaway copy of the model. The first optimiser in a process
    imports torch._dynamo and the first backward pass initialises autograd (about 2 s on a CPU): a
    one-time cost that would otherwise be charged to a 20-step unlearning run but not to the retrain
    it is compared with, which runs after it."""
    scratch = copy.deepcopy(model).train()
    opt = torch.optim.SGD(scratch.parameters(), lr=0.0, momentum=cfg.momentum)
    xb, _ = take(data.train_x, data.train_y, split.remain_train[:cfg.batch_size * 2], device)
    logits, z = scratch(xb)
    (logits.float().logsumexp(dim=1).mean() + z.sum()).backward()
    opt.step()


def _state_is_finite(model: torch.nn.Module) -> bool:
    """Every parameter and buffer finite (one device sync, not one per tensor)."""
    floats = [t for t in model.state_dict().values() if t.is_floating_point()]
    return bool(torch.stack([t.isfinite().all() for t in floats]).all()) if floats else True


def unlearn(model: torch.nn.Module, data: ImageData, split: Split, cfg: UnlearnConfig = UnlearnConfig(), *,
            method: str = "contrastive", device: torch.device | str | None = None,
            final_metrics: bool = True) -> Iterator[Step]:
    """Unlearn split.forget_train from `model` (in place), yielding one Step per optimiser step.

    Step 0 is the untouched model (evaluated, with a probe frame when probe_every > 0). The last Step
    has stop=True, a stop_reason and, when final_metrics, every metric on the full splits."""
    cfg.validate()
    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    device = pick_device(device or "auto") if not isinstance(device, torch.device) else device
    model.to(device)
    warm_up(model, data, split, cfg, device)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    updates = METHODS[method](model, data, split, cfg, device, rng)
    stops_on_test = method not in RUNS_WHOLE_BUDGET
    # Last good weights (parameters and buffers), refreshed before every update: a non-finite loss or
    # weight restores them, so the model handed back is never NaN.
    good = [t.detach().clone() for t in model.state_dict().values()]
    elapsed = 0.0

    def evaluated(step_no, round_no, losses, *, final=False, reason=None, guarded=False) -> Step:
        nonlocal elapsed
        start = time.perf_counter()
        accs = evaluate_small(model, data, split, device)
        term = termination_test(split, accs)
        elapsed += time.perf_counter() - start
        stop = final or (term.fired and stops_on_test)
        # The paper's test decides whenever it fires, also at the closing evaluation that a round or step
        # budget forced (else a run that reached the threshold on its last step reads "not terminated").
        # Only the NaN guard's reason outranks it: the restored weights are not where the run had got to.
        if term.fired and stops_on_test and not guarded:
            reason = f"terminated: {term.rule} ({term.value:.3f} <= {term.threshold:.3f})"
        probe = probe_frame(model, data, split, device) if cfg.probe_every and (
            step_no % cfg.probe_every == 0 or stop) else None
        metrics = evaluate_model(model, data, split, device) if stop and final_metrics else None
        return Step(step_no, round_no, losses, elapsed, accs, term, probe, metrics, stop, reason if stop else None)

    first = evaluated(0, 0, {})
    if first.stop:
        yield Step(**{**first.__dict__, "stop_reason": "terminated before any update: " + first.stop_reason.removeprefix("terminated: ")})
        return
    yield first

    step_no, round_no, losses = 0, 0, {}
    while True:
        for saved, live in zip(good, model.state_dict().values()):
            saved.copy_(live)
        start = time.perf_counter()
        update = next(updates, None)
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed += time.perf_counter() - start
        if update is None:
            yield evaluated(step_no, round_no, losses, final=True,
                            reason=f"max rounds ({cfg.max_rounds}) reached without termination" if stops_on_test
                            else f"max rounds ({cfg.max_rounds}) reached: {method} runs its whole budget")
            return
        # A finite loss does not make the update's result finite: the loss is computed before the step, and
        # a huge step can overflow the weights (or BatchNorm's running statistics) while the next losses
        # stay finite. So the weights are checked too, and the model handed back is never NaN or inf.
        if not all(np.isfinite(v) for v in update.losses.values()) or not _state_is_finite(model):
            for saved, live in zip(good, model.state_dict().values()):
                live.copy_(saved)
            yield evaluated(step_no, round_no, losses, final=True, guarded=True,
                            reason=f"non-finite loss or weights at step {step_no + 1}; weights restored to step {step_no}")
            return
        step_no, round_no, losses = step_no + 1, update.round, update.losses
        if step_no >= cfg.max_steps:
            yield evaluated(step_no, round_no, losses, final=True, reason=f"step budget ({cfg.max_steps}) reached")
            return
        if step_no % cfg.eval_every == 0:
            step = evaluated(step_no, round_no, losses)
            yield step
            if step.stop:
                return
        elif cfg.probe_every and step_no % cfg.probe_every == 0:
            yield Step(step_no, round_no, losses, elapsed, probe=probe_frame(model, data, split, device))
        else:
            yield Step(step_no, round_no, losses, elapsed)
