"""UMAP's compiled code, kept on disk so that a new process lays out a map in about a second, not tens.

    umap = load_umap()                 # import umap, its numba functions cached on disk (what fit_projection uses)
    reducer = make_reducer(umap, n_points, n_neighbors, min_dist, seed)     # the map's UMAP (projection.py)
    warm_up_fit()                      # a tiny fit: every code path a map fit takes compiled (or loaded from disk)
    compile_in_subprocess()            # warm_up_fit in another process: fills the disk cache without this
                                       # process's GIL (the server keeps training); returns when done
    thread = compile_in_background()   # the same in a thread, from now on: load_umap waits for it

Why: numba compiles umap's and pynndescent's functions on their first call in each process. Measured on 2
shared cores, empty caches: `import umap` 16.5 s (pynndescent compiles its functions at import, 14.5 s) and
the first fit 15 s; with the disk cache warm, a fresh process imports in 2 s and fits in 3 s. pynndescent
declares cache=True itself; umap's own functions (the layout's epochs, the neighbour graph) do not, so
load_umap turns numba's on-disk cache on for them (Dispatcher.enable_caching: what cache=True does at
decoration). Where the cache lives is numba's choice: $NUMBA_CACHE_DIR when set, else the package's
__pycache__ (or ~/.cache/numba when that is read-only). A cache entry is keyed by the function's source
file and its types, so an upgraded umap compiles afresh.

Why a subprocess: numba's compiler is mostly Python and holds the GIL. Compiling in a thread beside a
training in the same process made the training 3x slower (10 s alone, 31 s beside it; the compile 42 s
instead of 31 s). In its own process each gets a core. The child runs this file as a script, so it imports
numpy and umap only, not torch through unlearn_core's package (2 s more).
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

# umap's modules whose numba functions a fit calls (their dependencies compile into them).
UMAP_MODULES = ("umap.distances", "umap.utils", "umap.umap_", "umap.layouts", "umap.spectral")
SUBPROCESS_TIMEOUT_S = 600.0
WARM_UP_POINTS = 300      # a tiny fit takes the app's code paths: under 4,096 points (exact neighbours), float32

_precompiled = threading.Event()      # set while no subprocess compile is running (the usual state)
_precompiled.set()
_subprocess_lock = threading.Lock()


def load_umap():
    """The umap module, its numba functions caching their compiled code on disk. Waits first for a
    compile_in_subprocess that is running: compiling the same functions here too would double the work."""
    _precompiled.wait(SUBPROCESS_TIMEOUT_S)
    import importlib

    import umap  # slow: imports numba, pynndescent (compiled at import), scikit-learn
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    for name in UMAP_MODULES:
        for obj in vars(importlib.import_module(name)).values():
            # A NullCache: declared without cache=True. Turned on before its first compile, as cache=True would.
            if isinstance(obj, CPUDispatcher) and isinstance(obj._cache, NullCache) and not obj.signatures:
                obj.enable_caching()
    return umap


def make_reducer(umap, n_points: int, n_neighbors: int, min_dist: float, seed: int):
    """The UMAP of every map: euclidean distance (the embeddings are L2-normalised, so it orders neighbours as
    cosine does, on umap's fastest path), a fixed random_state and one thread (so the same embeddings give
    the same layout). Which code numba compiles depends on these choices and the data's types, not on sizes."""
    return umap.UMAP(n_neighbors=min(n_neighbors, n_points - 1), min_dist=min_dist, metric="euclidean",
                     random_state=seed, n_jobs=1)


def warm_up_fit() -> None:
    """One fit of random float32 unit vectors: compiles, or loads from the disk cache, what a map fit runs."""
    import numpy as np

    points = np.random.default_rng(0).normal(size=(WARM_UP_POINTS, 32)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    # MapSettings' defaults (projection.py); numba compiles per type, so other values run the same code.
    make_reducer(load_umap(), WARM_UP_POINTS, n_neighbors=15, min_dist=0.99, seed=0).fit_transform(points)


def compile_in_background() -> threading.Thread:
    """compile_in_subprocess in a thread of its own, started now; a load_umap from this moment waits for it."""
    _precompiled.clear()          # here, not in the thread: a fit asked for before the thread runs waits too
    thread = threading.Thread(target=compile_in_subprocess, name="compile-umap", daemon=True)
    thread.start()
    return thread


def compile_in_subprocess() -> bool:
    """warm_up_fit in a child process (this file as a script); True when it succeeded. Meanwhile load_umap in
    this process waits for it. A failure is logged: the first fit here then compiles."""
    with _subprocess_lock:
        _precompiled.clear()
        try:
            # -P: this file's folder stays off sys.path (its modules, data.py or files.py, must shadow nothing).
            done = subprocess.run([sys.executable, "-P", __file__], capture_output=True, text=True,
                                  timeout=SUBPROCESS_TIMEOUT_S)
            if done.returncode != 0:
                log.warning("compiling the map's code in a subprocess failed: %s", done.stderr.strip()[-2000:])
            return done.returncode == 0
        except (OSError, subprocess.TimeoutExpired) as err:
            log.warning("compiling the map's code in a subprocess failed: %s", err)
            return False
        finally:
            _precompiled.set()


if __name__ == "__main__":
    warm_up_fit()
