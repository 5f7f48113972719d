"""The original model and the retrain reference: trained on first use, cached on disk.

    original = get_original(data_cfg, model_cfg, train_cfg, data=data)
    retrain = get_retrain(data_cfg, model_cfg, train_cfg, split, data=data)
    original.model, original.seconds, original.from_cache

Both use the same recipe (cross-entropy, SGD with momentum, a cosine or one-cycle learning rate; on a
CUDA GPU the fast recipe of configs.GPU_TRAIN_DEFAULTS); retrain trains on D^r_tr alone from a fresh
initialisation with the same seed. A cache file is keyed by a hash of everything that determines the
weights (dataset, split seed, training subset, model, recipe and, for retrain, the forget set). It is
written atomically (temporary file, then rename) and read with torch.load(weights_only=True), so a cache
file can never run code.

Each file carries a record of how it was made (the JSON configuration whose hash is its key) and the
sha256 of its weights' bytes; a file whose record, key or weights hash does not match is refused with a
warning and retrained over, as is a damaged one. The hash catches weights changed after they were
written (corruption, edits, a file of the right shape with other values); it is not a signature: whoever
can write the cache folder can also write a matching hash. A lock file beside each cache file
(`<key>.pt.lock`, filelock) makes processes that need the same uncached model train it once: the first
trains and writes, the others wait, then load its file. A crashed holder's lock is released by the OS.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from .batches import shuffled_batches, take
from .configs import DataConfig, ModelConfig, TrainConfig, config_dict
from .data import ImageData, load_dataset
from .devices import autocast, pick_device
from .files import write_atomic
from .models import EmbeddingClassifier, build_model, prepare_for_device
from .splits import Split

CACHE_FORMAT = "unlearn-model-v2"     # v2: a record of the configuration and a sha256 of the weights
# progress(done_steps, total_steps): the app draws its own bar with it; the CLI shows tqdm.
Progress = Callable[[int, int], None]


@dataclass
class TrainedModel:
    model: EmbeddingClassifier
    seconds: float          # training time (measured when trained; read back from the cache file)
    from_cache: bool
    path: Path | None       # the cache file, None when caching is off


def default_cache_dir() -> Path:
    return Path(os.environ.get("UNLEARN_CACHE_DIR") or Path.home() / ".cache" / "unlearn" / "models")


def train_steps(model: EmbeddingClassifier, data: ImageData, indices: np.ndarray, cfg: TrainConfig,
                device: torch.device) -> Iterator[tuple[int, torch.Tensor]]:
    """The recipe one optimiser step at a time: yields (1-based epoch, CE loss tensor) after each step.
    Trains `model` in place; the `retrain` baseline drives it to unlearn with the same loop."""
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    model = prepare_for_device(model, device).train()
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                          nesterov=cfg.nesterov and cfg.momentum > 0)
    sched = _schedule(opt, cfg, total_steps=cfg.epochs * -(-len(indices) // cfg.batch_size))
    images, labels = _resident(data.train_x, device), _resident(data.train_y, device)
    for epoch in range(1, cfg.epochs + 1):
        for batch in shuffled_batches(indices, cfg.batch_size, rng):
            xb, yb = take(images, labels, batch, device)
            xb = _augment(xb, data)
            with autocast(device):
                logits, _ = model(xb)
                loss = F.cross_entropy(logits.float(), yb, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            yield epoch, loss.detach()


def train_classifier(model: EmbeddingClassifier, data: ImageData, indices: np.ndarray, cfg: TrainConfig,
                     device: torch.device, progress: Progress | None = None, desc: str = "train") -> EmbeddingClassifier:
    """Cross-entropy training on data.train[indices] with the recipe in cfg."""
    cfg.validate()
    total = cfg.epochs * -(-len(indices) // cfg.batch_size)
    bar = tqdm(total=total, desc=desc, leave=False, disable=progress is not None)
    for done, _ in enumerate(train_steps(model, data, indices, cfg, device), start=1):
        bar.update(1)
        if progress is not None:
            progress(done, total)
    bar.close()
    return model.eval()      # Module.to (in train_steps) moved this same object to the device


ONE_CYCLE_WARMUP = 0.25     # share of the steps spent warming up to the peak learning rate
ONE_CYCLE_START = 25.0      # the warm-up starts at lr / this (torch's default div_factor)


def _schedule(opt: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int):
    """The learning rate per step. One-cycle is written as a LambdaLR: torch's OneCycleLR divides by zero
    on a 4-step run, goes wrong below it, and cycles the momentum the recipe sets."""
    if cfg.schedule == "onecycle":
        warmup = max(1, round(ONE_CYCLE_WARMUP * total_steps))

        def one_cycle(step: int) -> float:
            if step < warmup:                  # lr / ONE_CYCLE_START rising linearly to lr
                return (1 + (ONE_CYCLE_START - 1) * step / warmup) / ONE_CYCLE_START
            return max(0.0, 1 - (step - warmup) / max(1, total_steps - warmup))   # then linearly to 0

        return torch.optim.lr_scheduler.LambdaLR(opt, one_cycle)
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)


RESIDENT_SHARE = 0.25       # keep a dataset on the GPU when it takes at most this share of the free memory


def _resident(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """The whole tensor on a CUDA device, copied once (uint8 CIFAR-10 is 150 MB), so that a step indexes
    device memory instead of copying a batch from the host; left on the host where memory is short or
    the device is not CUDA (a CPU has nothing to copy to)."""
    if device.type != "cuda":
        return t
    free, _ = torch.cuda.mem_get_info(device)
    if t.numel() * t.element_size() > RESIDENT_SHARE * free:
        return t
    return t.to(device)


def _augment(x: torch.Tensor, data: ImageData) -> torch.Tensor:
    """Random crop (pad 4) and horizontal flip for natural 32x32+ colour images, as CIFAR recipes do.
    Digits and MNIST-style data are left alone: flipping a digit changes what it is."""
    if data.image_shape[0] != 3 or data.image_shape[1] < 32:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    dx, dy = np.random.randint(0, 9, size=2)
    x = padded[:, :, dy:dy + h, dx:dx + w]
    flip = torch.rand(n, device=x.device) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)


def compute_tag(device: torch.device) -> str:
    """What, besides the recipe, changes trained weights: the device type and, on a CPU, torch's thread
    count (it sets the order of floating-point reductions: a 1-thread and a 2-thread digits original
    differed by 0.3 points of test accuracy under one recipe)."""
    return f"cpu-{torch.get_num_threads()}threads" if device.type == "cpu" else device.type


def cache_record(kind: str, data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
                 forget_train: np.ndarray | None = None, device: torch.device = torch.device("cpu")) -> str:
    """Everything that determines the weights, as canonical JSON (data_dir and download do not): the
    key is its hash, and the cache file keeps it so that a file can be checked against what is asked."""
    payload = {
        "format": CACHE_FORMAT, "kind": kind, "compute": compute_tag(device),
        "dataset": data_cfg.dataset, "split_seed": data_cfg.split_seed,
        # Only when set (a subset of the training images): every model cached before it existed keeps its key.
        **({"train_size": data_cfg.train_size} if data_cfg.train_size else {}),
        "model": config_dict(model_cfg), "train": _recipe_record(train_cfg),
        "forget": None if forget_train is None else hashlib.sha256(np.asarray(forget_train, np.int64).tobytes()).hexdigest(),
    }
    return json.dumps(payload, sort_keys=True)


# Recipe fields added after format v2 was written, with the value every older file was trained with: left
# out of the record at that value, so a model cached before they existed (hours of ResNet training on
# a CPU) is still found.
LATER_RECIPE_FIELDS = {"schedule": "cosine", "label_smoothing": 0.0, "nesterov": False}


def _recipe_record(train_cfg: TrainConfig) -> dict:
    recipe = config_dict(train_cfg)
    return {k: v for k, v in recipe.items() if not (k in LATER_RECIPE_FIELDS and v == LATER_RECIPE_FIELDS[k])}


def key_of(record: str) -> str:
    return hashlib.sha256(record.encode()).hexdigest()[:24]


def cache_key(kind: str, data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig,
              forget_train: np.ndarray | None = None, device: torch.device = torch.device("cpu")) -> str:
    """A hash of everything that determines the weights (cache_record); the cache file's name."""
    return key_of(cache_record(kind, data_cfg, model_cfg, train_cfg, forget_train, device))


