"""What "Does it really forget?" costs on digits: the relearning test, the probe and the N-model reference.

    python -m bench.forgetting_evidence            # N = 8 retrain models, 3 timings of each test
    python -m bench.forgetting_evidence --quick    # N = 3, 1 timing

In a private, empty model cache: the original is trained, then for class 5 and for 100 random samples
the contrastive run, the relearning test and the probe of the unlearned model (timed, FLOPs counted), and
the N retrain models of the per-sample privacy reference (trained here, timed; FLOPs counted), each set
beside the retrain's own training cost and the unlearning run's. FLOPs: torch's flop counter (matrix
products and convolutions); the probe's logistic regression (sklearn, on 1000 x 128 features) is timed
but not counted.
"""
from __future__ import annotations

import sys
import time

from unlearn_core import Experiment, ForgetConfig, prepare, reference, unlearn
from unlearn_core.evidence import EvidenceConfig, relearn_threshold
from unlearn_core.flops import per_sample_flops
from unlearn_core.probe import fit_set, probe
from unlearn_core.relearn import relearn, relearn_flops
from unlearn_core.sample_privacy import privacy_reference, sample_privacy

from .common import machine, median, print_figures, private_cache


def _probe_flops(prep) -> float:
    forward, _ = per_sample_flops(prep.original.model, prep.data, prep.device)
    split = prep.split
    scored = len(split.forget_test) + len(split.remain_test) if split.mode == "class" else (
        len(split.forget_train) + len(split.remain_test))
    return forward * (len(fit_set(prep.data, split)) + scored)


def _mode(forget: ForgetConfig, n_models: int, repeats: int) -> dict:
    prep = prepare(Experiment(forget=forget, device="cpu"))
    ref = reference(prep, evidence=None)                      # the retrain, trained now (the cache is empty)
    model = prep.fresh_model()
    final = [s for s in unlearn(model, prep.data, prep.split, prep.exp.unlearn_config(), device=prep.device)][-1]
    cfg = EvidenceConfig()
    threshold = relearn_threshold(prep.original.model, prep.data, prep.split, prep.device, cfg)
    relearn_seconds, probe_seconds = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = relearn(model, prep.data, prep.split, prep.device, threshold, cfg.relearn)
        relearn_seconds.append(time.perf_counter() - start)
        start = time.perf_counter()
        probed = probe(model, prep.data, prep.split, prep.device, cfg.probe)
        probe_seconds.append(time.perf_counter() - start)
    start = time.perf_counter()
    privacy_ref = privacy_reference(prep, n_models)          # trained now: the cache is private and empty
    privacy_seconds = time.perf_counter() - start
    scored = sample_privacy(model, prep, privacy_ref)
    return {
        "forget_size": int(len(prep.split.forget_train)),
        "unlearn": {"seconds": final.seconds, "flops": final.flops, "steps": final.step},
        "retrain": {"seconds": ref.retrain.seconds, "flops": ref.retrain_flops},
        "relearn": {"seconds": median(relearn_seconds), "flops": relearn_flops(model, prep.data, prep.split,
                                                                               prep.device, cfg.relearn),
                    "steps": cfg.relearn.max_steps, "k": result["k"],
                    "steps_to_threshold": result["steps_to_threshold"]},
        "probe": {"seconds": median(probe_seconds), "flops_forward": _probe_flops(prep),
                  "forget_acc": probed["forget_acc"]},
        "privacy_reference": {"models": n_models, "seconds": privacy_seconds, "flops": privacy_ref.flops,
                              "trained_seconds": privacy_ref.seconds, "from_cache": privacy_ref.from_cache,
                              "share": scored["share"], "retrain_share": scored["retrain_share"]},
        "privacy_over_retrain_flops": privacy_ref.flops / ref.retrain_flops,
    }


def run(quick: bool = False) -> dict:
    n_models, repeats = (3, 1) if quick else (8, 3)
    with private_cache():
        figures = {"description": "costs of the relearning test, the probe and the N-model privacy reference on "
                                  "digits (small CNN, CPU), beside the unlearning run and the retrain",
                   "machine": machine()}
        for name, forget in (("class5", ForgetConfig(mode="class", forget_class=5)),
                             ("sample100", ForgetConfig(mode="sample", count=100))):
            figures[name] = _mode(forget, n_models, repeats)
    return figures


if __name__ == "__main__":
    print_figures("forgetting_evidence", run(quick="--quick" in sys.argv))
