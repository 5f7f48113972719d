"""`python -m unlearn_core download DATASET [--data-dir DIR]`: fetch a torchvision dataset's files, checked.

    python -m unlearn_core download cifar10                      # into $UNLEARN_DATA_DIR or ~/.cache/unlearn/data
    UNLEARN_DATASET_MIRROR=http://127.0.0.1:8000/ python -m unlearn_core download mnist --data-dir /tmp/d

A tqdm bar shows bytes and time remaining; nothing half-written is left after an error or Ctrl-C
(unlearn_core/download.py). `run --download` (and compare's, sweep's) fetch through the same module.
"""
from __future__ import annotations

from pathlib import Path

from tqdm.auto import tqdm

from ..download import DOWNLOADABLE, fetch, megabytes, status


def add_download_command(sub) -> None:
    p = sub.add_parser("download", help="fetch a torchvision dataset's files (md5-checked, all or nothing)")
    p.add_argument("dataset", choices=tuple(DOWNLOADABLE), metavar="DATASET",
                   help=f"one of {', '.join(DOWNLOADABLE)}")
    p.add_argument("--data-dir", help="where dataset files live (default: $UNLEARN_DATA_DIR or ~/.cache/unlearn/data)")
    p.set_defaults(func=cmd_download)


def fetch_with_bar(name: str, data_dir: Path):
    """fetch() with a tqdm bar in bytes; the bar's total follows the server's sizes as files open."""
    with tqdm(total=status(name, data_dir).fetch_bytes, desc=name, unit="B", unit_scale=True,
              unit_divisor=1024) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return fetch(name, data_dir, progress=progress)


def cmd_download(args) -> int:
    from ..data import default_data_dir      # data.py imports torch: only once the arguments passed

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    before = status(args.dataset, data_dir)
    if before.present:
        print(before.line())
        return 0
    print(f"{args.dataset}: fetching {megabytes(before.fetch_bytes)} into {data_dir}")
    print(fetch_with_bar(args.dataset, data_dir).line())
    return 0
