"""Time `publisher check` and a full build at several archive sizes, and measure what search costs readers.

Usage: python bench/run.py [--sizes 200,1000,5000] [--no-browser]
Prints a Markdown table per measure and writes bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus import generate  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
EPOCH = "1793491200"
TIMEOUT = 1800
QUERIES = ("apprenticeship", "mentoring pupils")


@dataclass
class Run:
    seconds: float
    peak_mb: float


@dataclass
class Result:
    bulletins: int
    check: Run
    build: Run
    site_mb: float
    files: int
    pagefind_s: float
    pagefind_mb: float
    material_index_mb: float
    first_query_kb: float | None = None
    second_query_kb: float | None = None


def measure(command: list[str], cwd: Path) -> Run:
    """Wall time and the peak resident memory of one child process (via wait4, no /usr/bin/time needed)."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{process.stderr.read().decode()}")
    return Run(round(seconds, 2), round(usage.ru_maxrss / 1024, 1))


def tree_size(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1), len(files)


def corpus(size: int) -> Path:
    folder = OUT / f"corpus-{size}"
    marker = folder / ".complete"
    if not marker.exists():
        generate(folder, size)
        marker.touch()
    return folder


def pagefind_time(site: Path) -> float:
    """Pagefind alone, rerun over the built HTML, as the build runs it."""
    scratch = Path(tempfile.mkdtemp(prefix="pagefind-"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(scratch),
                        "--silent"], check=True, timeout=TIMEOUT)
        return round(time.perf_counter() - start, 2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def material_index_size(folder: Path) -> float:
    """Build the same corpus with Material's built-in search enabled and weigh the one JSON it sends."""
    variant = folder / "mkdocs-material-search.yml"
    text = (folder / "mkdocs.yml").read_text().replace("plugins:\n", "plugins:\n  - search\n", 1)
    variant.write_text(text)
    with tempfile.TemporaryDirectory() as site:
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(variant), "-d", site], cwd=folder,
                       check=True, timeout=TIMEOUT, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round((Path(site) / "search/search_index.json").stat().st_size / 1e6, 2)


def query_bytes(site: Path) -> tuple[float, float]:
    """Bytes of Pagefind files a reader's first and second query download, in headless Chromium."""
    from browser_support import CHROMIUM_ARGS, chromium_path, serve
    from playwright.sync_api import sync_playwright

    fetched: list[int] = []

    def record(response) -> None:
        if "/pagefind/" in response.url:
            fetched.append(len(response.body()))

    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("response", record)
        totals = []
        page.goto(f"{base}/search/")
        for query in QUERIES:
            before = sum(fetched)
            page.fill("#search-query", query)
            page.press("#search-query", "Enter")
            page.wait_for_selector("#search-results li", timeout=60000)
            page.wait_for_load_state("networkidle")
            totals.append(round((sum(fetched) - before) / 1024, 1))
        browser.close()
    return totals[0], totals[1]


def bench(size: int, browser: bool) -> Result:
    folder = corpus(size)
    publisher = [sys.executable, "-m", "publisher"]
    check = measure(publisher + ["check"], folder)
    site = folder / "site"
    build = measure(publisher + ["build", "--site-dir", str(site)], folder)
    site_mb, files = tree_size(site)
    pagefind_mb, _ = tree_size(site / "pagefind")
    result = Result(size, check, build, site_mb, files, pagefind_time(site), pagefind_mb, material_index_size(folder))
    if browser:
        result.first_query_kb, result.second_query_kb = query_bytes(site)
    return result


def print_tables(results: list[Result]) -> None:
    print("| bulletins | check s | check peak MB | build s | build peak MB | site MB | files | build s per 1,000 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.bulletins:,} | {r.check.seconds} | {r.check.peak_mb} | {r.build.seconds} | {r.build.peak_mb} | "
              f"{r.site_mb} | {r.files:,} | {r.build.seconds / r.bulletins * 1000:.1f} |")
    print()
    print("| bulletins | Pagefind s | Pagefind index MB | first query KB | second query KB | Material search_index.json MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.bulletins:,} | {r.pagefind_s} | {r.pagefind_mb} | {r.first_query_kb} | {r.second_query_kb} | "
              f"{r.material_index_mb} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,5000")
    parser.add_argument("--no-browser", action="store_true", help="skip the query download measurement")
    arguments = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = [bench(int(size), not arguments.no_browser) for size in arguments.sizes.split(",")]
    print_tables(results)
    (OUT / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")


if __name__ == "__main__":
    main()
