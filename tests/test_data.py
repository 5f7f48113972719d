"""Dataset loaders, on small files written here in each dataset's real on-disk format.

Nothing is mocked except torchvision's md5 comparison for CIFAR-10 and SVHN (see `no_md5`): the
files are parsed by torchvision's own readers and go through `load_dataset` like a user's would.
"""
from __future__ import annotations

import os
import pickle
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from unlearn_core.configs import DataConfig
from unlearn_core.data import (DATASETS, MINI_IMAGENET_SIZE, ImageData, default_data_dir, load_dataset,
                               resolve_data_dir, to_float)
from unlearn_core.errors import UserInputError

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def load(name: str, root) -> ImageData:
    return load_dataset(DataConfig(dataset=name, data_dir=str(root)))


def channel_images(rng: np.random.Generator, n: int, size: int, channels: int) -> np.ndarray:
    """Random uint8 [n, C, H, W] whose channels live in different value bands (0-79, 88-167, 176-255),
    so that a loader mixing up the channel axis changes both the pixels and the per-channel mean."""
    bands = rng.integers(0, 80, size=(n, channels, size, size))
    return (bands + 88 * np.arange(channels)[None, :, None, None]).astype(np.uint8)


def assert_one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert message and "\n" not in message, message
    return message


@pytest.fixture
def no_md5(monkeypatch):
    """CIFAR-10 and SVHN compare every file's md5 with the published one. Files written by a test
    cannot match, so this replaces only that comparison (a file must still exist) in the modules
    that call it; the parsing that follows is torchvision's, unchanged. MNIST needs no bypass:
    torchvision checks only that its raw idx files exist."""
    import torchvision.datasets.cifar as tv_cifar
    import torchvision.datasets.svhn as tv_svhn

    def exists_only(fpath, md5=None):
        return os.path.isfile(fpath)

    monkeypatch.setattr(tv_cifar, "check_integrity", exists_only)
    monkeypatch.setattr(tv_svhn, "check_integrity", exists_only)


# --- CIFAR-10: cifar-10-batches-py/, pickled by Python 2 -------------------------------------------

class _Py2Pickler(pickle._Pickler):
    """Pickles `bytes` as Python 2 `str` (SHORT_BINSTRING/BINSTRING), as the real CIFAR batches were
    written: loaded with encoding="bytes" their keys are b"data", with torchvision's "latin1" "data"."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def _py2_pickle(path, obj) -> None:
    with open(path, "wb") as f:
        _Py2Pickler(f, protocol=2).dump(obj)


def write_cifar10(root, per_batch: int = 2, n_test: int = 3, seed: int = 0):
    """Returns (train images, train labels, test images, test labels) as the loader should give them."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    images, labels = [], []
    for b, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        n = n_test if name == "test_batch" else per_batch
        x = channel_images(rng, n, 32, 3)
        y = [int(v) for v in rng.integers(0, 10, size=n)]
        # A row is 1024 red, then 1024 green, then 1024 blue values, each image row-major.
        rows = x.reshape(n, 3072)
        _py2_pickle(folder / name, {b"batch_label": f"batch {b}".encode(), b"labels": y, b"data": rows,
                                    b"filenames": [f"img_{b}_{i}.png".encode() for i in range(n)]})
        images.append(x)
        labels.append(y)
    _py2_pickle(folder / "batches.meta", {b"label_names": [c.encode() for c in CIFAR_CLASSES],
                                          b"num_cases_per_batch": per_batch, b"num_vis": 3072})
    return np.concatenate(images[:5]), np.concatenate(labels[:5]), images[5], np.asarray(labels[5])


