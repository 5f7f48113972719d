"""Dataset registry: every dataset loads into memory as uint8 image tensors.

    data = load_dataset(DataConfig(dataset="digits"))
    data.train_x  # uint8 [N, C, H, W];  data.train_y  # int64 [N]

Images stay uint8 until a batch is taken (`to_float`), so CIFAR-10 costs 150 MB, not 600. Models
normalise their input themselves (with `data.mean`/`data.std`), so a batch is just `x / 255`.

`digits` (scikit-learn's bundled 8x8 digits) needs no download and is the offline default. CIFAR-10 and SVHN
are read by torchvision from the data directory; MNIST and Fashion-MNIST by idx_files.py from their IDX files
(plain or gzipped), in the data directory or where Debian's package puts them (`apt-get install
dataset-fashion-mnist`: /usr/share/datasets/fashion-mnist/). Files are downloaded (download.py) only when
asked. `mini-imagenet` reads an image folder:

    <data_dir>/mini-imagenet/train/<class name>/<image>.{jpg,png}
    <data_dir>/mini-imagenet/test/<class name>/<image>.{jpg,png}

(the same class folders under both), resized to 84x84 as in the few-shot literature.

`DataConfig(train_size=N)` keeps at most N of the training images (`training_subset`: each class in proportion, drawn
with the split seed); the test set stays whole.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

# The data folder's functions live in configs (no torch: the app's sidebar uses them); the CLI and the tests import
# them from here too.
from .configs import DATASET_NAMES, DataConfig, default_data_dir, resolve_data_dir  # noqa: F401
from .errors import UserInputError
from .idx_files import IDX_DATASETS, find_idx, install_hint, read_idx, system_folder

MINI_IMAGENET_SIZE = 84


@dataclass(frozen=True, eq=False)
class ImageData:
    name: str
    train_x: torch.Tensor          # uint8 [N, C, H, W]
    train_y: torch.Tensor          # int64 [N]
    test_x: torch.Tensor           # uint8 [M, C, H, W]
    test_y: torch.Tensor           # int64 [M]
    class_names: tuple[str, ...]
    mean: tuple[float, ...]        # per-channel mean of train_x / 255, for the model's input normalisation
    std: tuple[float, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]."""
    return x.float().div_(255.0)


def load_dataset(cfg: DataConfig) -> ImageData:
    if cfg.dataset not in DATASETS:
        raise UserInputError(f"unknown dataset {cfg.dataset!r}; valid: {', '.join(DATASETS)}")
    data = DATASETS[cfg.dataset](cfg)
    return training_subset(data, cfg.train_size, cfg.split_seed) if cfg.train_size else data


def training_subset(data: ImageData, size: int, seed: int) -> ImageData:
    """`size` of data's training images (all of them when it has no more), each class's share kept (largest remainders round it), drawn with
    `seed`, in their original order; the test set unchanged, mean and std those of the images kept."""
    labels = data.train_y.numpy()
    if size >= len(labels):
        return data
    if size < data.num_classes:
        raise UserInputError(f"train size must be at least {data.num_classes} (an image a class of {data.name}), "
                             f"got {size}")
    counts = np.bincount(labels, minlength=data.num_classes)
    exact = counts * size / len(labels)
    quota = np.floor(exact).astype(int)
    quota[np.argsort(quota - exact, kind="stable")[:size - quota.sum()]] += 1
    rng = np.random.default_rng(seed)
    kept = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), n, replace=False)
                                   for c, n in enumerate(quota)]))
    return image_data_from_arrays(data.name, data.train_x[kept].numpy(), labels[kept], data.test_x.numpy(),
                                  data.test_y.numpy(), data.class_names)


def image_data_from_arrays(name, train_x, train_y, test_x, test_y, class_names) -> ImageData:
    """An ImageData from uint8 [N, C, H, W] arrays and labels; per-channel mean/std from train_x."""
    train_x = torch.as_tensor(np.ascontiguousarray(train_x), dtype=torch.uint8)
    as_float = train_x.float() / 255.0
    mean = tuple(as_float.mean(dim=(0, 2, 3)).tolist())
    std = tuple(max(s, 1e-3) for s in as_float.std(dim=(0, 2, 3)).tolist())
    return ImageData(
        name=name,
        train_x=train_x,
        train_y=torch.as_tensor(np.asarray(train_y), dtype=torch.int64),
        test_x=torch.as_tensor(np.ascontiguousarray(test_x), dtype=torch.uint8),
        test_y=torch.as_tensor(np.asarray(test_y), dtype=torch.int64),
        class_names=tuple(str(c) for c in class_names),
        mean=mean,
        std=std,
    )


def _load_digits(cfg: DataConfig) -> ImageData:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    # Pixel values are 0..16; scale to 0..255 so every dataset is uint8 images.
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    train_x, test_x, train_y, test_y = train_test_split(
        images, bunch.target, test_size=0.2, stratify=bunch.target, random_state=cfg.split_seed
    )
    return image_data_from_arrays("digits", train_x, train_y, test_x, test_y, [str(d) for d in range(10)])


def _fetch_hint(name: str, where: Path) -> str:
    if name == "mini-imagenet":
        return f"put the images under {where / 'mini-imagenet'}/{{train,test}}/<class>/ (see unlearn_core/data.py)"
    return f"python -m unlearn_core run --dataset {name} --data-dir {where} --download"


def missing_message(name: str, where: Path) -> str:
    """The one line for a dataset whose files are not on this machine: where they were looked for, and how to
    get them (Debian's package where there is one, beside the download)."""
    install = install_hint(name)
    system = system_folder(name) if install else None
    looked = f"{where}" + (f" or {system}" if system else "")
    how = f"install them with: {install}, or fetch them with: " if install else "fetch them with: "
    return f"{name} files not found in {looked}; {how}{_fetch_hint(name, where)}"


