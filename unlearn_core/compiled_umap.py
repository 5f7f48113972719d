"""UMAP's compiled code, kept on disk so that a new process lays out a map in about a second, not tens.

    layout = fit_layout(points, n_neighbors, min_dist, seed)   # the map's UMAP layout (projection.py)
    umap = load_umap()                 # import umap, its numba functions cached on disk
    warm_up_fit()                      # a tiny fit: every code path a map fit takes compiled (or loaded from disk)
    compile_in_subprocess()            # the compile in two other processes at once (pynndescent's half and
                                       # umap's): fills the disk cache without this process's GIL (the server
                                       # keeps training); returns when done
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

Why two halves: they need nothing of each other. pynndescent compiles its functions at `import pynndescent`,
and a map fit of under 4,096 points (exact neighbours: every map of the app's default size) runs none of
them; it runs umap's own functions. `import umap` imports pynndescent, so umap's half imports umap with empty
stand-ins for the three pynndescent modules it names, and fits. Alone on this machine, empty caches:
pynndescent's half 20 s, umap's 16 s. So the first map of a fresh machine waits for umap's half only: while
pynndescent's still compiles, fit_layout fits in a child that uses the same stand-ins (2 s to import from the
disk cache, then the fit), and this process loads umap once both halves are on disk.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

# umap's modules whose numba functions a fit calls (their dependencies compile into them).
UMAP_MODULES = ("umap.distances", "umap.utils", "umap.umap_", "umap.layouts", "umap.spectral")
SUBPROCESS_TIMEOUT_S = 600.0
# Each child sets its own priority (os.nice, where there is one). umap's half is what the first map waits for: it
# runs as the server does. pynndescent's half, which no first map waits for, yields the cores to it, to the page
# and to a training; 10, not 19: on a busy server it must still finish (load_umap and larger maps wait for it).
NICENESS = {"umap": 0, "pynndescent": 10}
EXACT_NEIGHBOURS_BELOW = 4096     # umap's own bound: fewer points, exact neighbours (no pynndescent)
WARM_UP_POINTS = 300      # a tiny fit takes the app's code paths: under 4,096 points (exact neighbours), float32

# Set while no subprocess compile is running (the usual state); one per half, and both for load_umap.
_half_on_disk = {"pynndescent": threading.Event(), "umap": threading.Event()}
for _event in _half_on_disk.values():
    _event.set()
_subprocess_lock = threading.Lock()


def load_umap():
    """The umap module, its numba functions caching their compiled code on disk. Waits first for a
    compile_in_subprocess that is running: compiling the same functions here too would double the work."""
    for event in _half_on_disk.values():
        event.wait(SUBPROCESS_TIMEOUT_S)
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


def fit_layout(points, n_neighbors: int, min_dist: float, seed: int):
    """UMAP's 2-D layout of float32 `points` [P, D] (make_reducer's UMAP). While a compile runs whose umap half
    is on disk and pynndescent's is not, a map of under 4,096 points is fitted in a child process that needs no
    pynndescent (the module's docstring); the same code from the same disk cache gives the same layout."""
    import numpy as np

    points = np.ascontiguousarray(points, dtype=np.float32)
    if (len(points) < EXACT_NEIGHBOURS_BELOW and not _half_on_disk["pynndescent"].is_set()
            and "umap" not in sys.modules):
        _half_on_disk["umap"].wait(SUBPROCESS_TIMEOUT_S)
        layout = _fit_in_child(points, n_neighbors, min_dist, seed)
        if layout is not None:
            return layout
    return make_reducer(load_umap(), len(points), n_neighbors, min_dist, seed).fit_transform(points)


def _fit_in_child(points, n_neighbors: int, min_dist: float, seed: int):
    """The layout fitted by this file run as a script in a child (None, logged, when that failed)."""
    import tempfile

    import numpy as np

    with tempfile.TemporaryDirectory(prefix="unlearn-umap-fit-") as tmp:
        given, layout = os.path.join(tmp, "points.npy"), os.path.join(tmp, "layout.npy")
        np.save(given, points)
        args = ["fit", given, layout, str(n_neighbors), repr(float(min_dist)), str(seed)]
        if not _run_children([args]):
            return None
        return np.load(layout)


def compile_in_background() -> threading.Thread:
    """compile_in_subprocess in a thread of its own, started now; a load_umap from this moment waits for it."""
    for event in _half_on_disk.values():     # here, not in the thread: a fit asked for before it runs waits too
        event.clear()
    thread = threading.Thread(target=compile_in_subprocess, name="compile-umap", daemon=True)
    thread.start()
    return thread


def compile_in_subprocess() -> bool:
    """warm_up_fit's code paths compiled into the disk cache by two children at once (pynndescent's half and
    umap's); True when both succeeded. Meanwhile load_umap in this process waits for them. A failure is
    logged: the first fit here then compiles what is missing."""
    with _subprocess_lock:
        for event in _half_on_disk.values():
            event.clear()
        try:
            return _run_children([[half] for half in HALVES], done=lambda half: _half_on_disk[half].set())
        finally:
            for event in _half_on_disk.values():     # whatever happened, nothing waits for this compile any more
                event.set()


def _run_children(arg_lists: list[list[str]], done=None) -> bool:
    """This file as a script, once per argument list, all at once; True when every one succeeded.
    done(first argument) is called as each ends (for one that failed to start too)."""
    children = []
    try:
        for args in arg_lists:
            # -P: this file's folder stays off sys.path (its modules, data.py or files.py, must shadow nothing).
            children.append((args[0], subprocess.Popen(
                [sys.executable, "-P", __file__, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True, errors="replace")))
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        log.warning("starting the map's code in a subprocess failed: %s", err)
        for _, child in children:
            child.kill()
            child.wait()
        for args in arg_lists:
            if done is not None:
                done(args[0])
        return False
    results = {name: False for name, _ in children}

    def wait(name: str, child: subprocess.Popen) -> None:      # each child's end is seen when it comes
        try:
            try:
                _, err = child.communicate(timeout=SUBPROCESS_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                _, err = child.communicate()
            if child.returncode != 0:
                log.warning("the map's code in a subprocess (%s) failed: %s", name, err.strip()[-2000:])
            results[name] = child.returncode == 0
        finally:
            if done is not None:
                done(name)
    waiters = [threading.Thread(target=wait, args=pair, daemon=True) for pair in children]
    for waiter in waiters:
        waiter.start()
    for waiter in waiters:
        waiter.join()
    return all(results.values())


def _without_pynndescent() -> None:
    """Empty stand-ins for the three pynndescent modules that umap imports: a fit of under 4,096 points calls
    none of them, and the real import would compile them (or wait for their compile)."""
    import types

    stand_ins = {"pynndescent": {"NNDescent": None, "__path__": []},
                 "pynndescent.distances": {"named_distances": {}},
                 "pynndescent.sparse": {"sparse_named_distances": {}}}
    for name, names in stand_ins.items():
        module = types.ModuleType(name)
        vars(module).update(names)
        sys.modules[name] = module


HALVES = ("pynndescent", "umap")


def _main(args: list[str]) -> None:
    """The script: `pynndescent` (import it: its half compiles), `umap` (a tiny fit without pynndescent: umap's
    half), `fit POINTS.npy LAYOUT.npy N_NEIGHBORS MIN_DIST SEED` (a layout, without pynndescent), or nothing
    (warm_up_fit with everything)."""
    niceness = NICENESS.get(args[0], 0) if args else 0
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    if args[:1] == ["pynndescent"]:
        import pynndescent  # noqa: F401 (its functions compile, or load from the disk cache, at import)
    elif args[:1] == ["umap"]:
        _without_pynndescent()
        warm_up_fit()
    elif args[:1] == ["fit"]:
        import numpy as np

        _without_pynndescent()
        given, layout, n_neighbors, min_dist, seed = args[1:]
        points = np.load(given)
        reducer = make_reducer(load_umap(), len(points), int(n_neighbors), float(min_dist), int(seed))
        np.save(layout, np.asarray(reducer.fit_transform(points), dtype=np.float32))
    else:
        warm_up_fit()


if __name__ == "__main__":
    _main(sys.argv[1:])