def test_cifar10_reads_python_batches(tmp_path, no_md5):
    train_x, train_y, test_x, test_y = write_cifar10(tmp_path)
    # One pixel by hand from the raw row layout: channel c, row h, column w is at c*1024 + h*32 + w.
    raw = pickle.load(open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb"), encoding="bytes")
    c, h, w = 2, 5, 17

    data = load("cifar10", tmp_path)
    assert data.name == "cifar10"
    assert data.train_x.dtype == torch.uint8 and data.test_x.dtype == torch.uint8
    assert tuple(data.train_x.shape) == (10, 3, 32, 32) and tuple(data.test_x.shape) == (3, 3, 32, 32)
    assert data.image_shape == (3, 32, 32)
    assert data.train_y.dtype == torch.int64
    assert data.train_y.tolist() == train_y.tolist() and data.test_y.tolist() == test_y.tolist()
    assert int(data.train_x[1, c, h, w]) == int(raw[b"data"][1][c * 1024 + h * 32 + w])
    assert torch.equal(data.train_x, torch.from_numpy(train_x))
    assert torch.equal(data.test_x, torch.from_numpy(test_x))
    assert data.class_names == tuple(CIFAR_CLASSES) and data.num_classes == 10
    expected_mean = (train_x / 255.0).mean(axis=(0, 2, 3))
    assert np.allclose(data.mean, expected_mean, atol=1e-5)
    assert data.mean[0] < data.mean[1] < data.mean[2]


def test_cifar10_files_failing_the_checksum_are_refused(tmp_path):
    write_cifar10(tmp_path)  # real layout, but not the published bytes: torchvision's md5 check says no
    with pytest.raises(UserInputError) as err:
        load("cifar10", tmp_path)
    message = assert_one_line(err)
    assert str(tmp_path) in message and "--download" in message


def test_cifar10_truncated_batch_is_a_user_error(tmp_path, no_md5):
    write_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:200])
    with pytest.raises(UserInputError) as err:
        load("cifar10", tmp_path)
    message = assert_one_line(err)
    assert "cannot be read" in message and str(tmp_path) in message


# --- SVHN: train_32x32.mat / test_32x32.mat ---------------------------------------------------------

def write_svhn(root, labels_train, labels_test, seed: int = 0):
    """X is uint8 [H, W, C, N] and y is [N, 1] with 10 for the digit 0, as in the published files.
    Returns the images as [N, C, H, W]."""
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    out = []
    for name, labels in (("train", labels_train), ("test", labels_test)):
        x = channel_images(rng, len(labels), 32, 3)
        savemat(root / f"{name}_32x32.mat", {"X": np.ascontiguousarray(x.transpose(2, 3, 1, 0)),
                                             "y": np.asarray(labels, dtype=np.uint8).reshape(-1, 1)})
        out.append(x)
    return out


def test_svhn_reads_mat_files(tmp_path, no_md5):
    train_x, test_x = write_svhn(tmp_path, [10, 1, 5, 10, 9], [3, 10])
    from scipy.io import loadmat
    X = loadmat(tmp_path / "train_32x32.mat")["X"]  # [H, W, C, N]

    data = load("svhn", tmp_path)
    assert tuple(data.train_x.shape) == (5, 3, 32, 32) and tuple(data.test_x.shape) == (2, 3, 32, 32)
    assert data.train_x.dtype == torch.uint8
    assert data.train_y.tolist() == [0, 1, 5, 0, 9]  # the .mat's 10 is the digit 0
    assert data.test_y.tolist() == [3, 0]
    # Row 3, column 20 and the mirrored position: a loader swapping H and W would mix them up.
    for n, c, h, w in [(4, 1, 3, 20), (4, 1, 20, 3), (0, 2, 31, 0)]:
        assert int(data.train_x[n, c, h, w]) == int(X[h, w, c, n])
    assert torch.equal(data.train_x, torch.from_numpy(train_x))
    assert torch.equal(data.test_x, torch.from_numpy(test_x))
    assert data.class_names == tuple(str(d) for d in range(10))
    assert np.allclose(data.mean, (train_x / 255.0).mean(axis=(0, 2, 3)), atol=1e-5)


def test_svhn_files_failing_the_checksum_are_refused(tmp_path):
    write_svhn(tmp_path, [1, 2], [3])
    with pytest.raises(UserInputError) as err:
        load("svhn", tmp_path)
    assert str(tmp_path) in assert_one_line(err)


# --- MNIST and Fashion-MNIST: idx files under <Class>/raw/ -----------------------------------------

