"""A sweep against a real Ray cluster: `ray start --head` and a worker node on 127.0.0.1, then
`python -m unlearn_core sweep --address 127.0.0.1:<port>` in a subprocess, as README's "Sweeps on a
cluster" says.

The two `ray start` commands run with --block in their own process groups, and the cluster is stopped by
ending those groups: `ray stop` would end every Ray process of this user on the machine, including other
test sessions' local Ray.
"""
from __future__ import annotations

import os
import shutil
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import TINY_TRAIN

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 120       # generous: two cores shared with other test processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what: str, timeout: float = START_TIMEOUT_S, procs=()):
    """Poll `condition` until True; fail early if a `ray start --block` process died."""
    deadline = time.monotonic() + timeout
    while not condition():
        for p in procs:
            assert p.poll() is None, f"{what}: `ray start` exited with {p.returncode}"
        assert time.monotonic() < deadline, f"{what}: not ready after {timeout} s"
        time.sleep(0.2)


def accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive_nodes(address: str, env: dict) -> int:
    # A short-lived driver in a subprocess: this test process stays free of Ray for the tests after it.
    out = subprocess.run([sys.executable, "-c", "import ray; ray.init(address=%r, log_to_driver=False); "
                          "print(sum(n['Alive'] for n in ray.nodes()))" % address],
                         env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0


def node_ports() -> list[str]:
    # Ports Ray would otherwise take at fixed defaults (52365 for every node's agent): two nodes on one
    # machine, and other test sessions' Ray, would collide.
    return ["--dashboard-agent-listen-port", str(free_port())]


def signal_group(p: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


def stop_groups(procs: list[subprocess.Popen], grace_s: float = 10) -> None:
    """SIGTERM lets each `ray start --block` stop its node; what is left of the groups after the grace
    period (Ray drains for up to 30 s) gets SIGKILL: the temporary folder is removed anyway."""
    for p in procs:
        signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        signal_group(p, signal.SIGKILL)
        p.wait()


@pytest.fixture
def cluster(tmp_path):
    """A head (1 CPU) and a worker node (1 CPU) on 127.0.0.1; yields the address."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    ray_tmp = tempfile.mkdtemp(prefix="rayc-")      # socket paths must fit in 107 bytes: not under tmp_path
    # Token authentication, as a shared cluster should have: head, worker and driver share the token (the
    # environment's, so nothing depends on or changes ~/.ray/auth_token).
    env = {**os.environ, "RAY_TMPDIR": ray_tmp, "RAY_USAGE_STATS_ENABLED": "0", "OMP_NUM_THREADS": "1",
           "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    ports = {"--dashboard-port": str(free_port())}       # (Ray Client, port 10001, needs ray[client]: not started)
    common = {"env": env, "stdout": subprocess.DEVNULL, "stderr": open(tmp_path / "ray.log", "w"),
              "start_new_session": True}
    procs = []
    try:
        procs.append(subprocess.Popen(["ray", "start", "--head", "--node-ip-address", "127.0.0.1", "--port",
                                       str(port), "--num-cpus", "1", "--include-dashboard", "false",
                                       "--temp-dir", ray_tmp, "--disable-usage-stats", *node_ports(),
                                       *(x for kv in ports.items() for x in kv), "--block"], **common))
        wait_for(lambda: accepts(port), "ray head", procs=procs)
        procs.append(subprocess.Popen(["ray", "start", "--address", address, "--node-ip-address", "127.0.0.1",
                                       "--num-cpus", "1", *node_ports(), "--block"], **common))
        wait_for(lambda: alive_nodes(address, env) == 2, "ray worker", procs=procs)
        yield address, env
    finally:
        stop_groups(procs)      # each group holds one node's Ray processes
        common["stderr"].close()
        shutil.rmtree(ray_tmp, ignore_errors=True)


@pytest.mark.ray
def test_a_sweep_runs_on_a_two_node_cluster(cluster, tmp_path, class_prep):
    from unlearn_core import reference

    address, env = cluster
    reference(class_prep)   # the session's short-recipe original and retrain, cached: the command loads them
    out = tmp_path / "sweep.csv"
    # Digits, class 5, conftest's 6-epoch recipe, 2 trials of one round each.
    cmd = [sys.executable, "-m", "unlearn_core", "sweep", "--address", address, "--device", "cpu",
           "--train-epochs", str(TINY_TRAIN.epochs), "--space", "lr=0.01,0.03", "--scheduler", "fifo",
           "--max-rounds", "1", "--out", str(out)]
    # The cache keys torch's thread count: the command uses this process's, so it finds class_prep's models
    # (when an earlier test changed the count after they were trained, it trains them again: slower, not wrong).
    proc = subprocess.run(cmd, cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO),
                                                  "UNLEARN_THREADS": str(torch.get_num_threads())},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"2 trials on {address} Ray, 1 CPU and 0 GPU per trial" in proc.stdout
    table = pd.read_csv(out)
    trials = table[table["kind"] == "trial"]
    assert sorted(trials["lr"]) == [0.01, 0.03] and trials["error"].isna().all()
    assert trials["status"].isin(["terminated", "not terminated"]).all() and trials["avg_gap"].notna().all()
    assert set(table["kind"]) == {"trial", "original", "retrain"}
