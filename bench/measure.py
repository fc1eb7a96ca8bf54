"""Run one command and measure it: wall time, the largest single process's peak memory, and the whole tree's peak.

CPU seconds move less than wall seconds when other work shares the machine, so they are kept too.
The two peaks answer different questions. ru_maxrss (from os.wait4) is the largest process among the command and
the children it reaped: what one process needs. The tree peak is the most the command and all its descendants
held at once, summed from /proc every ~20 ms: what the machine needs. Summed RSS counts pages that forked workers
share with their parent once per process, so it is an upper bound; a spike shorter than the interval can be missed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
OUTPUT_TAIL_LINES = 30
SAMPLE_SECONDS = 0.02


class CommandFailed(Exception):
    pass


@dataclass
class Timing:
    seconds: float
    peak_mb: float  # the largest single process (ru_maxrss)
    tree_peak_mb: float | None = None  # the process and all its descendants at once (summed RSS, sampled)
    cpu_seconds: float | None = None  # user + system time of the process and the children it reaped


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name, which may itself hold spaces and brackets."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].decode().split()
    except (OSError, IndexError):
        return None  # gone between listing and reading


class TreePeak:
    """Samples the summed RSS of a process and its descendants on a thread, keeping the largest total.

    Parents are cached per pid, so a sample reads only /proc/PID/stat of processes new since the last one and of
    the tree itself: a full scan of /proc every 20 ms would cost a noticeable share of a 2-core machine.
    """

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS):
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self._parents: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, self.sample())
            self._stop.wait(self.interval)

    def _refresh_parents(self) -> None:
        # Dropping pids that are gone means a reused pid is looked up afresh rather than given a stale parent.
        live = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        self._parents = {pid: parent for pid, parent in self._parents.items() if pid in live}
        for pid in live - self._parents.keys():
            fields = _stat_fields(pid)
            if fields:
                self._parents[pid] = int(fields[1])

    def _tree(self) -> set[int]:
        children: dict[int, list[int]] = {}
        for pid, parent in self._parents.items():
            children.setdefault(parent, []).append(pid)
        tree, todo = set(), [self.root]
        while todo:
            pid = todo.pop()
            tree.add(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def sample(self) -> int:
        """Bytes resident in the tree now."""
        self._refresh_parents()
        total = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/statm", "rb") as statm:
                    total += int(statm.read().split()[1]) * PAGE
            except (OSError, IndexError):
                pass
        return total


def run_measured(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Timing:
    """Wall time and both memory peaks of one command; CommandFailed with its last lines if it fails.

    os.wait4 reports the child's rusage, which on Linux folds in the children it reaped (Markdown workers,
    Pagefind). Output goes to a file rather than a pipe, so thousands of findings cannot fill the pipe and stall
    the child.
    """
    with tempfile.TemporaryFile() as output:
        # A session of its own lets the timeout kill the whole tree, workers included.
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        start = time.perf_counter()
        timer.start()
        try:
            with TreePeak(process.pid) as tree:
                _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped; stop Popen waiting again
        if process.returncode != 0:
            output.seek(0)
            tail = output.read().decode(errors="replace").splitlines()[-OUTPUT_TAIL_LINES:]
            reason = f"timed out after {timeout:.0f} s" if seconds >= timeout else f"exited {process.returncode}"
            raise CommandFailed(f"`{' '.join(command[1:])}` in {cwd} {reason}:\n" + "\n".join(tail))
    largest = usage.ru_maxrss * 1024
    # The tree held at least its largest process; a peak that fell between two samples must not read lower.
    return Timing(round(seconds, 2), round(largest / MB, 1), round(max(tree.peak_bytes, largest) / MB, 1),
                  round(usage.ru_utime + usage.ru_stime, 2))
