"""Stopping ``robustgames reproduce`` with SIGTERM or Ctrl-C: no worker survives, finished
cells stay stored, and the message tells how many and the command that resumes."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from robustgames import cli
from robustgames.experiments import regret

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process table from /proc")

# The real `robustgames reproduce` (smoke profile, one regret study) with a slowed-down
# cell that compiles nothing: the patch is at module level, so the spawned workers, which
# import this script as __mp_main__, run the slow cell too (the warm-up cells, run by the
# parent, do not sleep). Once the test creates FLAG, new cells take 10 minutes: a worker
# left to finish its cell would outlive the test.
_SCRIPT = """
import multiprocessing, os, sys, time
from robustgames.experiments import regret

FLAG = {flag!r}

def slow_cell(config, seed):
    if multiprocessing.parent_process() is not None:
        time.sleep(600 if os.path.exists(FLAG) else 1.5)
    return {{"episodes": config["episodes"], "entropy": int(seed.entropy)}}

regret.regret_cell = slow_cell

if __name__ == "__main__":
    from robustgames import cli
    sys.exit(cli.main(sys.argv[1:]))
"""


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            ppid = _parent_of(int(name))
            if ppid is not None:
                children.setdefault(ppid, []).append(int(name))
    out, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    """Exists and is not a zombie (an exited child its new parent has not reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _stored(folder) -> int:
    return len(list(folder.glob("*.json"))) if folder.is_dir() else 0


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_reproduce_leaves_no_process_and_says_how_to_resume(signum, tmp_path):
    flag = tmp_path / "slow"
    script = tmp_path / "slow_reproduce.py"
    script.write_text(_SCRIPT.format(flag=str(flag)))
    out = tmp_path / "results"
    study = regret.STUDY_NAMES[0]
    argv = ["reproduce", "--profile", "smoke", "--only", study, "--out", str(out), "--jobs", "2", "--no-progress"]
    n_cells = len(regret.studies("smoke", only=[study])[study])
    folder = out / "data" / study
    proc = subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen: set[int] = set()
    try:
        def workers():
            seen.update(_descendants(proc.pid))
            return [p for p in seen if _alive(p) and "spawn_main" in _cmdline(p)]

        _wait(lambda: len(workers()) >= 2 or proc.poll() is not None, 90, "two worker processes")
        assert proc.poll() is None, proc.communicate()
        before = _stored(folder)
        _wait(lambda: _stored(folder) > before or proc.poll() is not None, 60, "a cell done by a worker")
        flag.touch()
        time.sleep(2.0)  # both workers are now inside a 10-minute cell
        assert proc.poll() is None, proc.communicate()
        pool = workers()
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C reaches the whole process group
        else:
            os.kill(proc.pid, signum)
        t0 = time.monotonic()
        stdout, stderr = proc.communicate(timeout=60)
        stop_seconds = time.monotonic() - t0
        # the workers were ended (and reaped) before the command returned
        assert len(pool) >= 2 and not [p for p in pool if _alive(p)]
        # nothing else the run started survives it (the resource tracker exits with its parent)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [(p, _cmdline(p)) for p in seen if _alive(p)]
    finally:
        if proc.poll() is None or any(_alive(p) for p in seen):
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the test failed: leave nothing behind
            except ProcessLookupError:
                pass
            proc.wait()
    assert proc.returncode == 128 + signum, stderr
    assert stop_seconds < 20
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    # finished cells stay stored; the run was stopped part way
    stored = _stored(folder)
    assert 1 < stored < n_cells
    assert not list(folder.glob(".*.tmp"))
    lines = [line for line in stderr.splitlines() if line.startswith("stopped by")]
    assert len(lines) == 1, stderr
    m = re.fullmatch(rf"stopped by {signum.name}: (\d+) of (\d+) cells are stored in (.+); resume with: (.+)",
                     lines[0])
    assert m, lines[0]
    assert (int(m[1]), int(m[2])) == (stored, n_cells)
    command = shlex.split(m[4])
    assert command[:2] == ["robustgames", "reproduce"]
    parser, _ = cli._parser()
    resumed, original = vars(parser.parse_args(command[1:])), vars(parser.parse_args(argv))
    assert os.path.samefile(resumed.pop("out"), original.pop("out"))
    assert resumed == original
