"""The worst-case privacy score: can an attacker tell the unlearned model from the retrained one?

    score = privacy_score(unlearned_forget, retrain_forget)      # Outputs of both models on D^u_tr
    details = privacy_details(unlearned_forget, retrain_forget)  # per feature: epsilon, attack score, FPR/FNR

Unlearning Comparator's privacy score, after the NeurIPS 2023 machine unlearning challenge's epsilon.
For each forget sample, two features of a model's output: the entropy of its softmax and its confidence
(the probability of the true class). An attacker holds one feature value and guesses which model made
it: "unlearned" when the value is >= a threshold t (or, the other direction, < t). Over the forget set
that guess has a false-positive rate (retrain outputs called unlearned) and a false-negative rate
(unlearned outputs called retrain), and implies a differential-privacy epsilon

    eps(t) = max(0, min(log(1 - delta - FPR) - log FNR,  log(1 - delta - FNR) - log FPR)),  delta = 1e-5

(natural logs). Per feature, epsilon is the max over every threshold and both directions; the attack
score is 1 - 2^-eps; the privacy score is 1 - the larger attack score of the two features. 1: the two
models' outputs cannot be told apart at any threshold (retrain against itself scores exactly 1); 0: some
threshold separates them completely (FPR = FNR = 0, eps = inf).

Rates of 0 or about 1, as the reference implementation treats them: FPR = FNR = 0 is a perfect attack
(eps = inf); FPR or FNR >= 1 - delta is no attack (eps = 0); otherwise a 0 rate is clipped to 1e-10 so
its log is finite (min() then takes the other, finite term). Thresholds are every distinct value seen,
so the search is exact rather than binned.
"""
from __future__ import annotations

import numpy as np
import torch

from .metrics import Outputs, true_class_confidence

DELTA = 1e-5
RATE_FLOOR = 1e-10   # a rate of 0 is clipped to this before its log, as Unlearning Comparator does


def prediction_entropy(out: Outputs) -> np.ndarray:
    """Shannon entropy (nats) of each softmax output; 0 * log 0 counts as 0."""
    p = out.probs().double()
    return (-torch.special.xlogy(p, p).sum(dim=1)).numpy()


def threshold_rates(unlearned: np.ndarray, retrain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, FNR) of "unlearned if value >= t" for every distinct value t, plus t = +inf (nothing called
    unlearned). The reverse direction ("unlearned if value < t") has rates (1 - FPR, 1 - FNR)."""
    unlearned, retrain = np.sort(unlearned), np.sort(retrain)
    thresholds = np.append(np.unique(np.concatenate([unlearned, retrain])), np.inf)
    # share of each side at or above t: 1 - (share strictly below t)
    fpr = 1.0 - np.searchsorted(retrain, thresholds, side="left") / len(retrain)
    tpr = 1.0 - np.searchsorted(unlearned, thresholds, side="left") / len(unlearned)
    return fpr, 1.0 - tpr


def epsilon_from_rates(fpr: np.ndarray, fnr: np.ndarray, delta: float = DELTA) -> np.ndarray:
    """eps per (FPR, FNR) pair, >= 0; inf where both rates are 0."""
    fpr, fnr = np.asarray(fpr, np.float64), np.asarray(fnr, np.float64)
    safe_fpr = np.clip(fpr, RATE_FLOOR, 1 - delta - RATE_FLOOR)
    safe_fnr = np.clip(fnr, RATE_FLOOR, 1 - delta - RATE_FLOOR)
    eps = np.maximum(0.0, np.minimum(np.log(1 - delta - safe_fpr) - np.log(safe_fnr),
                                     np.log(1 - delta - safe_fnr) - np.log(safe_fpr)))
    eps = np.where((fpr >= 1 - delta) | (fnr >= 1 - delta), 0.0, eps)
    return np.where((fpr == 0) & (fnr == 0), np.inf, eps)


def feature_attack(unlearned: np.ndarray, retrain: np.ndarray, delta: float = DELTA) -> dict:
    """The best threshold attack on one feature, both directions: epsilon, attack score and its rates."""
    unlearned, retrain = np.asarray(unlearned, np.float64), np.asarray(retrain, np.float64)
    if len(unlearned) == 0 or len(retrain) == 0:
        return {"epsilon": 0.0, "attack_score": 0.0, "fpr": None, "fnr": None}
    fpr, fnr = threshold_rates(unlearned, retrain)
    fpr, fnr = np.concatenate([fpr, 1 - fpr]), np.concatenate([fnr, 1 - fnr])   # both directions
    eps = epsilon_from_rates(fpr, fnr, delta)
    best = int(np.argmax(eps))
    return {"epsilon": float(eps[best]), "attack_score": float(1.0 - 2.0 ** -eps[best]),
            "fpr": float(fpr[best]), "fnr": float(fnr[best])}


def privacy_details(unlearned: Outputs, retrain: Outputs, delta: float = DELTA) -> dict:
    """Both features' best attacks and the score: {"entropy": {...}, "confidence": {...}, "privacy_score"}."""
    attacks = {"entropy": feature_attack(prediction_entropy(unlearned), prediction_entropy(retrain), delta),
               "confidence": feature_attack(true_class_confidence(unlearned), true_class_confidence(retrain), delta)}
    return attacks | {"privacy_score": 1.0 - max(a["attack_score"] for a in attacks.values())}


def privacy_score(unlearned: Outputs, retrain: Outputs, delta: float = DELTA) -> float:
    """1 - the strongest threshold attack's score (entropy or confidence) telling `unlearned` from `retrain`
    on the same samples. Higher = more private; 1 = indistinguishable from retrain."""
    return privacy_details(unlearned, retrain, delta)["privacy_score"]
