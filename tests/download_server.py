"""A local dataset mirror for the download tests (CLI and page): a ThreadingHTTPServer on 127.0.0.1 serving
small files in the real formats under the layout $UNLEARN_DATASET_MIRROR expects, <mirror>/<dataset>/<file>.

    from download_server import mirror, served, server, tiny_md5  # noqa: F401  (fixtures)

`tiny_md5` sets torchvision's class attributes (where unlearn_core.download reads the checksums) to the
tiny files' md5s; without it a served file fails torchvision's checksum, as a foreign file should.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import tarfile
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from test_data import write_cifar10, write_idx
from unlearn_core.download import MIRROR_ENV
from unlearn_core.idx_files import IDX_DATASETS


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; a path in `truncate` announces its full length and then sends only half of it
    before closing, as a dropped connection does."""
    truncate: set = set()

    def send_head(self):
        if self.path.lstrip("/") not in self.truncate:
            return super().send_head()
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True
        return None

    def log_message(self, *args):      # keep pytest's output clean
        pass


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The mirror's folder: cifar10/cifar-10-python.tar.gz and mnist/*.gz, with the arrays they hold."""
    root = tmp_path_factory.mktemp("served")
    work = tmp_path_factory.mktemp("written")
    cifar = write_cifar10(work)
    (root / "cifar10").mkdir()
    with tarfile.open(root / "cifar10" / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(work / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    rng = np.random.default_rng(0)
    mnist = (rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), [7, 0, 9, 3],
             rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), [1, 1, 4])
    write_idx(work, "MNIST", *mnist)
    (root / "mnist").mkdir()
    for raw in (work / "MNIST" / "raw").iterdir():
        (root / "mnist" / f"{raw.name}.gz").write_bytes(gzip.compress(raw.read_bytes()))
    # The loader checks the IDX counts against the published 60,000 / 10,000: these files hold 4 and 3.
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(IDX_DATASETS, "mnist", replace(IDX_DATASETS["mnist"], counts=(4, 3)))
        yield root, cifar, mnist


@pytest.fixture(scope="module")
def server(served):
    root = served[0]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def mirror(server, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, server)
    monkeypatch.setattr(Handler, "truncate", set())
    return server


@pytest.fixture
def tiny_md5(served, monkeypatch):
    """torchvision's md5s are the published files'; the tiny files need their own (see the module docstring)."""
    import torchvision.datasets as tvd

    root = served[0]
    monkeypatch.setattr(tvd.CIFAR10, "tgz_md5", md5(root / "cifar10" / "cifar-10-python.tar.gz"))
    monkeypatch.setattr(tvd.MNIST, "resources", [(name, md5(root / "mnist" / name)) for name, _ in tvd.MNIST.resources])
