"""Metrics from one inference pass: accuracy, two membership-inference conventions, gap to retrain.

    out = infer(model, data, "train", split.forget_train, device)   # logits + embeddings, once
    accuracy(out)
    metrics = evaluate_model(model, data, split, device)            # every metric, keyed as in the JSON
    mia_member_flags(remain, non_member, forget)                    # per forget sample: still called "member"?

Membership inference, two conventions that users confuse (docs/METHOD.md); both are shares in [0, 1]:
- mia_member_rate (the contrastive paper's): an attack classifier learns model outputs of D^r_tr
  (members) against held-out test samples (non-members) and is applied to D^u_tr; the share it calls
  "member". LOWER means more forgotten; the retrain value is the target.
- mia_efficacy (SalUn / l1-sparse's "MIA-efficacy"): an RBF SVC (C=3, gamma="auto") on the confidence
  of the true class, retain vs test; the share of D^u_tr called "non-member". HIGHER means more
  forgotten; again, retrain is the target.
privacy_score (privacy.py) compares two models, so evaluate_model leaves it None; the report fills it in
against the retrain model (experiment.build_report). Higher = more private; retrain itself scores 1.
Non-members are D^r_ts in class mode (the forget class has no training members left to compare with)
and the whole test set D_ts in sample mode.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .batches import take
from .data import ImageData
from .devices import autocast
from .splits import Split

METRIC_KEYS = ("remain_test_acc", "forget_test_acc", "remain_train_acc", "forget_train_acc", "test_acc",
               "mia_member_rate", "mia_efficacy", "privacy_score")

# What each metric means and which way is good, for tables and the app.
METRIC_LABELS = {
    "remain_test_acc": "accuracy on D^r_ts (remaining classes, test): utility, higher is better",
    "forget_test_acc": "accuracy on D^u_ts (forget class, test): effectiveness, retrain's 0 is the target",
    "remain_train_acc": "accuracy on D^r_tr (remaining training data): utility, higher is better",
    "forget_train_acc": "accuracy on D^u_tr (forget set): effectiveness, close to retrain is the target",
    "test_acc": "accuracy on D_ts (whole test set): utility, higher is better",
    "mia_member_rate": "MIA member rate on D^u_tr (paper's convention): lower = more forgotten; target = retrain",
    "mia_efficacy": "MIA-efficacy on D^u_tr (SalUn's convention, share called non-member): higher = more forgotten; target = retrain",
    "privacy_score": "worst-case privacy score on D^u_tr (Unlearning Comparator's, 1 - best threshold attack telling "
                     "this model's outputs from retrain's): higher = more private; 1 = indistinguishable from retrain",
}

# Metrics averaged into Avg. Gap, SalUn-style (forget acc, retain acc, test acc, MIA); per mode.
GAP_KEYS = {
    "class": ("forget_train_acc", "forget_test_acc", "remain_train_acc", "remain_test_acc", "mia_efficacy"),
    "sample": ("forget_train_acc", "remain_train_acc", "test_acc", "mia_efficacy"),
}

ATTACK_SAMPLES = 2000     # per side of the attack's training set: enough for a stable boundary, fast SVC


@dataclass(frozen=True, eq=False)
class Outputs:
    logits: torch.Tensor       # float [N, C] on the CPU
    embeddings: torch.Tensor   # float [N, D], L2-normalised
    labels: torch.Tensor       # int64 [N]

    def probs(self) -> torch.Tensor:
        # A model pushed to huge (finite) weights can overflow its logits to inf, whose softmax is NaN;
        # read +inf as certainty and NaN as no evidence, so every metric stays defined on any model.
        limit = torch.finfo(torch.float32).max / 4
        return torch.nan_to_num(self.logits, nan=0.0, posinf=limit, neginf=-limit).softmax(dim=1)

    def finite(self) -> bool:
        return bool(torch.isfinite(self.logits).all() and torch.isfinite(self.embeddings).all())


@torch.no_grad()
def infer(model: torch.nn.Module, data: ImageData, source: str, indices: np.ndarray, device: torch.device,
          batch_size: int = 512) -> Outputs:
    """Logits and embeddings of data.<source>[indices] in eval mode, one pass."""
    x, y = (data.train_x, data.train_y) if source == "train" else (data.test_x, data.test_y)
    was_training = model.training
    model.eval()
    logits, embs = [], []
    for i in range(0, len(indices), batch_size):
        xb, _ = take(x, y, indices[i:i + batch_size], device)
        with autocast(device):
            lg, z = model(xb)
        logits.append(lg.float().cpu())
        embs.append(z.float().cpu())
    model.train(was_training)
    labels = y[torch.as_tensor(indices, dtype=torch.long)]
    if not logits:
        return Outputs(torch.empty(0, 0), torch.empty(0, 0), labels)
    return Outputs(torch.cat(logits), torch.cat(embs), labels)


def accuracy(out: Outputs) -> float | None:
    if len(out.labels) == 0:
        return None
    return float((out.logits.argmax(dim=1) == out.labels).float().mean())


def true_class_confidence(out: Outputs) -> np.ndarray:
    return out.probs().gather(1, out.labels.view(-1, 1)).squeeze(1).numpy()


def _balanced(members: np.ndarray, non_members: np.ndarray, rng: np.random.Generator):
    """Equal numbers of members and non-members, so that the attack's base rate is 50%."""
    n = min(len(members), len(non_members), ATTACK_SAMPLES)
    m = members[rng.choice(len(members), n, replace=False)]
    nm = non_members[rng.choice(len(non_members), n, replace=False)]
    return np.concatenate([m, nm]), np.concatenate([np.ones(n), np.zeros(n)])


