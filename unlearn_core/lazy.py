"""Packages whose heavy public names are imported from their modules on first use (PEP 562).

    from .errors import UserInputError                   # light modules: imported at once, as before
    __getattr__, __dir__ = lazy_exports(globals(), {"experiment": ("prepare", "reference"), ...})

`import unlearn_core` then costs no torch, and `python -m unlearn_core` reads its arguments and refuses
bad ones before any heavy module is loaded (issue 23); `from unlearn_core import prepare` imports
experiment.py as it always did. A lazy name must not be a submodule's name too: importing that submodule
would make its name the package's attribute, the module, where an eager import had bound the object
(unlearn_core's `settings`, a function in settings.py, is imported at once for that reason).
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Callable


def lazy_exports(namespace: dict, exports: dict[str, tuple[str, ...]]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """(__getattr__, __dir__) for the package whose globals() are `namespace`; `exports` gives the module
    (relative to the package) of each name imported on first use. The name is then kept in the namespace.
    A submodule's name imports it, as an eager __init__ had made it an attribute of the package."""
    package = namespace["__name__"]
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str):
        if name in module_of:
            value = getattr(importlib.import_module(f".{module_of[name]}", package), name)
        elif not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *module_of})

    return __getattr__, __dir__
