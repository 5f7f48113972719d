"""Fetch the torchvision datasets' files: what each needs, whether it is there, and an all-or-nothing download.

    status("cifar10", data_dir)            # DatasetStatus(present=False, fetch_bytes=170498071, ...)
    fetch("cifar10", data_dir, progress=lambda done, total: ..., cancel=lambda: False)
    # then load_dataset(DataConfig(dataset="cifar10", data_dir=str(data_dir))) reads them

The files, their URLs and md5 checksums are torchvision's own (its dataset classes' class attributes), so
they stay what torchvision's readers expect. A download is staged in a hidden folder inside `data_dir`:
every file is fetched there, its md5 checked, extracted there, and only then renamed into place. A failure,
a wrong checksum, a cancel or an interrupt removes the staging folder: nothing half-written is left.

`$UNLEARN_DATASET_MIRROR` (e.g. http://127.0.0.1:8000/) replaces the servers: a file is fetched from
`<mirror>/<dataset>/<file name>` (a folder per dataset, because MNIST and Fashion-MNIST share file names).
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import UserInputError
from .idx_files import IDX_DATASETS, find_idx

MIRROR_ENV = "UNLEARN_DATASET_MIRROR"
CHUNK = 1 << 20                     # bytes per read: progress and cancel are checked this often
TIMEOUT_S = 60                      # per socket operation, not per file: a slow link still finishes
Progress = Callable[[int, int], None]       # (bytes done, bytes in all), across the dataset's files
Cancel = Callable[[], bool]                 # True: stop now (the app's Cancel button)


class DownloadCancelled(Exception):
    """The cancel hook said stop; the staging folder was removed, nothing was written."""


@dataclass(frozen=True)
class RemoteFile:
    urls: tuple[str, ...]    # tried in order (torchvision's mirrors for MNIST); the file name is the last part
    md5: str                 # of the file as served (the archive, not what it unpacks to)
    size: int                # published size in bytes, for "Download (170 MB)" before anything is fetched
    unpack: str              # "tar": an archive holding `target`; "gunzip": one .gz file; "": kept as it is
    target: str              # what ends up in the data folder, relative to it (a folder for "tar")

    @property
    def filename(self) -> str:
        return self.urls[0].rsplit("/", 1)[1]


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    folder: Path                   # the data folder the loader reads (and a download writes)
    present: bool
    missing: tuple[str, ...]       # the targets not there (relative to folder)
    fetch_bytes: int               # published size of the files still to fetch
    found_in: Path | None = None   # where the loader finds the files: the folder, or elsewhere (Debian's package)

    @property
    def where(self) -> Path:
        """The folder to name to a user: the data folder, or where outside it the files were found."""
        return self.found_in if self.found_in and not self.found_in.is_relative_to(self.folder) else self.folder

    def line(self) -> str:
        if self.present:
            return f"{self.name}: present in {self.where}"
        return f"{self.name}: missing in {self.folder} ({megabytes(self.fetch_bytes)} to fetch)"


def megabytes(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def _cifar10() -> tuple[RemoteFile, ...]:
    from torchvision.datasets import CIFAR10 as C

    return (RemoteFile((C.url,), C.tgz_md5, 170_498_071, "tar", C.base_folder),)


def _svhn() -> tuple[RemoteFile, ...]:
    from torchvision.datasets import SVHN

    sizes = {"train": 182_040_794, "test": 64_275_384}       # "extra" is not used by the loader
    return tuple(RemoteFile((url,), md5, sizes[split], "", name)
                 for split, (url, name, md5) in SVHN.split_list.items() if split in sizes)


def _mnist_like(cls_name: str, sizes: tuple[int, ...]):
    def files() -> tuple[RemoteFile, ...]:
        import torchvision.datasets as tvd

        cls = getattr(tvd, cls_name)
        # torchvision reads <root>/<ClassName>/raw/<name without .gz>; it checks no md5 on those.
        return tuple(RemoteFile(tuple(m + name for m in cls.mirrors), md5, size, "gunzip",
                                f"{cls_name}/raw/{name[:-3]}") for (name, md5), size in zip(cls.resources, sizes))
    return files


# Per dataset, a function (torchvision is imported only when a download is asked about).
DOWNLOADABLE: dict[str, Callable[[], tuple[RemoteFile, ...]]] = {
    "cifar10": _cifar10,
    "svhn": _svhn,
    "mnist": _mnist_like("MNIST", (9_912_422, 28_881, 1_648_877, 4_542)),
    "fashion-mnist": _mnist_like("FashionMNIST", (26_421_880, 29_515, 4_422_102, 5_148)),
}


def dataset_files(name: str) -> tuple[RemoteFile, ...]:
    if name not in DOWNLOADABLE:
        extra = " (digits ships with scikit-learn; mini-imagenet is an image folder, see unlearn_core/data.py)"
        raise UserInputError(f"cannot download {name!r}; downloadable: {', '.join(DOWNLOADABLE)}{extra}")
    return DOWNLOADABLE[name]()


def status(name: str, data_dir: str | Path) -> DatasetStatus:
    """Present or missing, and the size to fetch. Cheap (existence only, no checksums): the sidebar asks on
    every rerun; torchvision's readers check what they read."""
    folder = Path(data_dir).expanduser()
    files = dataset_files(name)
    if name in IDX_DATASETS:     # the loader's own search (idx_files.find_idx): any layout, gzipped or not, the system's
        found = find_idx(name, folder)
        if found is not None:
            return DatasetStatus(name, folder, True, (), 0, found)
        missing = list(files)
    else:
        missing = [f for f in files if not (folder / f.target).exists()]
    return DatasetStatus(name, folder, not missing, tuple(f.target for f in missing), sum(f.size for f in missing),
                         folder if not missing else None)


