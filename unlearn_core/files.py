"""All-or-nothing file writes: a temporary file in the same folder, flushed, then renamed over the target.

    write_atomic(path, lambda f: torch.save(obj, f))      # bytes
    write_json_atomic(path, report)                        # JSON, indented
    check_out_path("run.json")                             # before a long run: can the file be written?

A reader sees the old file or the whole new one, never half of it; an error or an interrupt removes the
temporary file and leaves the target as it was.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Callable

from .errors import UserInputError


def write_atomic(path: str | Path, write: Callable[[IO], None], text: bool = False) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w" if text else "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | Path, obj) -> Path:
    return write_atomic(path, lambda f: json.dump(obj, f, indent=2, allow_nan=False), text=True)


def check_out_path(out: str | Path | None) -> Path | None:
    """The output path, checked before any work is done: its folder exists and is writable, and it is not
    a folder itself. UserInputError (one line) otherwise; None stays None."""
    if out is None:
        return None
    path = Path(out)
    if str(out).strip() == "":
        raise UserInputError("the output file name is empty")
    if path.is_dir():
        raise UserInputError(f"cannot write {out}: it is a folder; give a file name such as {path / 'run.json'}")
    if not path.parent.is_dir():
        raise UserInputError(f"cannot write {out}: folder {path.parent} does not exist")
    try:   # a trial file catches read-only and pseudo file systems (/proc, /sys) before the run, not after
        fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise UserInputError(f"cannot write {out}: {err.strerror or err}") from None
    return path
