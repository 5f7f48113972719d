"""Per-sample privacy: does each forget sample, one by one, look as if the model had never seen it?

    ref = privacy_reference(prep, n_models=8)           # N retrain models (cached), their phi on D^u_tr
    result = sample_privacy(unlearned_model, prep, ref)  # {"scores": [...] per forget sample, "share", ...}

Population-level membership attacks (metrics.py) ask whether the forget SET looks like training data on
average; a few memorised samples hide in the average (U-LiRA, Hayes et al., shows such attacks overstate
privacy). This is a per-example test in the spirit of LiRA / U-LiRA and the NeurIPS 2023 unlearning
challenge's metric, at a scale a CPU affords on digits:

1. "never seen": N models retrained on D^r_tr alone from N seeds (the retrain recipe with seeds
   s0, s0+1, ..., s0+N-1, s0 the recipe's seed, so the first is the retrain reference itself); each is
   trained once and cached by the model cache like the retrain reference.
2. for every forget sample x with label y and every model, the logit-scaled confidence (LiRA's)
       phi(x) = log(p_y / (1 - p_y)) = z_y - log sum_{j != y} exp(z_j)        (z: the logits; stable form)
   giving, per sample, N values under "never seen": mean mu_x and spread sigma_x (sample standard
   deviation; floored at the median spread over the forget samples, because 8 values give a noisy spread
   and a tiny one would make any difference look decisive: the spirit of LiRA's fixed-variance variant).
3. "seen": the ORIGINAL model's phi_o(x) (it was trained on x), with the same spread sigma_x (one original
   model gives no spread of its own).
4. the model under test gives phi(x); its per-sample score is the likelihood ratio turned into the
   probability of "never seen" with equal priors:
       score(x) = N(phi; mu_x, sigma_x) / (N(phi; mu_x, sigma_x) + N(phi; phi_o, sigma_x))
                = sigmoid( ((phi - phi_o)^2 - (phi - mu_x)^2) / (2 sigma_x^2) )
   0: "still looks seen" (at the original's value), 1: "looks never seen" (at the never-seen mean, far
   from the original's), 0.5: halfway, or undecidable where the original and never-seen agree.
5. the report's share: the forget samples with score > 0.5 (closer to "never seen" in likelihood), and
   the mean score. Targets: the original scores 0 by construction (phi = phi_o gives score <= 0.5);
   the retrain reference, scored leave-one-out against the other N-1 models, gives the share a model
   that never saw the forget set reaches (`retrain_share`): the target, not 1, since a never-seen model
   can fall on the seen side by chance.
6. `separable`: the share of forget samples where the original and the never-seen mean are more than
   2 sigma_x apart. Only there can the test say anything: a sample every model classifies with the
   same confidence, seen or not (most digits), scores about 0.5 whatever the unlearning did.
   `separable_share` is the share among those samples (and `retrain_separable_share` its target).

Overshooting: a model pushed far BELOW the never-seen confidence (NegGrad) also scores near 1 here,
although such a sample is itself conspicuous (the Streisand effect); `below` counts the samples more
than 2 sigma_x below mu_x.

What N buys and costs: N retrain models cost N times the retrain's training (seconds and FLOPs, both in
the result), paid once per forget set and cached. More models give a steadier mu_x and sigma_x per
sample (the standard error of mu_x falls as 1/sqrt(N)); LiRA used 64+ shadow models; 8 is a teaching
scale where the spread of each sample is still rough (hence the floor).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from .configs import DEFAULT_MODELS, check_models
from .data import ImageData
from .flops import training_flops
from .metrics import Outputs, infer
from .training import Progress, get_retrain

SEPARATION = 2.0         # sigmas between the original and the never-seen mean for a sample to count as separable


def logit_confidence(out: Outputs) -> np.ndarray:
    """phi = log(p_y / (1 - p_y)) of the true class, per sample, from the logits (float64, finite)."""
    logits = torch.nan_to_num(out.logits.double(), nan=0.0, posinf=1e30, neginf=-1e30)
    true = logits.gather(1, out.labels.view(-1, 1)).squeeze(1)
    others = logits.scatter(1, out.labels.view(-1, 1), float("-inf")).logsumexp(dim=1)
    return (true - others).numpy()


@dataclass
class PrivacyReference:
    """N never-seen models' phi on D^u_tr and the original's (the "seen" value)."""
    indices: np.ndarray          # D^u_tr, the order of every per-sample array
    phis: np.ndarray             # float64 [N, |D^u_tr|]: phi under "never seen", one row per retrain seed
    original_phi: np.ndarray     # float64 [|D^u_tr|]
    seeds: list[int]
    seconds: float               # the N models' training time (as measured when each was trained)
    flops: float                 # the N models' training FLOPs
    from_cache: int              # how many were read from the model cache

    @property
    def n_models(self) -> int:
        return len(self.seeds)


def forget_phi(model: torch.nn.Module, data: ImageData, indices: np.ndarray, device: torch.device) -> np.ndarray:
    return logit_confidence(infer(model, data, "train", indices, device))


def privacy_reference(prep, n_models: int = DEFAULT_MODELS, progress: Progress | None = None,
                      on_model=None) -> PrivacyReference:
    """Train (or read from the cache) N retrain models from seeds s0..s0+N-1 and take their phi on D^u_tr.
    `prep` is an experiment.Prepared; on_model(i, n) is called before each model."""
    check_models(n_models)
    exp, split = prep.exp, prep.split
    recipe = exp.train_config()
    seeds = [recipe.seed + i for i in range(n_models)]
    phis, seconds, flops, cached = [], 0.0, 0.0, 0
    for i, seed in enumerate(seeds):
        if on_model is not None:
            on_model(i, n_models)
        cfg = replace(recipe, seed=seed)
        trained = get_retrain(exp.data, exp.model, cfg, split, data=prep.data, device=prep.device,
                              use_cache=exp.use_cache, progress=progress)
        phis.append(forget_phi(trained.model, prep.data, split.forget_train, prep.device))
        seconds += trained.seconds
        cached += int(trained.from_cache)
        if i == 0:
            flops = training_flops(trained.model, prep.data, prep.device,
                                   samples=cfg.epochs * len(split.remain_train)) * n_models
    return PrivacyReference(indices=np.asarray(split.forget_train), phis=np.stack(phis),
                            original_phi=forget_phi(prep.original.model, prep.data, split.forget_train, prep.device),
                            seeds=seeds, seconds=seconds, flops=flops, from_cache=cached)


def _spread(phis: np.ndarray) -> np.ndarray:
    """sigma_x: per-sample standard deviation over the models, floored at its median over the samples."""
    sd = phis.std(axis=0, ddof=1)
    floor = max(float(np.median(sd)), 1e-3)
    return np.maximum(sd, floor)


def scores_against(phi: np.ndarray, never_seen: np.ndarray, seen: np.ndarray) -> dict:
    """The per-sample test of phi [M] against never-seen values [N, M] and the seen values [M] (formula in
    the module docstring). Returns {"scores", "share", "mean_score", "separable", "below"}."""
    phi, never_seen, seen = (np.asarray(a, dtype=np.float64) for a in (phi, never_seen, seen))
    mu, sigma = never_seen.mean(axis=0), _spread(never_seen)
    llr = ((phi - seen) ** 2 - (phi - mu) ** 2) / (2 * sigma ** 2)
    scores = 1.0 / (1.0 + np.exp(-np.clip(llr, -500, 500)))
    separable = np.abs(seen - mu) > SEPARATION * sigma
    return {"scores": scores, "share": float((scores > 0.5).mean()) if len(scores) else None,
            "mean_score": float(scores.mean()) if len(scores) else None,
            "separable": float(separable.mean()) if len(scores) else None,
            "separable_share": float((scores[separable] > 0.5).mean()) if separable.any() else None,
            "below": float((phi < mu - SEPARATION * sigma).mean()) if len(scores) else None}


def retrain_target(ref: PrivacyReference) -> dict:
    """The retrain reference (the first model) scored leave-one-out against the other N-1: what a model
    that never saw the forget set gets."""
    return scores_against(ref.phis[0], ref.phis[1:], ref.original_phi)


def sample_privacy(model: torch.nn.Module, prep, ref: PrivacyReference) -> dict:
    """The per-sample privacy of `model` (the unlearned one) on D^u_tr against `ref`: JSON-ready.
    {"scores" (one per D^u_tr sample, in "indices" order), "indices", "share", "mean_score",
    "separable", "separable_share", "below", "retrain_separable_share", "retrain_share", "retrain_mean_score", "original_share" (0 by construction),
    "models", "seeds", "reference_seconds", "reference_flops", "reference_from_cache", "definition"}."""
    phi = forget_phi(model, prep.data, ref.indices, prep.device)
    return privacy_result(phi, ref)


def privacy_result(phi: np.ndarray, ref: PrivacyReference) -> dict:
    """sample_privacy's dict for given phi values (in ref.indices order)."""
    mine = scores_against(phi, ref.phis, ref.original_phi)
    target = retrain_target(ref)
    return {
        "scores": [round(float(s), 4) for s in mine["scores"]],
        "indices": [int(i) for i in ref.indices],
        "share": mine["share"], "mean_score": mine["mean_score"], "separable": mine["separable"],
        "separable_share": mine["separable_share"], "below": mine["below"],
        "retrain_share": target["share"], "retrain_mean_score": target["mean_score"],
        "retrain_separable_share": target["separable_share"],
        "original_share": 0.0,
        "models": ref.n_models, "seeds": list(ref.seeds),
        "reference_seconds": ref.seconds, "reference_flops": ref.flops, "reference_from_cache": ref.from_cache,
        "definition": "per forget sample, P(never seen | phi) with equal priors: a Gaussian over N retrain models' "
                      "phi = log(p/(1-p)) of the true class against the original's phi (docs/PRIVACY.md); "
                      "share: samples with score > 0.5; target: retrain_share",
    }