def source_urls(name: str, f: RemoteFile, folder: Path) -> tuple[str, ...]:
    """Where to get f: a copy the user put in the data folder (offline machines), else the mirror or torchvision's
    servers. The md5 is checked whatever the source."""
    local = folder / f.filename
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    remote = (f"{mirror.rstrip('/')}/{name}/{f.filename}",) if mirror else f.urls
    return (local.resolve().as_uri(), *remote) if local.is_file() else remote


def offline_hint(name: str, folder: Path) -> str:
    files = dataset_files(name)
    return (f"put {', '.join(f.filename for f in files)} (from {files[0].urls[0].rsplit('/', 1)[0]}/) in {folder}, "
            f"and run again: python -m unlearn_core download {name} --data-dir {folder}")


def fetch(name: str, data_dir: str | Path, progress: Progress | None = None, cancel: Cancel | None = None) -> DatasetStatus:
    """Fetch, check and unpack the missing files of `name` into data_dir, all or nothing. Returns the new
    status. UserInputError (one line) when the server cannot be reached or a checksum is wrong;
    DownloadCancelled when `cancel()` turns True. Either way, and on KeyboardInterrupt, nothing is left."""
    before = status(name, data_dir)
    if before.present:
        return before
    folder = before.folder
    folder.mkdir(parents=True, exist_ok=True)
    todo = [f for f in dataset_files(name) if f.target in before.missing]
    sizes = [f.size for f in todo]               # replaced by the server's Content-Length as each file opens
    done = 0

    def report(n: int) -> None:
        if progress is not None:
            progress(n, max(n, sum(sizes)))

    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f".{name}.download-"))
    try:
        for i, f in enumerate(todo):
            def on_open(length: int | None, i=i):
                if length is not None:
                    sizes[i] = length
                report(done)

            def on_chunk(n: int):
                nonlocal done
                done += n
                report(done)

            archive = _get(name, f, staging, on_open, on_chunk, cancel)
            _unpack(f, archive, staging)
        for f in todo:      # every file fetched and checked: only now does anything enter the data folder
            dest = folder / f.target
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():           # a concurrent download may have finished first: keep its copy
                os.replace(staging / f.target, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report(done)
    return status(name, data_dir)


def _get(name: str, f: RemoteFile, staging: Path, on_open, on_chunk, cancel: Cancel | None) -> Path:
    """The file, downloaded into staging and its md5 checked; the servers tried in turn on a network error."""
    path, errors = staging / f.filename, []
    for url in source_urls(name, f, staging.parent):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "unlearn_core"}),
                                        timeout=TIMEOUT_S) as response, path.open("wb") as out:
                length = response.headers.get("Content-Length")
                length = int(length) if length and length.isdigit() else None
                on_open(length)
                digest, got = hashlib.md5(), 0
                while chunk := response.read(CHUNK):
                    if cancel is not None and cancel():
                        raise DownloadCancelled(f"{name}: download cancelled; nothing was written")
                    out.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
                    on_chunk(len(chunk))
                if length is not None and got != length:    # read(n) returns b"" on a dropped link, no error
                    raise ConnectionError(f"connection closed after {got} of {length} bytes")
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:   # e.g. IncompleteRead: link dropped
            errors.append(f"{url}: {getattr(err, 'reason', None) or err}")
            path.unlink(missing_ok=True)
            continue
        if digest.hexdigest() != f.md5:
            raise UserInputError(f"{name}: {f.filename} from {url} failed its checksum (md5 {digest.hexdigest()}, "
                                 f"expected {f.md5}); nothing was written")
        return path
    raise UserInputError(f"{name}: cannot download ({errors[-1]}); offline? {offline_hint(name, staging.parent)}")


def _unpack(f: RemoteFile, archive: Path, staging: Path) -> None:
    """Turn the checked download into `f.target` inside staging."""
    dest = staging / f.target
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        if f.unpack == "gunzip":
            with gzip.open(archive, "rb") as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            archive.unlink()
        elif f.unpack == "tar":
            inner = staging / ".unpacked"
            with tarfile.open(archive) as tar:
                tar.extractall(inner, filter="data")    # "data": no absolute paths, links out or devices
            archive.unlink()
            if not (inner / f.target).is_dir():
                raise UserInputError(f"{f.filename} holds no {f.target}/ folder")
            os.replace(inner / f.target, dest)
        elif archive != dest:
            os.replace(archive, dest)
    except (OSError, EOFError, tarfile.TarError) as err:
        # A checked md5 makes this rare: a full disk, or a mirror serving other bytes under a patched md5.
        raise UserInputError(f"cannot unpack {f.filename}: {type(err).__name__}: {err}") from None
