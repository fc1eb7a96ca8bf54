"""Time the live preview: from saving a bulletin in `mkdocs serve` to the change being served.

Usage: python bench/preview.py [--sizes 1000,5000] [--runs 5] [--seed 1] [--timeout 600]

For each size a scratch copy of the corpus (without its .cache) is served with `mkdocs serve --livereload` on a free
port. After the first build answers, each run, with the server idle again before it starts:

- body edit: a sentence with a new token is appended to one bulletin (a different one each run), then the
  bulletin's page is fetched every 20 ms until the token is in it;
- title edit: the newest bulletin's title gets a new token, then the archive's first page (/bulletins/) and the
  RSS feed (/feed.xml) are fetched until each shows it.

Every delay runs from just after the save. "noticed" is when the server logged "Detected file changes": the part
of the delay spent before MkDocs started to rebuild (its file watcher polls every 0.5 s). Prints a Markdown table
and writes bench/out/preview.json. The server's whole process group is killed at the end, and on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from measure import MB, TreePeak, _stat_fields  # noqa: E402
from run import EPOCH, OUT, log, scratch_corpus  # noqa: E402

MKDOCS = Path(sys.executable).parent / "mkdocs"
RESULTS = OUT / "preview.json"
POLL_SECONDS = 0.02
NOTICED = b"Detected file changes"  # what mkdocs.livereload logs when its watcher wakes the build loop
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_WINDOW = 1.0
IDLE_CPU = 0.15  # CPU seconds per window: above the watcher's own polling of the tree, below any build work
STOP_GRACE = 10


class PreviewFailed(Exception):
    pass


@dataclass
class PreviewResult:
    bulletins: int
    first_build_s: float | None = None
    body_s: list[float] = field(default_factory=list)
    body_noticed_s: list[float] = field(default_factory=list)
    listing_s: list[float] = field(default_factory=list)
    feed_s: list[float] = field(default_factory=list)
    title_noticed_s: list[float] = field(default_factory=list)
    tree_peak_mb: float | None = None
    error: str | None = None


class TreeCPU(TreePeak):
    """CPU seconds used so far by a process and its descendants, to tell when a server has gone idle."""

    def cpu_seconds(self) -> float:
        self._refresh_parents()
        ticks = 0
        for pid in self._tree():
            fields = _stat_fields(pid)
            if fields:  # utime, stime, and those of the children it reaped (Pagefind)
                ticks += sum(int(value) for value in fields[11:15])
        return ticks / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoticeTimes(threading.Thread):
    """When MkDocs logged each detected change, read from its output on a thread of its own: a page fetched
    during a rebuild waits for the rebuild to finish, which would hide the moment it started."""

    def __init__(self, log_path: Path):
        super().__init__(daemon=True)
        self.log_path = log_path
        self.times: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        read_to = 0
        while not self.stopped.wait(POLL_SECONDS):
            with self.log_path.open("rb") as output:
                output.seek(read_to)
                new = output.read()
            # A line cut by the read is counted once it is whole; only whole lines move the offset.
            whole = new[:new.rfind(b"\n") + 1]
            read_to += len(whole)
            self.times.extend([time.perf_counter()] * whole.count(NOTICED))

    def first_after(self, moment: float) -> float | None:
        return next((round(t - moment, 3) for t in self.times if t >= moment), None)


class Server:
    """`mkdocs serve` in a session of its own, so stopping it stops its workers and Pagefind too."""

    def __init__(self, site: Path, log_path: Path, timeout: float):
        self.timeout = timeout
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
        self.started = time.perf_counter()
        self.process = subprocess.Popen([str(MKDOCS), "serve", "--livereload", "-a", self.url.split("//")[1]],
                                        cwd=site, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.notices = NoticeTimes(log_path)
        self.notices.start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                pass
        self._signal(signal.SIGKILL)  # workers may outlive the server's own exit
        self.process.wait()
        self.notices.stopped.set()
        self.notices.join()
        self._log.close()

    def _signal(self, number: int) -> None:
        try:
            os.killpg(self.process.pid, number)
        except ProcessLookupError:
            pass

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def fail(self, message: str) -> PreviewFailed:
        return PreviewFailed(f"{message}; the server's last lines:\n{self.tail()}")

    def get(self, path: str) -> str | None:
        """The page's text, or None while the server cannot serve it (not up yet, or a 404)."""
        if self.process.poll() is not None:
            raise self.fail(f"mkdocs serve exited {self.process.returncode}")
        try:
            with urllib.request.urlopen(self.url + path, timeout=self.timeout) as response:
                return response.read().decode(errors="replace")
        except (urllib.error.URLError, ConnectionError):
            return None

    def wait_until_up(self) -> float:
        """Seconds from start until the home page answers: `mkdocs serve` listens only after the first build."""
        while self.get("/") is None:
            if time.perf_counter() - self.started > self.timeout:
                raise self.fail(f"the first build did not finish within {self.timeout:.0f} s")
            time.sleep(POLL_SECONDS)
        return round(time.perf_counter() - self.started, 2)

    def wait_until_idle(self) -> None:
        """Until a rebuild and any background work after it (the search index) have finished."""
        cpu = TreeCPU(self.process.pid)
        deadline = time.perf_counter() + self.timeout
        used = cpu.cpu_seconds()
        while time.perf_counter() < deadline:
            time.sleep(IDLE_WINDOW)
            before, used = used, cpu.cpu_seconds()
            if used - before < IDLE_CPU:
                return
        raise self.fail(f"the server was still busy {self.timeout:.0f} s after the last change")

    def time_until(self, token: str, paths: list[str], saved: float) -> tuple[dict[str, float], float | None]:
        """Seconds from the save until each page shows the token, and until MkDocs noticed the change."""
        shown: dict[str, float] = {}
        while len(shown) < len(paths):
            for path in paths:
                if path not in shown and token in (self.get(path) or ""):
                    shown[path] = round(time.perf_counter() - saved, 3)
            if time.perf_counter() - saved > self.timeout:
                raise self.fail(f"{token} not shown on {', '.join(sorted(set(paths) - shown.keys()))} "
                                f"{self.timeout:.0f} s after the save")
            time.sleep(POLL_SECONDS)
        time.sleep(2 * POLL_SECONDS)  # the log thread's next read
        return shown, self.notices.first_after(saved)


