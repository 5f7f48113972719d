"""Dataset downloads (unlearn_core/download.py, `python -m unlearn_core download`) against a local server.

A ThreadingHTTPServer on 127.0.0.1 (download_server.py, shared with the app's download test) serves small files in the real formats (a CIFAR-10 tar.gz of python
batches, MNIST's gzipped idx files, written by test_data.py's writers) under the layout
$UNLEARN_DATASET_MIRROR expects: <mirror>/<dataset>/<file name>. Everything else is the real path:
urllib, md5, gzip/tar, the renames, torchvision's readers.

The expected md5s are torchvision's, for the published files; these tiny files cannot match them, so the
`tiny_md5` fixture sets torchvision's class attributes (where download.py reads them) to the tiny files'
md5. Tests without it show that a file not matching torchvision's checksum is refused.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from download_server import Handler, md5, mirror, served, server, tiny_md5  # noqa: F401  (fixtures)
from test_data import load, no_md5  # noqa: F401  (no_md5 is a fixture)
from unlearn_core.configs import DataConfig
from unlearn_core.data import load_dataset
from unlearn_core.download import MIRROR_ENV, DownloadCancelled, dataset_files, fetch, status
from unlearn_core.errors import UserInputError

REPO = Path(__file__).resolve().parents[1]


def left_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_the_files_are_torchvisions_and_status_says_what_is_missing(tmp_path):
    import torchvision.datasets as tvd

    (cifar,) = dataset_files("cifar10")
    assert cifar.urls == (tvd.CIFAR10.url,) and cifar.md5 == tvd.CIFAR10.tgz_md5
    mnist = dataset_files("mnist")
    assert [f.md5 for f in mnist] == [m for _, m in tvd.MNIST.resources]
    assert mnist[0].urls == tuple(m + "train-images-idx3-ubyte.gz" for m in tvd.MNIST.mirrors)
    assert [f.target for f in dataset_files("svhn")] == ["train_32x32.mat", "test_32x32.mat"]
    s = status("fashion-mnist", tmp_path)
    assert not s.present and len(s.missing) == 4 and s.fetch_bytes == sum(f.size for f in dataset_files("fashion-mnist"))
    assert "missing" in s.line() and "MB to fetch" in s.line()
    with pytest.raises(UserInputError, match="cannot download 'mini-imagenet'"):
        status("mini-imagenet", tmp_path)


def test_cifar10_is_fetched_checked_unpacked_and_loads(tmp_path, mirror, served, tiny_md5, no_md5):
    seen = []
    after = fetch("cifar10", tmp_path / "data", progress=lambda done, total: seen.append((done, total)))
    size = (served[0] / "cifar10" / "cifar-10-python.tar.gz").stat().st_size
    assert after.present and seen[-1] == (size, size)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:])) and all(d <= t for d, t in seen)
    assert left_in(tmp_path / "data")[0] == "cifar-10-batches-py"          # the folder, no archive, no staging
    assert all(p.startswith("cifar-10-batches-py") for p in left_in(tmp_path / "data"))
    train_x, train_y, test_x, test_y = served[1]
    data = load("cifar10", tmp_path / "data")
    assert torch.equal(data.train_x, torch.from_numpy(train_x)) and data.test_y.tolist() == test_y.tolist()
    assert fetch("cifar10", tmp_path / "data", progress=lambda *a: pytest.fail("nothing to fetch")).present


def test_mnist_through_load_dataset_download(tmp_path, mirror, served, tiny_md5):
    # The path `run --download` takes inside the engine: load_dataset with download=True fetches first.
    data = load_dataset(DataConfig(dataset="mnist", data_dir=str(tmp_path), download=True))
    train_x, train_y, _, test_y = served[2]
    assert torch.equal(data.train_x[:, 0], torch.from_numpy(train_x)) and data.test_y.tolist() == test_y
    assert left_in(tmp_path) == ["MNIST", "MNIST/raw", *sorted(f"MNIST/raw/{f.target.rsplit('/', 1)[1]}"
                                                                for f in dataset_files("mnist"))]


def test_a_wrong_checksum_leaves_nothing(tmp_path, mirror):
    # No tiny_md5: the served archive is not the published one, so torchvision's md5 refuses it.
    with pytest.raises(UserInputError) as err:
        fetch("cifar10", tmp_path)
    assert "failed its checksum" in str(err.value) and "\n" not in str(err.value)
    assert left_in(tmp_path) == []


def test_cancel_after_the_first_file_leaves_nothing(tmp_path, mirror, tiny_md5):
    asked = []

    def cancel():                       # the first file goes through; the second is cancelled
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(DownloadCancelled):
        fetch("mnist", tmp_path, cancel=cancel)
    assert len(asked) == 2 and left_in(tmp_path) == []


def test_an_interrupt_leaves_nothing(tmp_path, mirror, tiny_md5):
    def interrupt(done, total):
        if done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch("mnist", tmp_path, progress=interrupt)
    assert left_in(tmp_path) == []


def test_a_dropped_connection_leaves_nothing(tmp_path, mirror, tiny_md5, monkeypatch):
    monkeypatch.setattr(Handler, "truncate", {"mnist/t10k-images-idx3-ubyte.gz"})
    with pytest.raises(UserInputError) as err:
        fetch("mnist", tmp_path)
    assert "connection closed after" in str(err.value) and left_in(tmp_path) == []


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_says_so_in_one_line_with_the_folder(tmp_path, monkeypatch, served, tiny_md5):
    monkeypatch.setenv(MIRROR_ENV, f"http://127.0.0.1:{closed_port()}/")
    with pytest.raises(UserInputError) as err:
        fetch("mnist", tmp_path)
    message = str(err.value)
    assert "\n" not in message and "offline?" in message and str(tmp_path) in message
    assert "train-images-idx3-ubyte.gz" in message and left_in(tmp_path) == []
    # Following the hint: the files put in the folder are used (checked) without the network.
    for f in dataset_files("mnist"):
        (tmp_path / f.filename).write_bytes((served[0] / "mnist" / f.filename).read_bytes())
    assert fetch("mnist", tmp_path).present


def test_the_cli_downloads_in_a_subprocess_then_the_dataset_loads(tmp_path, server, served):
    # The subprocess gets the tiny md5s through a sitecustomize module (run at interpreter start), so the
    # command itself is exactly what a user types.
    hook = tmp_path / "hook"
    hook.mkdir()
    sums = {name: md5(served[0] / "mnist" / name) for name in os.listdir(served[0] / "mnist")}
    (hook / "sitecustomize.py").write_text(f"import torchvision.datasets as d\nMD5 = {sums!r}\n"
                                           "d.MNIST.resources = [(n, MD5[n]) for n, _ in d.MNIST.resources]\n")
    env = {**os.environ, MIRROR_ENV: server, "PYTHONPATH": os.pathsep.join([str(hook), str(REPO)])}
    cmd = [sys.executable, "-m", "unlearn_core", "download", "mnist", "--data-dir", str(tmp_path / "d")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "mnist: fetching" in proc.stdout and f"mnist: present in {tmp_path / 'd'}" in proc.stdout
    assert load("mnist", tmp_path / "d").train_y.tolist() == served[2][1]


def test_a_bad_download_on_the_command_line_is_one_line_and_exit_2(tmp_path, mirror, capsys, monkeypatch):
    from unlearn_core.cli import main

    # main() sets torch's thread count; keep conftest's one thread, which later tests' cached models were keyed by.
    monkeypatch.setenv("UNLEARN_THREADS", "1")

    # torchvision's real md5s (no tiny_md5): the served files are refused.
    assert main(["download", "mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: mnist: ") and "checksum" in last and "Traceback" not in err
    assert left_in(tmp_path) == []
