"""The engine stays headless: importing it (every module of it, the CLI included) never pulls in
streamlit, so notebooks, the CLI, benchmarks and a machine without the app can use it. Checked in a
fresh interpreter, since this test process may already have imported streamlit for the page tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, json, pkgutil, sys
import unlearn_core
after_package = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")
modules = [m.name for m in pkgutil.walk_packages(unlearn_core.__path__, "unlearn_core.")
           if m.name != "unlearn_core.__main__"]    # __main__ would run the CLI
for name in modules:
    importlib.import_module(name)
after_all = sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")
print(json.dumps({"after_package": after_package, "after_all": after_all, "modules": modules,
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
