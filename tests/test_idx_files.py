"""Fashion-MNIST from its IDX files: the real ones Debian's package `dataset-fashion-mnist` installs (found
without --data-dir), every layout a data folder may hold, and one line for a file that is not what it
should be (small files written here in the real format, gzipped or not).

The tests of the real files need the package (`.ci/run` installs it); they are skipped without it.
"""
from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from test_data import idx_counts
from unlearn_core.configs import DataConfig
from unlearn_core.data import load_dataset
from unlearn_core.download import status
from unlearn_core.errors import UserInputError
from unlearn_core.idx_files import FILES, SYSTEM_ENV, candidate_folders, find_idx, read_idx

REPO = Path(__file__).resolve().parent.parent
SYSTEM = Path("/usr/share/datasets")
INSTALLED = (SYSTEM / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()
needs_package = pytest.mark.skipif(not INSTALLED, reason="apt-get install dataset-fashion-mnist (.ci/run does)")


@pytest.fixture
def system(monkeypatch):
    """The system's dataset folder, which conftest turns off for every other test."""
    monkeypatch.setenv(SYSTEM_ENV, str(SYSTEM))


@pytest.fixture
def no_system(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, "")


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert message and "\n" not in message, message
    return message


def write_files(folder: Path, n_train=4, n_test=3, gz=True, seed=0) -> tuple[np.ndarray, ...]:
    """Four IDX files in the real format (big-endian header: magic, count, rows, cols), gzipped or not; the
    full-size ones blank (random pixels would take seconds to gzip)."""
    rng = np.random.default_rng(seed)
    pixels = (lambda n: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)) if n_train <= 1000 else \
        (lambda n: np.zeros((n, 28, 28), np.uint8))
    arrays = {("train", "images"): pixels(n_train),
              ("train", "labels"): rng.integers(0, 10, n_train).astype(np.uint8),
              ("test", "images"): pixels(n_test),
              ("test", "labels"): rng.integers(0, 10, n_test).astype(np.uint8)}
    folder.mkdir(parents=True, exist_ok=True)
    for (split, kind), a in arrays.items():
        header = struct.pack(">IIII", 2051, *a.shape) if kind == "images" else struct.pack(">II", 2049, len(a))
        raw = header + a.tobytes()
        name = FILES[split, kind]
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return tuple(arrays.values())


# --- the real files ----------------------------------------------------------------------------------

@needs_package
def test_the_installed_files_are_found_without_a_data_dir(tmp_path, monkeypatch, system):
    monkeypatch.setenv("UNLEARN_DATA_DIR", str(tmp_path / "empty"))      # the default data folder holds nothing
    data = load_dataset(DataConfig(dataset="fashion-mnist"))
    assert tuple(data.train_x.shape) == (60_000, 1, 28, 28) and tuple(data.test_x.shape) == (10_000, 1, 28, 28)
    assert data.train_y.bincount().tolist() == [6000] * 10 and data.test_y.bincount().tolist() == [1000] * 10
    # The published statistics of the decompressed training images (Debian recompressed the files only).
    assert data.mean[0] == pytest.approx(0.2860, abs=1e-4) and data.std[0] == pytest.approx(0.3530, abs=1e-4)
    assert data.class_names[0] == "T-shirt/top" and data.class_names[7] == "Sneaker"
    s = status("fashion-mnist", tmp_path / "empty")
    assert s.present and s.where == SYSTEM / "fashion-mnist" and str(SYSTEM / "fashion-mnist") in s.line()


@needs_package
def test_a_data_dir_copy_comes_before_the_system_files(tmp_path, system):
    write_files(tmp_path / "FashionMNIST" / "raw", 60_000, 10_000, gz=False)
    assert find_idx("fashion-mnist", tmp_path) == tmp_path / "FashionMNIST" / "raw"


# --- layouts, on small files ---------------------------------------------------------------------------

@pytest.mark.parametrize("layout,gz", [("FashionMNIST/raw", False), ("FashionMNIST/raw", True),
                                       ("fashion-mnist", True), (".", True), (".", False)])
def test_every_layout_gzipped_or_not(tmp_path, monkeypatch, no_system, layout, gz):
    idx_counts(monkeypatch, "fashion-mnist", 4, 3)
    train_x, train_y, test_x, test_y = write_files(tmp_path / layout, gz=gz)
    data = load_dataset(DataConfig(dataset="fashion-mnist", data_dir=str(tmp_path)))
    assert torch.equal(data.train_x[:, 0], torch.from_numpy(train_x)) and data.test_y.tolist() == test_y.tolist()
    assert data.train_y.tolist() == train_y.tolist() and torch.equal(data.test_x[:, 0], torch.from_numpy(test_x))
    found = status("fashion-mnist", tmp_path)
    assert found.present and found.found_in == tmp_path / layout and found.where == tmp_path