def write_idx(root, folder: str, train_x, train_y, test_x, test_y) -> None:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for prefix, x, y in (("train", train_x, train_y), ("t10k", test_x, test_y)):
        # Big-endian headers: magic 2051 (0x00000803: uint8, 3 dims) then N, rows, cols; labels 2049.
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, *x.shape) + x.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 2049, len(y)) + np.asarray(y, np.uint8).tobytes())


def idx_counts(monkeypatch, name: str, train: int, test: int) -> None:
    """The loader refuses IDX files whose counts are not the published 60,000 and 10,000: say what the tiny
    files written here hold (as no_md5 does for checksums)."""
    from dataclasses import replace

    from unlearn_core.idx_files import IDX_DATASETS

    monkeypatch.setitem(IDX_DATASETS, name, replace(IDX_DATASETS[name], counts=(train, test)))


MNIST_LIKE = [("mnist", "MNIST", "0 - zero"), ("fashion-mnist", "FashionMNIST", "T-shirt/top")]


@pytest.mark.parametrize("name,folder,first_class", MNIST_LIKE)
def test_mnist_like_reads_idx_files(tmp_path, monkeypatch, name, folder, first_class):
    idx_counts(monkeypatch, name, 4, 3)
    rng = np.random.default_rng(1)
    train_x = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    test_x = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    train_x[2, 3, 7], train_x[2, 7, 3] = 250, 5  # row 3, column 7 vs its transpose
    write_idx(tmp_path, folder, train_x, [7, 0, 9, 3], test_x, [1, 1, 4])

    data = load(name, tmp_path)
    assert data.name == name
    assert tuple(data.train_x.shape) == (4, 1, 28, 28) and tuple(data.test_x.shape) == (3, 1, 28, 28)
    assert data.train_x.dtype == torch.uint8 and data.train_y.dtype == torch.int64
    assert data.train_y.tolist() == [7, 0, 9, 3] and data.test_y.tolist() == [1, 1, 4]
    assert int(data.train_x[2, 0, 3, 7]) == 250 and int(data.train_x[2, 0, 7, 3]) == 5
    assert torch.equal(data.train_x[:, 0], torch.from_numpy(train_x))
    assert torch.equal(data.test_x[:, 0], torch.from_numpy(test_x))
    assert data.num_classes == 10 and data.class_names[0] == first_class
    assert len(data.mean) == 1 and data.mean[0] == pytest.approx(train_x.mean() / 255.0, abs=1e-5)


def _truncated(raw_bytes: bytes) -> bytes:
    return raw_bytes[:100]


@pytest.mark.parametrize("corrupt", [
    lambda b: b"",                         # empty file
    lambda b: b"not an idx file at all",   # wrong magic
    _truncated,                            # header says 4 images, the bytes hold less than one
    lambda b: struct.pack(">II", 2049, 3) + bytes(3),  # a label file where the images should be
], ids=["empty", "garbage", "truncated", "labels-as-images"])
def test_mnist_corrupt_idx_file_is_a_user_error(tmp_path, monkeypatch, corrupt):
    # MNIST has no checksum on its raw files, so a damaged one reaches the IDX reader's checks.
    idx_counts(monkeypatch, "mnist", 4, 1)
    write_idx(tmp_path, "MNIST", np.zeros((4, 28, 28), np.uint8), [0, 1, 2, 3], np.zeros((1, 28, 28), np.uint8), [5])
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(UserInputError) as err:
        load("mnist", tmp_path)
    message = assert_one_line(err)
    assert str(tmp_path) in message and "cannot be read" in message and "--download" in message


# --- mini-imagenet: an image folder ----------------------------------------------------------------

QUADRANTS = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (255, 255, 255)]  # top-left, top-right, bottom-left, -right


