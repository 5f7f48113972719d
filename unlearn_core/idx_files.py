"""MNIST and Fashion-MNIST from their IDX files: where they are, and whether each file is what it should be.

    found = find_idx("fashion-mnist", data_dir)     # the folder holding all four files, or None
    train_x, train_y, test_x, test_y = read_idx(found)     # every file checked first; UserInputError names a bad one

The four files are the original IDX files (http://yann.lecun.com/exdb/mnist/), plain or gzipped:

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

They are looked for, in this order, in the data folder in torchvision's layout (`<data_dir>/FashionMNIST/raw/`,
what `--download` writes), in a folder named after the dataset (`<data_dir>/fashion-mnist/`), in the data folder
itself (Debian's flat layout), and in the system's dataset folder: Debian's package `dataset-fashion-mnist`
installs the four gzipped files in `/usr/share/datasets/fashion-mnist/` (recompressed, so their checksums differ
from the upstream downloads; the contents are the same). `$UNLEARN_SYSTEM_DATASETS` replaces
`/usr/share/datasets` (empty: no system folder; the test suite sets that, so that its missing-files tests do not
depend on what this machine has installed).

Each file's header is checked before its data is used: the magic number (2051 for images, 2049 for labels),
28x28 images, the published count (60,000 training and 10,000 test samples) and as many labels as images;
and the data must be as long as the header says (a truncated download, a truncated gzip stream). A file that
does not fit gets one line naming the file and what is wrong.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserInputError

if TYPE_CHECKING:      # numpy only where files are read: the app's sidebar looks files up on the Start page's first run
    import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049     # 0x00000803: unsigned bytes, 3 dims; 0x00000801: 1 dim
IMAGE_SIZE = 28
SYSTEM_ENV = "UNLEARN_SYSTEM_DATASETS"
SYSTEM_ROOT = "/usr/share/datasets"


@dataclass(frozen=True)
class IdxDataset:
    name: str                 # the registry's name, and the system folder's
    folder: str               # torchvision's folder under the data dir (<folder>/raw/)
    classes: tuple[str, ...]
    package: str | None       # Debian's package installing it under SYSTEM_ROOT/<name>/, if there is one
    counts: tuple[int, int] = (60_000, 10_000)      # training, test samples as published


IDX_DATASETS = {
    "mnist": IdxDataset("mnist", "MNIST", ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
                                           "6 - six", "7 - seven", "8 - eight", "9 - nine"), None),
    "fashion-mnist": IdxDataset("fashion-mnist", "FashionMNIST", ("T-shirt/top", "Trouser", "Pullover", "Dress",
                                                                  "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                                                  "Ankle boot"), "dataset-fashion-mnist"),
}
# (split, kind) -> the file's name without .gz; train first, images before labels.
FILES = {("train", "images"): "train-images-idx3-ubyte", ("train", "labels"): "train-labels-idx1-ubyte",
         ("test", "images"): "t10k-images-idx3-ubyte", ("test", "labels"): "t10k-labels-idx1-ubyte"}


def system_folder(name: str) -> Path | None:
    """Where the system's package puts `name`'s files (whether or not it is installed); None when turned off."""
    root = os.environ.get(SYSTEM_ENV, SYSTEM_ROOT)
    return Path(root) / name if root.strip() else None


def candidate_folders(name: str, data_dir: Path) -> list[Path]:
    """Where `name`'s four files are looked for, in order."""
    spec = IDX_DATASETS[name]
    data_dir = Path(data_dir).expanduser()
    system = system_folder(name)
    folders = [data_dir / spec.folder / "raw", data_dir / name, data_dir, *([system] if system else [])]
    return list(dict.fromkeys(folders))


def _file_in(folder: Path, base: str) -> Path | None:
    """`base` in `folder`, uncompressed preferred (what torchvision's download leaves), else `base`.gz."""
    for path in (folder / base, folder / f"{base}.gz"):
        if path.is_file():
            return path
    return None


def files_in(folder: Path) -> dict[tuple[str, str], Path] | None:
    """The four files in `folder`, or None unless all four are there."""
    found = {key: _file_in(folder, base) for key, base in FILES.items()}
    return found if all(found.values()) else None


def find_idx(name: str, data_dir: Path) -> Path | None:
    """The first folder holding all four of `name`'s files (existence only: cheap, the sidebar asks on every
    rerun; read_idx checks the contents)."""
    return next((f for f in candidate_folders(name, data_dir) if files_in(f) is not None), None)


def install_hint(name: str) -> str | None:
    """`apt-get install <package>` where the system has a package for `name`."""
    spec = IDX_DATASETS.get(name)
    return f"apt-get install {spec.package}" if spec is not None and spec.package else None


def read_idx(name: str, folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """train_x uint8 [N, 1, 28, 28], train_y, test_x, test_y from the four files in `folder`, each checked."""
    import numpy as np

    spec, files = IDX_DATASETS[name], files_in(folder)
    if files is None:
        raise UserInputError(f"{name}: {folder} does not hold all four IDX files ({', '.join(FILES.values())})")
    out = []
    for split, count in zip(("train", "test"), spec.counts):
        images = _read(files[split, "images"], IMAGES_MAGIC, count)
        labels = _read(files[split, "labels"], LABELS_MAGIC, count)
        if labels.max(initial=0) >= len(spec.classes):
            raise UserInputError(f"{files[split, 'labels']}: label {int(labels.max())} out of range 0-{len(spec.classes) - 1}")
        out += [images[:, None, :, :], labels.astype(np.int64)]
    return tuple(out)


def _read(path: Path, magic: int, count: int) -> np.ndarray:
    raw = _bytes(path)
    what = "images" if magic == IMAGES_MAGIC else "labels"
    dims = 3 if magic == IMAGES_MAGIC else 1
    header = 4 * (1 + dims)
    if len(raw) < header:
        raise UserInputError(f"{path}: not an IDX {what} file ({len(raw)} bytes, shorter than its header)")
    found_magic = struct.unpack(">I", raw[:4])[0]
    if found_magic != magic:
        other = {IMAGES_MAGIC: "an IDX images file", LABELS_MAGIC: "an IDX labels file"}.get(found_magic, "not an IDX file")
        raise UserInputError(f"{path}: wrong magic number {found_magic} (expected {magic}, IDX {what}; this is {other})")
    shape = struct.unpack(f">{dims}I", raw[4:header])
    if dims == 3 and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise UserInputError(f"{path}: images are {shape[1]}x{shape[2]}, expected {IMAGE_SIZE}x{IMAGE_SIZE}")
    if shape[0] != count:
        raise UserInputError(f"{path}: holds {shape[0]} {what}, expected {count} (a different or partial file)")
    import numpy as np

    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise UserInputError(f"{path}: {len(raw) - header} bytes of {what} data, expected {size} from its header "
                             f"({'truncated' if len(raw) - header < size else 'trailing bytes'})")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy()    # writable: torch wants it


def _bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as err:     # gzip.BadGzipFile is an OSError; a cut stream EOFError
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserInputError(f"{path}: cannot be read ({type(err).__name__}: {reason})") from None
