"""Forget sets and the splits that the method, the metrics and the termination rules need.

    split = make_split(data, ForgetConfig(mode="class", forget_class=5))
    split.forget_train   # D^u_tr: indices into data.train_*
    split.remain_train   # D^r_tr
    split.forget_test    # D^u_ts (class mode; empty in sample mode)
    split.remain_test    # D^r_ts (class mode) or D_ts (sample mode): the utility set
    split.eval_sets      # small subsets evaluated during the run, keyed like the metrics
    split.probe          # training samples whose embeddings the map shows

All index arrays are sorted int64 numpy arrays; everything is drawn with the forget seed, so the same
ForgetConfig always gives the same split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .configs import PROBE_SIZE, ForgetConfig
from .errors import UserInputError

if TYPE_CHECKING:      # data.py imports torch; this module is loaded without it (issue 22)
    from .data import ImageData

EVAL_SIZE = 256      # samples per eval subset: small enough to evaluate often, large enough for 0.4% steps


@dataclass(frozen=True, eq=False)
class EvalSet:
    """A subset evaluated during a run. `source` says which tensors `indices` index."""
    source: str             # "train" or "test"
    indices: np.ndarray


@dataclass(frozen=True, eq=False)
class Split:
    mode: str
    forget_class: int | None          # class mode only
    num_classes: int
    forget_train: np.ndarray          # D^u_tr
    remain_train: np.ndarray          # D^r_tr
    forget_test: np.ndarray           # D^u_ts; empty in sample mode
    remain_test: np.ndarray           # D^r_ts in class mode; the whole test set D_ts in sample mode
    eval_sets: dict[str, EvalSet]     # keys: forget_train, forget_test (class) / test (sample), remain_test (class)
    probe: np.ndarray                 # training indices shown in the map: forget samples first
    probe_is_forget: np.ndarray       # bool, same length as probe


def make_split(data: ImageData, cfg: ForgetConfig, eval_size: int = EVAL_SIZE,
               probe_size: int = PROBE_SIZE) -> Split:
    cfg.validate()
    n_train = len(data.train_y)
    train_y, test_y = data.train_y.numpy(), data.test_y.numpy()
    rng = np.random.default_rng(cfg.seed)
    all_test = np.arange(len(test_y))

    if cfg.mode == "class":
        if not (isinstance(cfg.forget_class, int) and 0 <= cfg.forget_class < data.num_classes):
            raise UserInputError(
                f"forget class {cfg.forget_class!r} is out of range; valid: 0..{data.num_classes - 1} for {data.name}")
        forget_train = np.flatnonzero(train_y == cfg.forget_class)
        if len(forget_train) in (0, n_train):  # e.g. an image folder whose class folder holds no images
            raise UserInputError(
                f"forget class {cfg.forget_class} has {len(forget_train)} of the {n_train} training samples of "
                f"{data.name}; the forget set and the remaining set must both be non-empty")
        forget_test = np.flatnonzero(test_y == cfg.forget_class)
        remain_test = np.flatnonzero(test_y != cfg.forget_class)
    else:
        forget_train = _sample_forget_set(cfg, n_train, rng)
        forget_test = np.empty(0, dtype=np.int64)
        remain_test = all_test
    remain_train = np.setdiff1d(np.arange(n_train), forget_train)

    def subset(idx: np.ndarray) -> np.ndarray:
        return np.sort(rng.choice(idx, size=min(eval_size, len(idx)), replace=False))

    if cfg.mode == "class":
        eval_sets = {
            "forget_train": EvalSet("train", subset(forget_train)),
            "forget_test": EvalSet("test", subset(forget_test)),
            "remain_test": EvalSet("test", subset(remain_test)),
        }
    else:
        eval_sets = {
            "forget_train": EvalSet("train", subset(forget_train)),
            "test": EvalSet("test", subset(all_test)),
        }

    # The probe: as many forget samples as fit in a fifth of the map, the rest remaining samples.
    n_forget_probe = min(len(forget_train), max(1, probe_size // 5))
    probe_forget = np.sort(rng.choice(forget_train, size=n_forget_probe, replace=False))
    probe_remain = np.sort(rng.choice(remain_train, size=min(len(remain_train), probe_size - n_forget_probe),
                                      replace=False))
    return Split(
        mode=cfg.mode,
        forget_class=cfg.forget_class if cfg.mode == "class" else None,
        num_classes=data.num_classes,
        forget_train=forget_train.astype(np.int64),
        remain_train=remain_train.astype(np.int64),
        forget_test=forget_test.astype(np.int64),
        remain_test=remain_test.astype(np.int64),
        eval_sets=eval_sets,
        probe=np.concatenate([probe_forget, probe_remain]).astype(np.int64),
        probe_is_forget=np.concatenate([np.ones(len(probe_forget), bool), np.zeros(len(probe_remain), bool)]),
    )


def _sample_forget_set(cfg: ForgetConfig, n_train: int, rng: np.random.Generator) -> np.ndarray:
    if cfg.indices:
        idx = np.asarray(cfg.indices, dtype=np.int64)
        bad = idx[(idx < 0) | (idx >= n_train)]
        if len(bad):
            raise UserInputError(f"forget index {int(bad[0])} is out of range; valid: 0..{n_train - 1}")
        idx = np.unique(idx)
        if len(idx) >= n_train:
            raise UserInputError(f"the forget set cannot be the whole training set ({n_train} samples)")
        return idx
    if not isinstance(cfg.count, int) or not 0 < cfg.count < n_train:
        raise UserInputError(f"forget count must be between 1 and {n_train - 1} (the training set has "
                             f"{n_train} samples), got {cfg.count!r}")
    return np.sort(rng.choice(n_train, size=cfg.count, replace=False))