def test_the_system_folder_is_searched_last(tmp_path, monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "system"))
    folders = candidate_folders("fashion-mnist", tmp_path / "data")
    assert folders == [tmp_path / "data" / "FashionMNIST" / "raw", tmp_path / "data" / "fashion-mnist",
                       tmp_path / "data", tmp_path / "system" / "fashion-mnist"]
    idx_counts(monkeypatch, "fashion-mnist", 4, 3)
    write_files(tmp_path / "system" / "fashion-mnist")
    assert load_dataset(DataConfig(dataset="fashion-mnist", data_dir=str(tmp_path / "data"))).train_x.shape[0] == 4


# --- one line for a file that does not fit -------------------------------------------------------------

def _rewrite(path: Path, change) -> None:
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(change(raw)))


@pytest.mark.parametrize("which,change,expected", [
    ("train-images-idx3-ubyte.gz", lambda b: struct.pack(">I", 2049) + b[4:], "wrong magic number 2049 (expected 2051"),
    ("t10k-labels-idx1-ubyte.gz", lambda b: struct.pack(">I", 1234) + b[4:], "wrong magic number 1234 (expected 2049"),
    ("train-images-idx3-ubyte.gz", lambda b: b[:4] + struct.pack(">I", 5) + b[8:], "holds 5 images, expected 4"),
    ("train-labels-idx1-ubyte.gz", lambda b: b[:4] + struct.pack(">I", 3) + b[8:11], "holds 3 labels, expected 4"),
    ("t10k-images-idx3-ubyte.gz", lambda b: b[:8] + struct.pack(">II", 32, 32) + b[16:], "images are 32x32, expected 28x28"),
    ("t10k-images-idx3-ubyte.gz", lambda b: b[:-100], "truncated"),
    ("train-images-idx3-ubyte.gz", lambda b: b[:10], "shorter than its header"),
], ids=["images-magic", "labels-magic", "image-count", "label-count", "shape", "short-data", "short-header"])
def test_a_bad_file_is_named_in_one_line(tmp_path, monkeypatch, no_system, which, change, expected):
    idx_counts(monkeypatch, "fashion-mnist", 4, 3)
    write_files(tmp_path)
    _rewrite(tmp_path / which, change)
    with pytest.raises(UserInputError) as err:
        load_dataset(DataConfig(dataset="fashion-mnist", data_dir=str(tmp_path)))
    message = one_line(err)
    assert f"{tmp_path / which}: " in message and expected in message, message
    assert "--download" in message        # how to replace it


def test_the_published_counts_are_checked(tmp_path, no_system):
    write_files(tmp_path)             # 4 and 3 images: not the 60,000 / 10,000 of Fashion-MNIST
    with pytest.raises(UserInputError) as err:
        load_dataset(DataConfig(dataset="fashion-mnist", data_dir=str(tmp_path)))
    assert "holds 4 images, expected 60000" in one_line(err)


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"\x1f\x8b" + bytes(40)],
                         ids=["truncated-gzip", "bad-gzip"])
def test_a_damaged_gzip_stream_is_one_line(tmp_path, monkeypatch, no_system, damage):
    idx_counts(monkeypatch, "fashion-mnist", 4, 3)
    write_files(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(UserInputError) as err:
        read_idx("fashion-mnist", tmp_path)
    assert f"{path}: cannot be read" in one_line(err)


def test_nothing_found_gives_the_apt_line_and_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(tmp_path / "no-system"))
    with pytest.raises(UserInputError) as err:
        load_dataset(DataConfig(dataset="fashion-mnist", data_dir=str(tmp_path)))
    message = one_line(err)
    assert str(tmp_path / "no-system" / "fashion-mnist") in message and "apt-get install dataset-fashion-mnist" in message
    assert f"python -m unlearn_core run --dataset fashion-mnist --data-dir {tmp_path} --download" in message


def test_the_cli_exits_2_with_one_line_on_a_bad_file(tmp_path):
    write_files(tmp_path, 60_000, 10_000)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    _rewrite(path, lambda b: struct.pack(">I", 2051) + b[4:])
    env = {"PATH": "/usr/bin:/bin", SYSTEM_ENV: "", "OMP_NUM_THREADS": "1", "UNLEARN_THREADS": "1",
           "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "unlearn_core", "run", "--dataset", "fashion-mnist",
                           "--data-dir", str(tmp_path), "--forget-class", "0"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}: wrong magic number 2051 (expected 2049" in lines[0]
    assert not (tmp_path / ".cache").exists() or not any((tmp_path / ".cache").rglob("*.pt"))   # nothing written