def bulletin_url(path: Path) -> str:
    """/bulletins/YYYY/MM/DD/slug/, as publisher/content/validate.py forms it from the file name."""
    date, slug = path.stem[:10], path.stem[11:]
    return f"/bulletins/{date.replace('-', '/')}/{slug}/"


def append_sentence(path: Path, token: str) -> float:
    with path.open("a", encoding="utf-8") as text:
        text.write(f"\nThe preview benchmark added this sentence, marked {token}.\n")
    return time.perf_counter()


def retitle(path: Path, token: str) -> float:
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[index] = lines[index].split(" (revised", 1)[0] + f" (revised {token})"
    path.write_text("\n".join(lines), encoding="utf-8")
    return time.perf_counter()


def new_token() -> str:
    return "pv" + secrets.token_hex(4)


def measure_edits(server: Server, site: Path, runs: int, result: PreviewResult) -> None:
    bulletins = sorted((site / "bulletins").glob("*.md"))
    newest = bulletins[-1]  # file names start with the date, so the last is first on /bulletins/
    for run in range(runs):
        server.wait_until_idle()
        log(f"{result.bulletins:,}: body edit {run + 1} of {runs}")
        edited = bulletins[(run + 1) * len(bulletins) // (runs + 1)]
        token = new_token()
        shown, noticed = server.time_until(token, [bulletin_url(edited)], append_sentence(edited, token))
        result.body_s.append(shown[bulletin_url(edited)])
        result.body_noticed_s.append(noticed)
    for run in range(runs):
        server.wait_until_idle()
        log(f"{result.bulletins:,}: title edit {run + 1} of {runs}")
        token = new_token()
        shown, noticed = server.time_until(token, ["/bulletins/", "/feed.xml"], retitle(newest, token))
        result.listing_s.append(shown["/bulletins/"])
        result.feed_s.append(shown["/feed.xml"])
        result.title_noticed_s.append(noticed)


def measure_size(size: int, seed: int, runs: int, timeout: float) -> PreviewResult:
    result = PreviewResult(size)
    with tempfile.TemporaryDirectory(prefix="preview-", dir=OUT) as scratch:
        site = scratch_corpus(size, seed, Path(scratch))
        log(f"{size:,}: mkdocs serve in {site}")
        server = Server(site, Path(scratch) / "serve.log", timeout)
        try:
            with TreePeak(server.process.pid) as tree:
                result.first_build_s = server.wait_until_up()
                log(f"{size:,}: first build served after {result.first_build_s} s")
                measure_edits(server, site, runs, result)
            result.tree_peak_mb = round(tree.peak_bytes / MB, 1)
        except (PreviewFailed, OSError) as exc:
            result.error = str(exc)
        finally:
            server.stop()
    return result


def spread(values: list[float | None]) -> tuple[str, str]:
    """(median, "min–max") of the values measured, or dashes."""
    known = [value for value in values if value is not None]
    if not known:
        return "—", "—"
    return f"{statistics.median(known):.2f}", f"{min(known):.2f}–{max(known):.2f}"


def table(results: list[PreviewResult]) -> str:
    rows = ["| bulletins | first build s | body edit median s | body min–max s | noticed median s "
            "| title → /bulletins/ median s | title → /feed.xml median s | title min–max s (feed) "
            "| server tree peak MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        body, body_range = spread(r.body_s)
        noticed, _ = spread(r.body_noticed_s + r.title_noticed_s)
        listing, _ = spread(r.listing_s)
        feed, feed_range = spread(r.feed_s)
        cells = [f"{r.bulletins:,}", r.first_build_s or "—", body, body_range, noticed, listing, feed, feed_range,
                 r.tree_peak_mb or "—"]
        rows.append("| " + " | ".join(str(value) for value in cells) + " |")
    failures = [f"{r.bulletins:,} FAILED: {r.error}" for r in results if r.error]
    return "\n\n".join(["\n".join(rows), *failures])


def stop_on_sigterm() -> None:
    """A SIGTERM to the benchmark still runs the `finally` that kills the server."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated bulletin counts")
    parser.add_argument("--runs", type=int, default=5, help="edits of each kind; medians are shown")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed for the first build, for each edit to show, and for going idle")
    arguments = parser.parse_args()
    stop_on_sigterm()
    OUT.mkdir(parents=True, exist_ok=True)
    results: list[PreviewResult] = []
    for size in (int(text) for text in arguments.sizes.split(",")):
        results.append(measure_size(size, arguments.seed, arguments.runs, arguments.timeout))
        RESULTS.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    print(table(results))
    sys.exit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()
