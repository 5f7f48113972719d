"""The on-disk model cache: a round trip, files that are damaged, foreign, forged or malicious (each
retrained over with a warning, never a crash and never a wrong model), atomic writes, and the lock that
makes two processes needing the same uncached model train it once.

Every test trains a one-epoch model into its own tmp_path cache (about 6 optimiser steps on digits)."""
from __future__ import annotations

import multiprocessing
import os
import shutil

from pathlib import Path

import numpy as np
import pytest
import torch

from unlearn_core import DataConfig, ForgetConfig, ModelConfig, TrainConfig, get_original, get_retrain, make_split
from unlearn_core import training
from unlearn_core.data import load_dataset
from unlearn_core.training import cache_key, cache_record, key_of, weights_sha256

RECIPE = TrainConfig(epochs=1, batch_size=256)
WARNING = "damaged or foreign model cache"


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig())


def original(digits, cache_dir, recipe=RECIPE):
    return get_original(DataConfig(), ModelConfig(), recipe, data=digits, device="cpu", cache_dir=cache_dir)


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def files(folder):
    """The folder's files but the lock files (`<key>.pt.lock`), which stay beside the cache files by design:
    deleting a lock file while another process waits on it would let a third one lock a new file."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock")) if folder.exists() else []


def test_round_trip(digits, tmp_path, monkeypatch):
    first = original(digits, tmp_path)
    assert not first.from_cache and first.path.exists() and first.seconds > 0
    assert files(tmp_path) == [first.path.name]                 # no temporary file left behind
    with monkeypatch.context() as m:
        m.setattr(training, "train_classifier", lambda *a, **k: pytest.fail("trained instead of loading"))
        second = original(digits, tmp_path)
    assert second.from_cache and second.path == first.path
    assert second.seconds == first.seconds                      # the training time, read back from the file
    assert same_weights(first.model, second.model)
    assert not second.model.training                            # ready for inference


def test_no_cache_neither_reads_nor_writes(digits, tmp_path, monkeypatch):
    cached = original(digits, tmp_path)
    trained = []
    real_train = training.train_classifier
    monkeypatch.setattr(training, "train_classifier", lambda *a, **k: trained.append(1) or real_train(*a, **k))
    fresh = get_original(DataConfig(), ModelConfig(), RECIPE, data=digits, device="cpu", use_cache=False,
                         cache_dir=tmp_path / "unused")
    assert trained == [1] and not fresh.from_cache and fresh.path is None
    assert not (tmp_path / "unused").exists() and files(tmp_path) == [cached.path.name]


def test_a_different_recipe_or_forget_set_is_a_different_file(digits, tmp_path):
    base = cache_key("original", DataConfig(), ModelConfig(), RECIPE)
    assert cache_key("original", DataConfig(data_dir="/elsewhere"), ModelConfig(), RECIPE) == base
    others = {cache_key("original", DataConfig(split_seed=1), ModelConfig(), RECIPE),
              cache_key("original", DataConfig(), ModelConfig("resnet18"), RECIPE),
              cache_key("original", DataConfig(), ModelConfig(), TrainConfig(epochs=2, batch_size=256)),
              cache_key("original", DataConfig(), ModelConfig(), TrainConfig(epochs=1, batch_size=256, seed=1)),
              cache_key("retrain", DataConfig(), ModelConfig(), RECIPE, np.arange(3)),
              cache_key("retrain", DataConfig(), ModelConfig(), RECIPE, np.arange(4)),
              cache_key("original", DataConfig(), ModelConfig(), RECIPE, device=torch.device("cuda"))}
    assert base not in others and len(others) == 7

    split = make_split(digits, ForgetConfig(mode="sample", count=10, seed=0))
    retrain = get_retrain(DataConfig(), ModelConfig(), RECIPE, split, data=digits, device="cpu", cache_dir=tmp_path)
    assert not retrain.from_cache
    assert retrain.path.name != original(digits, tmp_path).path.name


def test_the_cpu_thread_count_is_part_of_the_key():
    """Weights trained with 1 and 2 threads differ (reduction order), so they are different files."""
    before = torch.get_num_threads()
    try:
        keys = set()
        for threads in (1, 2):
            torch.set_num_threads(threads)
            keys.add(cache_key("original", DataConfig(), ModelConfig(), RECIPE))
    finally:
        torch.set_num_threads(before)
    assert len(keys) == 2


def corrupt_truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupt_garbage(path):
    path.write_bytes(os.urandom(4096))


def corrupt_empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("corrupt", [corrupt_truncated, corrupt_garbage, corrupt_empty])
def test_a_damaged_file_is_retrained_with_a_warning(digits, tmp_path, corrupt):
    first = original(digits, tmp_path)
    corrupt(first.path)
    with pytest.warns(UserWarning, match=WARNING):
        again = original(digits, tmp_path)
    assert not again.from_cache
    assert same_weights(first.model, again.model)               # seeded training: the same model again
    assert files(tmp_path) == [first.path.name]
    assert original(digits, tmp_path).from_cache               # and the file was repaired


def test_a_foreign_cache_file_is_not_loaded(digits, tmp_path):
    """A valid cache file of another model (here: another seed) copied under this key's name."""
    mine = original(digits, tmp_path)
    other = original(digits, tmp_path / "other", TrainConfig(epochs=1, batch_size=256, seed=1))
    assert not same_weights(mine.model, other.model)
    shutil.copyfile(other.path, mine.path)
    with pytest.warns(UserWarning, match=WARNING):
        again = original(digits, tmp_path)
    assert not again.from_cache and same_weights(again.model, mine.model)