def quadrant_image(width: int, height: int) -> Image.Image:
    a = np.zeros((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    a[:h, :w], a[:h, w:], a[h:, :w], a[h:, w:] = QUADRANTS
    return Image.fromarray(a)


def write_mini_imagenet(root) -> None:
    base = root / "mini-imagenet"
    # Created out of order: labels must follow the sorted folder names, not creation order.
    layout = {"train": {"n03_zebra": 2, "n01_ant": 2, "n02_bee": 1}, "test": {"n02_bee": 1, "n01_ant": 1, "n03_zebra": 1}}
    for split, classes in layout.items():
        for cls, count in classes.items():
            folder = base / split / cls
            folder.mkdir(parents=True)
            for i in range(count):
                quadrant_image(120, 60).save(folder / f"{cls}_{i}.png")
    # A JPEG, a grayscale PNG and a file that is not an image (ignored by extension).
    Image.fromarray(np.full((50, 70, 3), (10, 120, 240), np.uint8)).save(base / "train" / "n02_bee" / "b.JPG", quality=95)
    Image.fromarray(np.full((90, 90), 77, np.uint8), mode="L").save(base / "test" / "n03_zebra" / "gray.png")
    (base / "train" / "n01_ant" / "notes.txt").write_text("not an image")


def test_mini_imagenet_reads_an_image_folder(tmp_path):
    write_mini_imagenet(tmp_path)
    data = load("mini-imagenet", tmp_path)
    size = MINI_IMAGENET_SIZE
    assert size == 84
    assert data.class_names == ("n01_ant", "n02_bee", "n03_zebra")
    assert tuple(data.train_x.shape) == (6, 3, size, size) and tuple(data.test_x.shape) == (4, 3, size, size)
    assert data.train_x.dtype == torch.uint8
    # Files in sorted order within each class folder: b.JPG sorts before n02_bee_0.png.
    assert data.train_y.tolist() == [0, 0, 1, 1, 2, 2]
    assert data.test_y.tolist() == [0, 1, 2, 2]

    # A 120x60 quadrant image, squeezed to 84x84 and stored CHW: each quadrant stays in its corner.
    img = data.train_x[0]
    for (row, col), colour in zip([(10, 10), (10, 73), (73, 10), (73, 73)], QUADRANTS):
        assert img[:, row, col].tolist() == list(colour), (row, col)
    jpeg = data.train_x[2].reshape(3, -1).float().mean(dim=1)
    assert torch.allclose(jpeg, torch.tensor([10.0, 120.0, 240.0]), atol=4)
    gray = data.test_x[2]  # gray.png sorts before n03_zebra_0.png
    assert (gray == 77).all()  # grayscale becomes three equal channels


def test_mini_imagenet_corrupt_image_names_the_file(tmp_path):
    write_mini_imagenet(tmp_path)
    bad = tmp_path / "mini-imagenet" / "test" / "n01_ant" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(UserInputError) as err:
        load("mini-imagenet", tmp_path)
    assert str(bad) in assert_one_line(err)


def test_mini_imagenet_truncated_image_names_the_file(tmp_path):
    write_mini_imagenet(tmp_path)
    path = tmp_path / "mini-imagenet" / "train" / "n03_zebra" / "n03_zebra_1.png"
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(UserInputError) as err:
        load("mini-imagenet", tmp_path)
    assert str(path) in assert_one_line(err)


def test_mini_imagenet_class_folders_without_images(tmp_path):
    for split in ("train", "test"):
        (tmp_path / "mini-imagenet" / split / "n01_ant").mkdir(parents=True)
    with pytest.raises(UserInputError) as err:
        load("mini-imagenet", tmp_path)
    assert "no .jpg/.png images" in assert_one_line(err)


# --- missing files and unknown names -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["cifar10", "svhn", "mnist", "fashion-mnist", "mini-imagenet"])
def test_missing_files_say_where_and_how_to_fetch(tmp_path, name):
    with pytest.raises(UserInputError) as err:
        load(name, tmp_path)
    message = assert_one_line(err)
    assert "not found" in message and str(tmp_path) in message
    if name == "mini-imagenet":
        assert str(tmp_path / "mini-imagenet") + "/{train,test}/<class>/" in message
    else:
        assert f"python -m unlearn_core run --dataset {name} --data-dir {tmp_path} --download" in message


def test_missing_files_even_with_checksums_skipped(tmp_path, no_md5):
    with pytest.raises(UserInputError) as err:
        load("cifar10", tmp_path)
    assert "not found" in assert_one_line(err)


def test_partial_mnist_is_missing(tmp_path):
    write_idx(tmp_path, "MNIST", np.zeros((2, 28, 28), np.uint8), [0, 1], np.zeros((1, 28, 28), np.uint8), [2])
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(UserInputError) as err:
        load("mnist", tmp_path)
    assert "not found" in assert_one_line(err)


def test_mini_imagenet_without_test_folder_is_missing(tmp_path):
    write_mini_imagenet(tmp_path)
    for path in sorted((tmp_path / "mini-imagenet" / "test").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (tmp_path / "mini-imagenet" / "test").rmdir()
    with pytest.raises(UserInputError) as err:
        load("mini-imagenet", tmp_path)
    assert "not found" in assert_one_line(err)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(UserInputError) as err:
        load_dataset(DataConfig(dataset="imagenet-1k"))
    message = assert_one_line(err)
    assert "imagenet-1k" in message
    for name in ("digits", "cifar10", "svhn", "mnist", "fashion-mnist", "mini-imagenet"):
        assert name in DATASETS and name in message


# --- digits: bundled with scikit-learn, split here ---------------------------------------------------

@pytest.fixture(scope="module")
def digits() -> ImageData:
    return load_dataset(DataConfig(dataset="digits"))


def test_digits_shapes_and_pixel_range(digits):
    assert len(digits.train_y) + len(digits.test_y) == 1797
    assert len(digits.test_y) == 360  # 20%, rounded up by scikit-learn
    assert tuple(digits.train_x.shape) == (1437, 1, 8, 8) and tuple(digits.test_x.shape) == (360, 1, 8, 8)
    assert digits.train_x.dtype == torch.uint8 and digits.train_y.dtype == torch.int64
    assert int(digits.train_x.min()) == 0 and int(digits.train_x.max()) == 255  # 0..16 scaled to 0..255
    assert digits.class_names == tuple(str(d) for d in range(10))


def test_digits_split_holds_every_image_once(digits):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    expected = np.rint(bunch.images * (255 / 16)).astype(np.uint8).reshape(1797, 64)
    got = torch.cat([digits.train_x, digits.test_x]).reshape(1797, 64).numpy()
    labels = torch.cat([digits.train_y, digits.test_y]).numpy()
    order_e = np.lexsort(np.column_stack([expected, bunch.target]).T)
    order_g = np.lexsort(np.column_stack([got, labels]).T)
    assert np.array_equal(expected[order_e], got[order_g])
    assert np.array_equal(bunch.target[order_e], labels[order_g])


def test_digits_split_is_stratified(digits):
    train = np.bincount(digits.train_y.numpy(), minlength=10)
    test = np.bincount(digits.test_y.numpy(), minlength=10)
    assert np.all(np.abs(test - 0.2 * (train + test)) <= 1)


def test_digits_split_is_seeded(digits):
    again = load_dataset(DataConfig(dataset="digits", split_seed=0))
    assert torch.equal(again.train_x, digits.train_x) and torch.equal(again.test_y, digits.test_y)
    other = load_dataset(DataConfig(dataset="digits", split_seed=1))
    assert not torch.equal(other.train_x, digits.train_x)
    assert not torch.equal(other.test_x, digits.test_x)


def test_digits_mean_and_std_per_channel(digits):
    pixels = digits.train_x.numpy() / 255.0
    assert len(digits.mean) == len(digits.std) == 1
    assert digits.mean[0] == pytest.approx(pixels.mean(), abs=1e-5)
    assert digits.std[0] == pytest.approx(pixels.std(ddof=1), abs=1e-4)


# --- helpers -------------------------------------------------------------------------------------------

def test_to_float_scales_uint8_to_unit_range():
    x = torch.tensor([[0, 51, 255]], dtype=torch.uint8)
    y = to_float(x)
    assert y.dtype == torch.float32
    assert torch.allclose(y, torch.tensor([[0.0, 0.2, 1.0]]))
    assert x.tolist() == [[0, 51, 255]]


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(tmp_path))
    assert default_data_dir() == tmp_path
    assert resolve_data_dir(DataConfig()) == tmp_path
    monkeypatch.delenv("UNLEARN_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".cache" / "unlearn" / "data"
    assert resolve_data_dir(DataConfig(data_dir="~/sets")) == tmp_path / "home" / "sets"
