"""What a refused sweep costs: a 10^9-trial request, on the command line and through the Sweep page's form, each in
a fresh Python process, beside a bare `import ray.tune` (what the refusal used to pay first).

    python -m bench.refused_sweep          # prints the figures; python -m bench runs it too

Each case runs in its own child process; its peak memory (max RSS) and CPU time come from os.wait4, its wall time
from the clock around it. Targets (issue 23): a refused request under 400 MB and 2 s, with Ray never imported.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 10 ** 9

# Each child prints whether Ray was imported, as its last line.
CASES = {
    "cli": ("import sys, runpy\n"
            f"sys.argv = ['unlearn_core', 'sweep', '--device', 'cpu', '--space', 'lr=0.01', '--samples', '{TRIALS}',"
            " '--out', '/tmp/refused-sweep.csv']\n"
            "try:\n    runpy.run_module('unlearn_core', run_name='__main__')\nexcept SystemExit as e:\n"
            "    print('exit', e.code)\n"
            "print('ray imported:', 'ray' in sys.modules)\n"),
    "page form": ("import sys\nfrom unlearn_core import UserInputError\nfrom app_ui.sweep_page import build_spec\n"
                  "try:\n"
                  f"    build_spec({{'lr': '0.01'}}, '0', {TRIALS})\n"
                  "except UserInputError as err:\n    print('refused:', err)\n"
                  "print('ray imported:', 'ray' in sys.modules)\n"),
    "import ray.tune (for scale)": "import sys\nimport ray.tune\nprint('ray imported:', 'ray' in sys.modules)\n",
}


def measure(code: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", UNLEARN_THREADS="1")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = out.strip().splitlines()
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),        # Linux: kilobytes
            "ray_imported": bool(lines) and lines[-1].endswith("True"), "said": " | ".join(lines[-3:])[:300]}


def run(quick: bool = False) -> dict:
    results = {name: measure(code) for name, code in CASES.items()}
    return {"description": f"a {TRIALS:.0e}-trial sweep refused (target: < 400 MB, < 2 s, Ray not imported)",
            **results}


if __name__ == "__main__":
    for name, figures in run().items():
        print(f"{name}: {figures}")