def scores_on_probe(privacy: dict, probe: np.ndarray, probe_is_forget: np.ndarray) -> np.ndarray:
    """The score of every forget point of the map's probe set (split.probe[split.probe_is_forget], in that
    order), from a sample_privacy dict; NaN where a point has no score."""
    lookup = dict(zip(privacy.get("indices", []), privacy.get("scores", [])))
    points = np.asarray(probe)[np.asarray(probe_is_forget, dtype=bool)]
    return np.array([lookup.get(int(i), np.nan) for i in points], dtype=np.float64)


def reference_cost(prep, n_models: int = DEFAULT_MODELS) -> dict:
    """What the N-model reference costs before it is built: {"models", "flops", "seconds_estimate",
    "seconds_per_model", "cached"}: FLOPs counted on the model's shape for N trainings on D^r_tr; seconds:
    the original's training time (as measured when it was trained; D_tr is slightly larger than D^r_tr)
    times the models not yet in the cache."""
    check_models(n_models)
    from .training import cache_record, default_cache_dir, key_of

    exp, split = prep.exp, prep.split
    recipe = exp.train_config()
    cached = 0
    if exp.use_cache:
        for i in range(n_models):
            record = cache_record("retrain", exp.data, exp.model, replace(recipe, seed=recipe.seed + i),
                                  split.forget_train, prep.device)
            cached += int((default_cache_dir() / f"{key_of(record)}.pt").exists())
    flops = training_flops(prep.original.model, prep.data, prep.device,
                           samples=recipe.epochs * len(split.remain_train)) * n_models
    per_model = prep.original.seconds
    return {"models": n_models, "flops": flops, "seconds_per_model": per_model,
            "seconds_estimate": per_model * (n_models - cached), "cached": cached}
