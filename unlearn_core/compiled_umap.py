"""UMAP's compiled code, kept on disk so that a new process lays out a map in about a second, not tens.

    umap = load_umap()                 # import umap, its numba functions cached on disk (what fit_projection uses)
    compile_in_subprocess()            # projection.warm_up_map_code in another process: fills the disk cache
                                       # without this process's GIL (the server keeps training); returns when done

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
instead of 31 s). In its own process each gets a core.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# umap's modules whose numba functions a fit calls (their dependencies compile into them).
UMAP_MODULES = ("umap.distances", "umap.utils", "umap.umap_", "umap.layouts", "umap.spectral")
WARM_UP_COMMAND = "from unlearn_core.projection import warm_up_map_code; warm_up_map_code()"
SUBPROCESS_TIMEOUT_S = 600.0
PROJECT_ROOT = Path(__file__).resolve().parent.parent     # the child imports unlearn_core from here

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


def compile_in_subprocess() -> bool:
    """projection.warm_up_map_code in a child process; True when it succeeded. Meanwhile load_umap in this
    process waits for it. A failure is logged: the first fit here then compiles."""
    with _subprocess_lock:
        _precompiled.clear()
        try:
            done = subprocess.run([sys.executable, "-c", WARM_UP_COMMAND], capture_output=True, text=True,
                                  timeout=SUBPROCESS_TIMEOUT_S, cwd=PROJECT_ROOT)
            if done.returncode != 0:
                log.warning("compiling the map's code in a subprocess failed: %s", done.stderr.strip()[-2000:])
            return done.returncode == 0
        except (OSError, subprocess.TimeoutExpired) as err:
            log.warning("compiling the map's code in a subprocess failed: %s", err)
            return False
        finally:
            _precompiled.set()
