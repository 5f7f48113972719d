"""A linear probe of the embeddings: is the forget data still linearly decodable from the features?

    result = probe(model, data, split, device)     # {"forget_acc", "remain_acc" | "test_acc", "chance", ...}
    fit_and_score(fit_x, fit_y, eval_x, eval_y)    # the same probe on any arrays (tests, other models)

Output accuracy reads the classifier head; a linear probe reads the frozen embeddings z(x) (the
L2-normalised penultimate features the contrastive loss acts on) with a new head fitted from scratch.
If the unlearned model's head no longer says "5" but a fresh logistic regression on its embeddings still
recognises the forget-test fives, the information is still in the features: it was disconnected, not
removed ("An Illusion of Unlearning?", arXiv 2604.08271).

What the numbers mean, honestly:
- HIGH probe accuracy on the forget data: the information is still linearly decodable from the
  embeddings. It does not say the model *uses* it, only that anyone with the weights and a few labelled
  examples can get it back (with one linear layer).
- A model RETRAINED without the forget data also scores well above chance: features learnt on the other
  classes generalise (a five looks unlike the other digits in a good feature space, so a probe that is
  shown fives can separate them). The retrain model's probe accuracy is the target, not 0. An unlearned
  model far above the retrain's still encodes the forget data better than a model that never saw it.

The fair probe (the same for every model; only the embedding function changes):
- class mode: fitted on a fixed subset of the whole training set D_tr, up to `per_class` samples of
  every class drawn with the seed, the forget class INCLUDED as it was in the original training set
  (its samples are D^u_tr): the probe must be shown fives to be able to name them, and it is shown the
  same fives whatever the model. Scored on D^u_ts (forget_acc, the test fives: never seen by any model
  nor the probe) and, as a check that the probe works, on D^r_ts (remain_acc).
- sample mode: fitted on a fixed subset of D^r_tr only (the forget samples are what is scored; a probe
  fitted on them would just memorise them). Scored on D^u_tr (forget_acc) against held-out test images
  D_ts (test_acc): gap = forget_acc - test_acc > 0 means the forget samples' embeddings are still
  easier to decode than unseen images', i.e. they still look like training data in the features.
- fixed settings: sklearn's LogisticRegression with its defaults (C=1.0, lbfgs, multinomial over all C
  classes) but max_iter=2000, on the L2-normalised embeddings as they are (the cosine geometry the
  contrastive loss shapes), 100 fit samples per class drawn with seed 0. Not standardised: on digits
  standardising made every model, retrain included, score 100% on the forget-test fives (the probe then
  cannot tell anything apart), while on the raw embeddings the retrain model scores 84% and the original
  100% (class 5, seed 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data import ImageData
from .metrics import infer
from .splits import Split


@dataclass(frozen=True)
class ProbeConfig:
    per_class: int = 100          # fit samples per class (fewer where a class has fewer)
    C: float = 1.0                # inverse L2 strength of the logistic regression
    max_iter: int = 2000
    seed: int = 0


def fit_set(data: ImageData, split: Split, cfg: ProbeConfig = ProbeConfig()) -> np.ndarray:
    """The training indices the probe is fitted on (see the module docstring: D_tr in class mode, D^r_tr in
    sample mode), up to cfg.per_class per class, drawn with cfg.seed; sorted."""
    rng = np.random.default_rng(cfg.seed)
    pool = np.arange(len(data.train_y)) if split.mode == "class" else split.remain_train
    labels = data.train_y.numpy()[pool]
    chosen = [rng.choice(pool[labels == c], size=min(cfg.per_class, int((labels == c).sum())), replace=False)
              for c in range(split.num_classes) if (labels == c).any()]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def fit_probe(fit_x: np.ndarray, fit_y: np.ndarray, cfg: ProbeConfig = ProbeConfig()):
    """The fixed probe (logistic regression on the embeddings as they are) fitted on (fit_x, fit_y)."""
    from sklearn.linear_model import LogisticRegression  # 1.5 s to import scikit-learn: not until a probe is fitted

    clf = LogisticRegression(C=cfg.C, max_iter=cfg.max_iter)
    return clf.fit(np.asarray(fit_x, dtype=np.float64), np.asarray(fit_y))


def score(clf, x: np.ndarray, y: np.ndarray) -> float | None:
    """Probe accuracy on (x, y); None for an empty set."""
    if len(y) == 0:
        return None
    return float((clf.predict(np.asarray(x, dtype=np.float64)) == np.asarray(y)).mean())


def fit_and_score(fit_x: np.ndarray, fit_y: np.ndarray, eval_x: np.ndarray, eval_y: np.ndarray,
                  cfg: ProbeConfig = ProbeConfig()) -> float | None:
    """Fit the fixed probe on one set of embeddings and return its accuracy on another."""
    return score(fit_probe(fit_x, fit_y, cfg), eval_x, eval_y)


def _embeddings(model, data, source, indices, device) -> tuple[np.ndarray, np.ndarray]:
    out = infer(model, data, source, indices, device)
    emb = torch.nan_to_num(out.embeddings).numpy()
    return emb, out.labels.numpy()


def probe(model: torch.nn.Module, data: ImageData, split: Split, device: torch.device,
          cfg: ProbeConfig = ProbeConfig()) -> dict:
    """The fair probe of `model`'s frozen embeddings. Class mode: {"forget_acc" (D^u_ts), "remain_acc"
    (D^r_ts), ...}; sample mode: {"forget_acc" (D^u_tr), "test_acc" (D_ts), "gap", ...}; both with
    "chance" (1/C), "fit_size", "fit_on", "scored_on" and the settings."""
    fit_idx = fit_set(data, split, cfg)
    clf = fit_probe(*_embeddings(model, data, "train", fit_idx, device), cfg)
    result = {"chance": 1.0 / split.num_classes, "fit_size": int(len(fit_idx)),
              "settings": {"per_class": cfg.per_class, "C": cfg.C, "max_iter": cfg.max_iter, "seed": cfg.seed,
                           "features": "L2-normalised embeddings, not standardised"}}
    if split.mode == "class":
        result["forget_acc"] = score(clf, *_embeddings(model, data, "test", split.forget_test, device))
        result["remain_acc"] = score(clf, *_embeddings(model, data, "test", split.remain_test, device))
        result["fit_on"] = "D_tr subset, every class (the forget class's samples included)"
        result["scored_on"] = "D^u_ts (forget_acc), D^r_ts (remain_acc)"
    else:
        result["forget_acc"] = score(clf, *_embeddings(model, data, "train", split.forget_train, device))
        result["test_acc"] = score(clf, *_embeddings(model, data, "test", split.remain_test, device))
        result["gap"] = (None if result["forget_acc"] is None or result["test_acc"] is None
                         else result["forget_acc"] - result["test_acc"])
        result["fit_on"] = "D^r_tr subset, every class (no forget sample)"
        result["scored_on"] = "D^u_tr (forget_acc) against held-out D_ts (test_acc)"
    return result