def _missing(cfg: DataConfig, name: str, where: Path, error: Exception | None = None) -> UserInputError:
    return UserInputError(missing_message(name, where))


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


# What torchvision's readers raise on a file that exists but does not parse (a truncated or foreign file
# reaches the parser: AssertionError, ValueError, ...).
_UNREADABLE = (AssertionError, ValueError, TypeError, KeyError, IndexError, EOFError, pickle.UnpicklingError)


def _torchvision(name: str, loader: Callable) -> Callable[[DataConfig], ImageData]:
    def unreadable(root: Path, err: Exception) -> UserInputError:
        return UserInputError(f"{name} files in {root} cannot be read ({type(err).__name__}: {_first_line(err)}); "
                              f"delete them and fetch again with: {_fetch_hint(name, root)}")

    def load(cfg: DataConfig) -> ImageData:
        root = resolve_data_dir(cfg)
        if cfg.download:     # our all-or-nothing fetch (download.py), not torchvision's, which leaves partial files
            from .download import fetch
            fetch(name, root)
        try:
            train, test = loader(root)
        except _UNREADABLE as err:
            raise unreadable(root, err) from err
        except (RuntimeError, OSError) as err:
            # torchvision raises RuntimeError("Dataset not found or corrupted...") for missing files.
            if isinstance(err, FileNotFoundError) or str(err).startswith("Dataset"):
                raise _missing(cfg, name, root, err) from err
            raise unreadable(root, err) from err  # e.g. a truncated idx file: torch cannot shape its bytes
        (train_x, train_y, classes), (test_x, test_y) = train, test
        return image_data_from_arrays(name, train_x, train_y, test_x, test_y, classes)

    return load


def _cifar10(root: Path):
    from torchvision.datasets import CIFAR10

    sets = [CIFAR10(str(root), train=t) for t in (True, False)]
    # .data is uint8 [N, 32, 32, 3] -> [N, 3, 32, 32]
    parts = [(s.data.transpose(0, 3, 1, 2), np.asarray(s.targets)) for s in sets]
    return (*parts[0], sets[0].classes), parts[1]


def _svhn(root: Path):
    from torchvision.datasets import SVHN

    sets = [SVHN(str(root), split=s) for s in ("train", "test")]
    # .data is already uint8 [N, 3, 32, 32]; labels 0..9 (torchvision maps the .mat's 10 to 0).
    parts = [(s.data, np.asarray(s.labels)) for s in sets]
    return (*parts[0], [str(d) for d in range(10)]), parts[1]


def _idx(name: str) -> Callable[[DataConfig], ImageData]:
    """MNIST / Fashion-MNIST from their IDX files, wherever idx_files.find_idx finds all four (the data folder
    in torchvision's or the flat layout, or the system's package); every file checked before use."""
    def load(cfg: DataConfig) -> ImageData:
        root = resolve_data_dir(cfg)
        if cfg.download:     # our all-or-nothing fetch (download.py); nothing to do when the files are anywhere
            from .download import fetch
            fetch(name, root)
        folder = find_idx(name, root)
        if folder is None:
            raise _missing(cfg, name, root)
        try:
            train_x, train_y, test_x, test_y = read_idx(name, folder)
        except UserInputError as err:
            system = system_folder(name)
            fix = (f"reinstall it with: apt-get install --reinstall {IDX_DATASETS[name].package}"
                   if system is not None and folder == system and install_hint(name)
                   else f"delete it and fetch again with: {_fetch_hint(name, root)}")
            raise UserInputError(f"{name} file cannot be read: {err}; {fix}") from None
        return image_data_from_arrays(name, train_x, train_y, test_x, test_y, IDX_DATASETS[name].classes)

    return load


def _load_mini_imagenet(cfg: DataConfig) -> ImageData:
    from PIL import Image, UnidentifiedImageError

    root = resolve_data_dir(cfg) / "mini-imagenet"
    train_dir, test_dir = root / "train", root / "test"
    if not train_dir.is_dir() or not test_dir.is_dir():
        raise _missing(cfg, "mini-imagenet", resolve_data_dir(cfg))
    classes = sorted(p.name for p in train_dir.iterdir() if p.is_dir())
    if not classes:
        raise _missing(cfg, "mini-imagenet", resolve_data_dir(cfg))

    def read(split_dir: Path):
        images, labels = [], []
        for label, name in enumerate(classes):
            folder = split_dir / name
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                    continue
                try:
                    with Image.open(path) as img:
                        img = img.convert("RGB").resize((MINI_IMAGENET_SIZE, MINI_IMAGENET_SIZE))
                        images.append(np.asarray(img).transpose(2, 0, 1))
                except (UnidentifiedImageError, OSError) as err:
                    raise UserInputError(f"mini-imagenet: cannot read image {path}: {err}") from err
                labels.append(label)
        if not images:
            raise UserInputError(f"mini-imagenet: no .jpg/.png images under {split_dir}/<class>/")
        return np.stack(images), np.asarray(labels)

    train_x, train_y = read(train_dir)
    test_x, test_y = read(test_dir)
    return image_data_from_arrays("mini-imagenet", train_x, train_y, test_x, test_y, classes)


DATASETS: dict[str, Callable[[DataConfig], ImageData]] = {
    "digits": _load_digits,
    "cifar10": _torchvision("cifar10", _cifar10),
    "svhn": _torchvision("svhn", _svhn),
    "mnist": _idx("mnist"),
    "fashion-mnist": _idx("fashion-mnist"),
    "mini-imagenet": _load_mini_imagenet,
}
assert tuple(DATASETS) == DATASET_NAMES, "configs.DATASET_NAMES names the registry's datasets, in order"
