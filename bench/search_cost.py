"""What search costs, for `run.py --search`: Pagefind's share of the build, and the bytes a reader downloads.

Material's built-in search would send every searcher one search_index.json holding the whole site; Pagefind
sends only the index chunks a query needs. Building the same corpus with Material's plugin switched on puts a
number on the difference.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ("apprenticeship", "mentoring pupils")
MB = 1024 * 1024


def pagefind_seconds(site: Path, timeout: float) -> float:
    """Pagefind alone over the built HTML, as the build runs it, written to a scratch folder."""
    scratch = Path(tempfile.mkdtemp(prefix="pagefind-"))
    try:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(scratch),
                        "--silent"], check=True, timeout=timeout, capture_output=True)
        return round(time.perf_counter() - start, 2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def material_index_mb(folder: Path, timeout: float, env: dict[str, str]) -> float:
    """Build the corpus again with Material's search plugin and weigh the single file it would send."""
    variant = folder / "mkdocs-material-search.yml"
    config = (folder / "mkdocs.yml").read_text(encoding="utf-8")
    variant.write_text(config.replace("plugins:\n", "plugins:\n  - search\n", 1), encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as site:
            subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(variant), "-d", site],
                           cwd=folder, check=True, timeout=timeout, env=env, capture_output=True)
            return round((Path(site) / "search" / "search_index.json").stat().st_size / MB, 2)
    finally:
        variant.unlink()


def query_kilobytes(site: Path) -> tuple[float, float]:
    """Kilobytes of Pagefind files a reader's first and second query download, in headless Chromium."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import CHROMIUM_ARGS, chromium_path, serve
    from playwright.sync_api import sync_playwright

    fetched: list[int] = []

    def record(response) -> None:
        if "/pagefind/" in response.url:
            fetched.append(len(response.body()))

    totals = []
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("response", record)
        page.goto(f"{base}/search/")
        for query in QUERIES:
            before = sum(fetched)
            page.fill("#search-query", query)
            page.press("#search-query", "Enter")
            page.wait_for_selector("#search-results li", timeout=60_000)
            page.wait_for_load_state("networkidle")
            totals.append(round((sum(fetched) - before) / 1024, 1))
        browser.close()
    return totals[0], totals[1]


def browser_missing() -> str | None:
    """Why the query measurement cannot run here, or None if it can."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import chromium_path

    return None if chromium_path() else "Chromium is not installed (apt-get install chromium)"


def measure_search(folder: Path, site: Path, timeout: float, env: dict[str, str]) -> dict:
    costs: dict = {"pagefind_s": pagefind_seconds(site, timeout),
                   "material_index_mb": material_index_mb(folder, timeout, env)}
    missing = browser_missing()
    if missing:
        costs["skipped"] = missing
    else:
        costs["first_query_kb"], costs["second_query_kb"] = query_kilobytes(site)
    return costs
