"""The unlearning loop as a generator of Steps, shared by every method.

    model = copy.deepcopy(original.model)            # unlearning changes the model in place
    for step in unlearn(model, data, split, UnlearnConfig(lr=1e-2)):
        print(step.step, step.losses, step.termination)
        if step.stop:
            print(step.stop_reason, step.metrics)

The method (contrastive by default; baselines register in METHODS) only performs optimiser steps.
This runner counts and times them, evaluates the small eval sets every `eval_every` steps and at the
end, applies the paper's termination test (termination.py), records probe embeddings every
`probe_every` steps, stops on a step budget, and guards against a non-finite loss or weight by
restoring the last good weights. The closing Step says why in a typed `outcome`. The consumer may stop
iterating at any step; the run's seed is set on torch's global generator (the baselines draw from it).
"""
from __future__ import annotations

import copy
import time
from dataclasses import replace
from typing import Callable, Iterator

import numpy as np
import torch

from .baselines import BASELINES, WHOLE_BUDGET
from .batches import take
from .configs import METHOD_NAMES, UnlearnConfig
from .contrastive import contrastive_updates
from .data import ImageData
from .devices import pick_device
from .errors import UserInputError
from .flops import FlopMeter
from .leaving_cluster import measures_of_probe
from .metrics import accuracy, evaluate_with_outputs, infer
from .splits import Split
from .steps import Outcome, ProbeFrame, Step, Update
from .termination import termination_test

# A method: (model, data, split, cfg, device, rng) -> optimiser-step Updates. Baselines: baselines/.
Method = Callable[[torch.nn.Module, ImageData, Split, UnlearnConfig, torch.device, np.random.Generator], Iterator[Update]]
METHODS: dict[str, Method] = {"contrastive": contrastive_updates, **BASELINES}
assert tuple(METHODS) == METHOD_NAMES, "configs.METHOD_NAMES names the registry's methods, in order"
# Methods whose papers depend on running their whole budget (retrain; SCRUB's max/min and UNSIR's
# impair/repair phases): the termination test is still evaluated and recorded, but does not stop them.
RUNS_WHOLE_BUDGET: set[str] = set(WHOLE_BUDGET)


def evaluate_small(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device) -> dict[str, float]:
    """Accuracy on each small eval set, keyed like the metrics (forget_train_acc, ...)."""
    return checked_eval(model, data, split, device)[0]


def checked_eval(model: torch.nn.Module, data: ImageData, split: Split,
                 device: torch.device) -> tuple[dict[str, float], bool]:
    """evaluate_small's accuracies, and whether every output was finite (huge but finite weights can
    overflow the logits: the run has diverged even though no weight is inf)."""
    outputs = {name: infer(model, data, es.source, es.indices, device) for name, es in split.eval_sets.items()}
    return {f"{name}_acc": accuracy(out) for name, out in outputs.items()}, all(o.finite() for o in outputs.values())