def _member_attack(remain: Outputs, non_member: Outputs, seed: int):
    """The paper's attack, fit once here for the rate and the per-sample flags alike: logistic regression
    on the sorted softmax vector (which does not depend on which class is which), D^r_tr members (1)
    against non-members (0). Returns (fitted attack, feature function)."""
    def features(out: Outputs) -> np.ndarray:
        return np.sort(out.probs().numpy(), axis=1)[:, ::-1]

    from sklearn.linear_model import LogisticRegression  # 1.5 s to import: not until an attack is fitted

    x, y = _balanced(features(remain), features(non_member), np.random.default_rng(seed))
    return LogisticRegression(max_iter=1000).fit(x, y), features


def mia_member_flags(remain: Outputs, non_member: Outputs, forget: Outputs, seed: int = 0) -> np.ndarray:
    """bool [len(forget)]: which D^u_tr samples the paper's attack calls "member" (its mean is
    mia_member_rate with the same seed): the samples the model still seems to remember."""
    attack, features = _member_attack(remain, non_member, seed)
    if len(forget.labels) == 0:
        return np.zeros(0, dtype=bool)
    return attack.predict(features(forget)).astype(bool)


def mia_member_rate(remain: Outputs, non_member: Outputs, forget: Outputs, seed: int = 0) -> float:
    """Paper convention: share of D^u_tr that the attack (_member_attack) calls "member". Lower = more
    forgotten."""
    return float(mia_member_flags(remain, non_member, forget, seed).mean())


def mia_efficacy(remain: Outputs, non_member: Outputs, forget: Outputs, seed: int = 0) -> float:
    """SalUn convention: SVC(C=3, gamma="auto") on the true-class confidence, retain (1) vs test (0);
    the share of D^u_tr predicted non-member. Higher = more forgotten."""
    def features(out: Outputs) -> np.ndarray:
        return true_class_confidence(out).reshape(-1, 1)

    from sklearn.svm import SVC  # 1.5 s to import scikit-learn: not until an attack is fitted

    x, y = _balanced(features(remain), features(non_member), np.random.default_rng(seed))
    attack = SVC(C=3, gamma="auto", kernel="rbf").fit(x, y)
    return float(1.0 - attack.predict(features(forget)).mean())


def evaluate_model(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device) -> dict:
    """Every metric of METRIC_KEYS on the full splits (None where a key does not apply to the mode, and
    privacy_score, which needs the retrain model's outputs: see privacy.py)."""
    return evaluate_with_outputs(model, data, split, device)[0]


def evaluate_with_outputs(model: torch.nn.Module, data: ImageData, split: Split,
                          device: torch.device) -> tuple[dict, Outputs]:
    """evaluate_model's metrics and the model's outputs on D^u_tr, kept for what needs the retrain model
    too (privacy_score), which may only be ready later."""
    remain_train = infer(model, data, "train", split.remain_train, device)
    forget_train = infer(model, data, "train", split.forget_train, device)
    utility = infer(model, data, "test", split.remain_test, device)   # D^r_ts (class) or D_ts (sample)
    metrics = dict.fromkeys(METRIC_KEYS)
    metrics["remain_train_acc"] = accuracy(remain_train)
    metrics["forget_train_acc"] = accuracy(forget_train)
    if split.mode == "class":
        metrics["remain_test_acc"] = accuracy(utility)
        metrics["forget_test_acc"] = accuracy(infer(model, data, "test", split.forget_test, device))
    else:
        metrics["test_acc"] = accuracy(utility)
    metrics["mia_member_rate"] = mia_member_rate(remain_train, utility, forget_train)
    metrics["mia_efficacy"] = mia_efficacy(remain_train, utility, forget_train)
    return metrics, forget_train


def gaps_to_retrain(metrics: dict, retrain: dict, mode: str) -> dict:
    """|metric - retrain's| per Avg.-Gap key, plus their mean under "avg_gap"."""
    gaps = {k: abs(metrics[k] - retrain[k]) for k in GAP_KEYS[mode]
            if metrics.get(k) is not None and retrain.get(k) is not None}
    gaps["avg_gap"] = float(np.mean(list(gaps.values()))) if gaps else None
    return gaps