def test_a_file_with_the_right_key_but_wrong_weights_is_not_loaded(digits, tmp_path):
    mine = original(digits, tmp_path)
    blob = torch.load(mine.path, weights_only=True)
    blob["state_dict"] = {"head.weight": torch.zeros(3, 3)}
    torch.save(blob, mine.path)
    with pytest.warns(UserWarning, match=WARNING):
        again = original(digits, tmp_path)
    assert not again.from_cache and same_weights(again.model, mine.model)


class CreatesMarker:
    """Unpickling this runs open(marker, "w"): code execution that leaves a file as evidence."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_that_would_run_code_is_refused(digits, tmp_path):
    mine = original(digits, tmp_path)
    marker = tmp_path / "payload-ran"
    torch.save({"format": training.CACHE_FORMAT, "key": mine.path.stem, "seconds": 1.0,
                "state_dict": CreatesMarker(marker)}, mine.path)
    with pytest.warns(UserWarning, match=WARNING):
        again = original(digits, tmp_path)
    assert not marker.exists()                                  # weights_only=True never called open()
    assert not again.from_cache and same_weights(again.model, mine.model)

    # The control: the same payload does run under a plain unpickler, so the test above can fail.
    evil = tmp_path / "evil.pt"
    torch.save({"state_dict": CreatesMarker(marker)}, evil)
    torch.load(evil, weights_only=False)
    assert marker.exists()


def test_a_failed_write_leaves_no_file(digits, tmp_path, monkeypatch):
    """The file is written under a temporary name and renamed when complete, so a reader (or a process
    killed half-way) never finds half a cache file under the real name; a crash in the middle of saving
    (disk full, Ctrl-C) leaves neither a .tmp nor a half cache file."""
    final_name = cache_key("original", DataConfig(), ModelConfig(), RECIPE) + ".pt"
    during_write = []

    def dies_half_way(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a zip file")
        f.flush()
        during_write.extend(files(tmp_path))
        raise OSError("No space left on device")

    monkeypatch.setattr(training.torch, "save", dies_half_way)
    with pytest.raises(OSError, match="No space"):
        original(digits, tmp_path)
    assert len(during_write) == 1 and during_write[0].endswith(".tmp") and final_name not in during_write
    assert files(tmp_path) == []


def test_the_file_records_how_it_was_made(digits, tmp_path):
    mine = original(digits, tmp_path)
    blob = torch.load(mine.path, weights_only=True)
    assert blob["record"] == cache_record("original", DataConfig(), ModelConfig(), RECIPE)
    assert key_of(blob["record"]) == blob["key"] == mine.path.stem        # the file name is the record's hash
    assert blob["sha256"] == weights_sha256(blob["state_dict"]) == weights_sha256(mine.model.state_dict())
    assert (tmp_path / f"{mine.path.name}.lock").exists()                 # the lock sits beside the file


def test_a_forged_file_of_the_right_shape_is_refused(digits, tmp_path):
    """Everything right (format marker, key, record, keys, shapes, dtypes) but the weights: random values.
    Before the weights hash, such a file loaded silently (a 9%-accurate "original")."""
    mine = original(digits, tmp_path)
    blob = torch.load(mine.path, weights_only=True)
    generator = torch.Generator().manual_seed(0)
    blob["state_dict"] = {k: torch.randn(v.shape, generator=generator).to(v.dtype) if v.is_floating_point() else v
                          for k, v in blob["state_dict"].items()}
    assert set(blob["state_dict"]) == set(mine.model.state_dict())
    torch.save(blob, mine.path)
    with pytest.warns(UserWarning, match="do not match the sha256"):
        again = original(digits, tmp_path)
    assert not again.from_cache and same_weights(again.model, mine.model)
    assert original(digits, tmp_path).from_cache                          # the file was written anew


def test_a_file_whose_record_is_another_configuration_is_refused(digits, tmp_path):
    """A consistent file (its weights match its hash) made by another recipe, renamed to this key."""
    mine = original(digits, tmp_path)
    other = original(digits, tmp_path / "other", TrainConfig(epochs=1, batch_size=256, seed=1))
    blob = torch.load(other.path, weights_only=True)
    blob["key"] = mine.path.stem
    torch.save(blob, mine.path)
    with pytest.warns(UserWarning, match="record of how it was made does not match"):
        again = original(digits, tmp_path)
    assert not again.from_cache and same_weights(again.model, mine.model)


def train_in_child(cache_dir: str, barrier, results) -> None:
    """Runs in a spawned process: wait for the sibling, then ask for the same uncached original."""
    torch.set_num_threads(1)          # the thread count is part of the key: both children must agree
    data = load_dataset(DataConfig())
    barrier.wait()                    # both ask at the same moment: without the lock, both would train
    got = get_original(DataConfig(), ModelConfig(), TrainConfig(epochs=2), data=data, device="cpu",
                       cache_dir=Path(cache_dir))
    results.put((os.getpid(), got.from_cache, weights_sha256(got.model.state_dict())))


def test_two_processes_train_the_same_model_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    children = [ctx.Process(target=train_in_child, args=(str(tmp_path), barrier, results)) for _ in range(2)]
    for child in children:
        child.start()
    try:
        reports = [results.get(timeout=300) for _ in children]
    finally:
        for child in children:
            child.join(timeout=60)
    assert all(child.exitcode == 0 for child in children)
    assert sorted(from_cache for _, from_cache, _ in reports) == [False, True]   # one trained, one loaded
    assert len({sha for _, _, sha in reports}) == 1                              # the same weights in both
    assert len(files(tmp_path)) == 1