def utility_guard(before: dict, after: dict, mode: str, margin: float) -> dict:
    """How far utility on the eval set fell from step 0 to the end, and whether past `margin`: a run can pass
    the termination test while wrecking the rest (momentum near 1, batches of one)."""
    key = "remain_test_acc" if mode == "class" else "test_acc"
    drop = before[key] - after[key]
    return {"key": key, "drop": drop, "margin": margin, "tripped": drop > margin}


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

    Step 0 is the untouched model (evaluated, with a probe frame when probe_every > 0). Step numbers
    rise by one; exactly one Step closes the run: it has an `outcome` (stop=True), a stop_reason and,
    when final_metrics, every metric on the full splits, measured on the model as it is at that step.

    Whether step k closes the run is known only once the method has been asked for update k+1 (a method
    says it is done by ending), so step k is handed out after that update: while a consumer holds a
    non-closing Step, the model may already be one update further on."""
    cfg.validate()
    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    device = pick_device(device or "auto") if not isinstance(device, torch.device) else device
    model.to(device)
    warm_up(model, data, split, cfg, device)
    meter = FlopMeter(model, data, device)       # every forward from here on: updates and termination evals
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    updates = METHODS[method](model, data, split, cfg, device, rng)
    stops_on_test = method not in RUNS_WHOLE_BUDGET
    # Last good weights (parameters and buffers), refreshed before every update: a non-finite loss or
    # weight restores them, so the model handed back is never NaN.
    good = [t.detach().clone() for t in model.state_dict().values()]
    elapsed = cpu = 0.0

    def timed(work):
        nonlocal elapsed, cpu
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = work()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed += time.perf_counter() - start
        cpu += time.thread_time() - start_cpu
        return result

    def observe(step_no: int, round_no: int, losses: dict) -> Step | None:
        """Step `step_no` as the model is now: evaluated every eval_every steps, probed every probe_every.
        None when the evaluation's outputs are not finite (the run has diverged)."""
        accs = term = probe = embedding = None
        if step_no == 0 or (cfg.eval_every and step_no % cfg.eval_every == 0):
            accs, finite = timed(lambda: checked_eval(model, data, split, device))
            if not finite:
                return None
            term = termination_test(split.mode, split.num_classes, accs)
        if cfg.probe_every and step_no % cfg.probe_every == 0:
            with meter.paused():
                probe = probe_frame(model, data, split, device)
        if accs is not None:
            embedding = leaving_cluster_now(probe)
        return Step(step_no, round_no, losses, elapsed, meter.total, accs, term, probe, embedding=embedding,
                    cpu_seconds=cpu)

    def leaving_cluster_now(probe: ProbeFrame | None) -> dict:
        """The model's leaving-the-cluster numbers on the probe set (leaving_cluster.py), measured beside
        every evaluation: an instrument, so neither timed nor counted in the run's FLOPs."""
        with meter.paused():
            embeddings = probe.embeddings if probe is not None else infer(
                model, data, "train", split.probe, device).embeddings.numpy()
        return measures_of_probe(embeddings, data, split)

    def close(step: Step, outcome: Outcome, reason: str) -> Step:
        """`step` as the run's last: evaluated and probed if it was not, with the outcome and final metrics."""
        accs, term = step.eval, step.termination
        if accs is None:
            accs = timed(lambda: evaluate_small(model, data, split, device))
            term = termination_test(split.mode, split.num_classes, accs)
        # The paper's test decides whenever it fires, also at the closing evaluation that a round or step
        # budget forced (else a run that reached the threshold on its last step reads "not terminated").
        # Not after a divergence: the restored weights are not where the run had got to.
        if term.fired and stops_on_test and outcome is not Outcome.DIVERGED:
            outcome = Outcome.TERMINATED
            when = "before any update" if step.step == 0 else f"at step {step.step}"
            reason = f"terminated {when}: {term.rule} ({term.value:.3f} <= {term.threshold:.3f})"
        guard = utility_guard(first_eval, accs, split.mode, cfg.utility_margin)
        if guard["tripped"]:
            reason += (f"; utility guard: {guard['key']} fell {100 * guard['drop']:.1f} points below the "
                       f"original's (margin {100 * cfg.utility_margin:.0f})")
        flops = meter.total
        meter.close()                            # the report's metrics below are not part of the cost
        probe = step.probe
        if probe is None and cfg.probe_every:
            probe = probe_frame(model, data, split, device)      # after meter.close(): not counted
        embedding = step.embedding if step.embedding is not None else leaving_cluster_now(probe)
        metrics, forget_outputs = evaluate_with_outputs(model, data, split, device) if final_metrics else (None, None)
        return replace(step, seconds=elapsed, cpu_seconds=cpu, flops=flops, eval=accs, termination=term, probe=probe,
                       embedding=embedding, metrics=metrics, outcome=outcome, stop_reason=reason,
                       utility_guard=guard, forget_outputs=forget_outputs)

    def load(saved: list[torch.Tensor]) -> None:
        for source, live in zip(saved, model.state_dict().values()):
            live.copy_(source)

    def evaluated_before_update(step: Step) -> Step:
        """`step` evaluated as it was, from the weights saved before the update that followed it (the
        paper tests once a round, at its end, and a round's end is known only when the next one begins)."""
        now = [t.detach().clone() for t in model.state_dict().values()]
        load(good)
        accs, finite = timed(lambda: checked_eval(model, data, split, device))
        embedding = leaving_cluster_now(step.probe) if finite else None
        load(now)
        if not finite:
            return step
        return replace(step, seconds=elapsed, cpu_seconds=cpu, flops=meter.total, eval=accs, embedding=embedding,
                       termination=termination_test(split.mode, split.num_classes, accs))

    first_eval: dict = {}

    def steps() -> Iterator[Step]:
        step = observe(0, 0, {})
        if step is None:
            raise UserInputError("the model's outputs are not finite before any update; it cannot be unlearned")
        first_eval.update(step.eval)
        while True:
            if step.termination is not None and step.termination.fired and stops_on_test:
                yield close(step, Outcome.TERMINATED, "")
                return
            if step.step >= cfg.max_steps:
                yield close(step, Outcome.STEP_BUDGET, f"step budget ({cfg.max_steps}) reached")
                return
            for saved, live in zip(good, model.state_dict().values()):
                saved.copy_(live)
            update = timed(lambda: next(updates, None))
            if update is None:
                if stops_on_test:
                    yield close(step, Outcome.ROUND_CAP, f"max rounds ({cfg.max_rounds}) reached without termination")
                else:
                    yield close(step, Outcome.WHOLE_BUDGET,
                                f"max rounds ({cfg.max_rounds}) reached: {method} runs its whole budget")
                return
            # A finite loss does not make the update's result finite: the loss is computed before the step,
            # and a huge step can overflow the weights (or BatchNorm's running statistics) while the next
            # losses stay finite. So the weights are checked too, and at evaluated steps the outputs: the
            # model handed back is never NaN or inf and never overflows its logits on the eval sets.
            finite = all(np.isfinite(v) for v in update.losses.values()) and _state_is_finite(model)
            if finite and cfg.eval_every == 0 and step.eval is None and update.round != step.round:
                step = evaluated_before_update(step)          # `step` ended its round
                if step.termination is not None and step.termination.fired and stops_on_test:
                    load(good)                                  # stop where the test fired: undo the update
                    yield close(step, Outcome.TERMINATED, "")
                    return
            following = observe(step.step + 1, update.round, update.losses) if finite else None
            if following is None:
                load(good)
                yield close(step, Outcome.DIVERGED, f"diverged at step {step.step + 1} (non-finite loss, weights "
                                                    f"or outputs); weights restored to step {step.step}")
                return
            yield step
            step = following

    try:
        yield from steps()
    finally:
        meter.close()            # also when the consumer walks away: no counting hook left on its model
