"""Worker processes end with the process they serve, whichever start method made them.

Python 3.14 makes forkserver the default on Linux: a worker's parent is then the fork
server, not the refresh or import that started the pool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from reader.core.workers import serve_parent

START_METHODS = [
    method for method in ("fork", "forkserver") if method in multiprocessing.get_all_start_methods()
]

POOL_SCRIPT = """
import os, sys, time
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from reader.core.workers import serve_parent

if __name__ == "__main__":  # the fork server imports this module again
    context = multiprocessing.get_context(sys.argv[1])
    pool = ProcessPoolExecutor(
        2, mp_context=context, initializer=serve_parent, initargs=(os.getpid(),)
    )
    pids = {pool.submit(os.getpid).result() for _ in range(20)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(60)
"""


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (nothing here may reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.parametrize("method", START_METHODS)
def test_workers_run_tasks_under_each_start_method(method: str) -> None:
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        2, mp_context=context, initializer=serve_parent, initargs=(os.getpid(),)
    ) as pool:
        results = list(pool.map(abs, range(-50, 0)))
        worker = pool.submit(os.getpid).result()
    assert results == list(range(50, 0, -1))
    assert worker != os.getpid()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("method", START_METHODS)
def test_workers_end_when_their_process_is_killed(method: str, tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(POOL_SCRIPT)
    owner = subprocess.Popen(
        [sys.executable, str(script), method], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(_running(pid) for pid in workers)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        for _ in range(100):  # 10 s at most; the workers look every 0.5 s
            if not any(_running(pid) for pid in workers):
                break
            time.sleep(0.1)
        assert not any(_running(pid) for pid in workers)
    finally:
        owner.kill()
        owner.wait()
