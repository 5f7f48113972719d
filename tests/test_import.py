"""The engine stays headless: importing it (every module of it, the CLI included) never pulls in
streamlit, so notebooks, the CLI, benchmarks and a machine without the app can use it. Checked in a
fresh interpreter, since this test process may already have imported streamlit for the page tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, json, pkgutil, sys
import unlearn_core
after_package = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")
heavy_after_package = sorted(m for m in ("torch", "sklearn", "scipy", "pandas") if m in sys.modules)
modules = [m.name for m in pkgutil.walk_packages(unlearn_core.__path__, "unlearn_core.")
           if m.name != "unlearn_core.__main__"]    # __main__ would run the CLI
for name in modules:
    importlib.import_module(name)
after_all = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")
# every submodule is imported now: a public name that is also a submodule's would have become the module
shadowed = [n for n in unlearn_core.__all__ if type(getattr(unlearn_core, n)) is type(sys)]
print(json.dumps({"after_package": after_package, "heavy_after_package": heavy_after_package,
                  "after_all": after_all, "shadowed": shadowed, "modules": modules,
                  "public": sorted(unlearn_core.__all__), "missing": [n for n in unlearn_core.__all__
                                                                      if not hasattr(unlearn_core, n)]}))
"""


def probe() -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_unlearn_core_does_not_import_streamlit():
    found = probe()
    assert found["after_package"] == []
    assert found["after_all"] == [], f"an engine module imports streamlit: {found['after_all'][:3]}"
    # the walk did cover the engine, so an empty list above means something
    assert {"unlearn_core.cli", "unlearn_core.runner", "unlearn_core.metrics"} <= set(found["modules"])
    assert found["missing"] == [] and {"unlearn", "prepare", "Experiment"} <= set(found["public"])
    # Issue 23: the package's names are imported on first use, so `import unlearn_core` (and the CLI before it
    # has checked its arguments) loads no torch; the walk above then imported every module, public names included.
    assert found["heavy_after_package"] == [] and found["shadowed"] == []


def test_the_public_names_resolve_lazily_to_their_modules_objects():
    import unlearn_core
    from unlearn_core import experiment, runner, sweep

    assert unlearn_core.prepare is experiment.prepare and unlearn_core.Experiment is experiment.Experiment
    assert unlearn_core.METHODS is runner.METHODS and sweep.SweepSpec is sweep.space.SweepSpec
    assert set(unlearn_core.__all__) <= set(dir(unlearn_core)) and {"run_sweep", "write_table"} <= set(dir(sweep))
    namespace = {}
    exec("from unlearn_core import *", namespace)
    assert set(unlearn_core.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        unlearn_core.no_such_name
    with pytest.raises(ImportError):
        exec("from unlearn_core.sweep import no_such_name", {})


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions included), as absolute dotted names."""
    import ast

    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_nothing_imports_the_command_line_layer():
    """The CLI sits above the engine: the engine, the app, the pages and the benchmarks never import it."""
    sources = [p for folder in ("unlearn_core", "app_ui", "pages", "bench") for p in (REPO / folder).rglob("*.py")]
    sources += [REPO / "app.py", REPO / "serve.py"]
    offenders = [str(p.relative_to(REPO)) for p in sources
                 if "cli" not in p.relative_to(REPO).parts and p.name != "__main__.py"
                 and any(m == "unlearn_core.cli" or m.startswith("unlearn_core.cli.") for m in imported_modules(p))]
    assert offenders == []


def test_no_import_cycles_among_the_project_modules():
    modules = {}
    for folder in ("unlearn_core", "app_ui", "bench"):
        for path in (REPO / folder).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: {m for m in imported_modules(path) if m in modules and m != name} for name, path in modules.items()}
    # a package's __init__ importing its own submodules is not a cycle unless a submodule imports back into it
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert cycles == []
