"""Worker pools whose processes end with the process that started them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

STARTER = """
import os, signal, time
from models.common.processes import worker_pool

pool = worker_pool(1)
print(pool.submit(os.getpid).result(), flush=True)
pool.submit(time.sleep, 120)
time.sleep(0.5)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\\nState:\\tZ" not in status.read_text()          # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_worker_ends_when_the_process_that_started_it_is_killed():
    run = subprocess.run([sys.executable, "-c", STARTER], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    worker = int(run.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the worker outlived its parent"


def _mark_started(value: str) -> None:
    os.environ["MECO_WORKER_STARTED"] = value


def test_a_pool_runs_its_initializer_in_each_worker():
    from models.common.processes import worker_pool

    with worker_pool(2, _mark_started, ("yes",)) as pool:
        assert list(pool.map(os.getenv, ["MECO_WORKER_STARTED"] * 4)) == ["yes"] * 4