def weights_sha256(state: dict[str, torch.Tensor]) -> str:
    """sha256 over every tensor's name, dtype, shape and raw bytes, in name order: the same weights give
    the same hash whatever the device they were trained on or the order of the state dict."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def get_original(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, *,
                 data: ImageData | None = None, device: str | torch.device = "auto", use_cache: bool = True,
                 cache_dir: Path | None = None, progress: Progress | None = None) -> TrainedModel:
    """The original model: cross-entropy on the whole training set D_tr."""
    data = data if data is not None else load_dataset(data_cfg)
    device = device if isinstance(device, torch.device) else pick_device(device)
    record = cache_record("original", data_cfg, model_cfg, train_cfg, device=device)
    everything = np.arange(len(data.train_y))
    return _cached_train(record, f"original {data_cfg.dataset}/{model_cfg.name}", data, model_cfg, train_cfg,
                         everything, device, use_cache, cache_dir, progress)


def get_retrain(data_cfg: DataConfig, model_cfg: ModelConfig, train_cfg: TrainConfig, split: Split, *,
                data: ImageData | None = None, device: str | torch.device = "auto", use_cache: bool = True,
                cache_dir: Path | None = None, progress: Progress | None = None) -> TrainedModel:
    """The gold standard: the same recipe from a fresh initialisation on D^r_tr alone."""
    data = data if data is not None else load_dataset(data_cfg)
    device = device if isinstance(device, torch.device) else pick_device(device)
    record = cache_record("retrain", data_cfg, model_cfg, train_cfg, split.forget_train, device)
    return _cached_train(record, f"retrain {data_cfg.dataset}/{model_cfg.name}", data, model_cfg, train_cfg,
                         split.remain_train, device, use_cache, cache_dir, progress)


def _cached_train(record, desc, data, model_cfg, train_cfg, indices, device, use_cache, cache_dir, progress) -> TrainedModel:
    train_cfg.validate()
    if not use_cache:
        return _train(desc, data, model_cfg, train_cfg, indices, device, progress, None)
    key = key_of(record)
    path = (cache_dir or default_cache_dir()) / f"{key}.pt"
    # Checked and written under the lock: a process that waited finds the file its holder wrote.
    with _locked(path, desc):
        if path.exists():
            loaded = _load(path, key, record, data, model_cfg)
            if loaded is not None:
                model, seconds = loaded
                return TrainedModel(prepare_for_device(model, device).eval(), seconds, True, path)
        trained = _train(desc, data, model_cfg, train_cfg, indices, device, progress, path)
        _save_atomic(path, key, record, trained.model, trained.seconds)
        return trained


def _train(desc, data, model_cfg, train_cfg, indices, device, progress, path) -> TrainedModel:
    torch.manual_seed(train_cfg.seed)
    model = build_model(model_cfg, data)
    start = time.perf_counter()
    model = train_classifier(model, data, indices, train_cfg, device, progress, desc)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return TrainedModel(model, time.perf_counter() - start, False, path)


@contextlib.contextmanager
def _locked(path: Path, desc: str):
    """Hold `<path>.lock` (an OS file lock, released if the holder dies). Where no lock file can be made
    (a read-only cache folder), go on without one: reading a cache needs no lock, and a failed write says so."""
    lock = FileLock(f"{path}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            # Another process is training this very model: say why nothing seems to happen, then wait.
            print(f"waiting for another process to finish training {desc} ({path.name})", file=sys.stderr)
            lock.acquire()
    except OSError as err:
        warnings.warn(f"cannot lock the model cache {path.parent} ({err}); going on without a lock", stacklevel=4)
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _save_atomic(path: Path, key: str, record: str, model: torch.nn.Module, seconds: float) -> None:
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    blob = {"format": CACHE_FORMAT, "key": key, "record": record, "sha256": weights_sha256(state),
            "seconds": float(seconds), "state_dict": state}
    write_atomic(path, lambda f: torch.save(blob, f))


def _load(path: Path, key: str, record: str, data: ImageData, model_cfg: ModelConfig):
    """(model, seconds) from a cache file, or None (with a warning) when it is damaged, foreign, made by
    another configuration, or its weights do not hash to the sha256 it carries."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != CACHE_FORMAT or blob.get("key") != key:
            raise ValueError("not a cache file for this model")
        if blob.get("record") != record:
            raise ValueError("its record of how it was made does not match this configuration")
        state = blob["state_dict"]
        if not isinstance(state, dict) or weights_sha256(state) != blob.get("sha256"):
            raise ValueError("its weights do not match the sha256 recorded when it was written")
        model = build_model(model_cfg, data)
        model.load_state_dict(state)
        return model, float(blob["seconds"])
    except Exception as err:  # any unreadable file: retrain rather than crash or load a wrong model
        warnings.warn(f"ignoring damaged or foreign model cache {path} ({type(err).__name__}: "
                      f"{str(err).splitlines()[0] if str(err) else ''}); training again", stacklevel=4)
        return None
