"""Time `publisher check` and `publisher build` on seeded corpora of several sizes, with peak memory and output size.

Usage: python bench/run.py [--sizes 200,1000,5000] [--seed 1] [--timeout 1200] [--warm] [--search | --peer]

Prints Markdown tables and writes bench/out/results.json (after every size, so a later failure keeps the rest).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from corpus import generate, is_current  # noqa: E402
from measure import CommandFailed, Timing  # noqa: E402
from measure import run_measured as measure_command  # noqa: E402

OUT = BENCH / "out"
RESULTS = OUT / "results.json"
EPOCH = "1793491200"  # 2026-11-01T00:00:00Z, the fixed "now" the tests use; every generated bulletin is past it
MB = 1024 * 1024
PUBLISHER = [sys.executable, "-m", "publisher"]
CACHE_FOLDER = ".cache"  # publisher.cache.CACHE_FOLDER, not imported so the bench never loads the publisher
CODE = BENCH.parent / "publisher"
CODE_SUFFIXES = (".py", ".html", ".js", ".css")  # publisher.cache.CODE_SUFFIXES: what every cache is keyed on


@dataclass
class Result:
    bulletins: int
    check: Timing | None = None
    build: Timing | None = None
    site_mb: float | None = None
    files: int | None = None
    search_index_mb: float | None = None  # Material's search/search_index.json, if a build writes one
    pagefind_mb: float | None = None  # the Pagefind bundle this project's search uses instead
    search: dict | None = None  # extra search measurements, with --search
    warm: Timing | None = None  # with --warm: the same build again into the same site, nothing changed
    warm_edit: Timing | None = None  # and again after one bulletin's body changed
    code_changed: bool = False  # the publisher's code changed during the warm builds, so their cache was stale
    error: str | None = None


def run_measured(command: list[str], cwd: Path, timeout: float) -> Timing:
    """Wall time and peak memory (largest process and whole tree) of one command run at the fixed "now"."""
    return measure_command(command, cwd, {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, timeout)


def corpus(size: int, seed: int) -> Path:
    """The generated site for this size and seed, regenerated only when the generator or its inputs changed."""
    folder = OUT / f"corpus-{size}-seed{seed}"
    if not is_current(folder, size, seed):
        start = time.perf_counter()
        generate(folder, size, seed)
        log(f"generated {size:,} bulletins in {time.perf_counter() - start:.1f} s: {folder}")
    return folder


def scratch_corpus(size: int, seed: int, into: Path) -> Path:
    """A copy of the cached corpus to build and edit, without its cache: the cached one stays as generated, and
    every run starts cold."""
    folder = into / f"corpus-{size}"
    shutil.copytree(corpus(size, seed), folder, symlinks=True, ignore=shutil.ignore_patterns(CACHE_FOLDER))
    return folder


def edit_one_body(folder: Path) -> None:
    """A sentence added to the middle bulletin, so a warm build has one page (and the pages listing it) to redo."""
    bulletins = sorted((folder / "bulletins").glob("*.md"))
    with bulletins[len(bulletins) // 2].open("a", encoding="utf-8") as text:
        text.write("\nA sentence added by the warm build benchmark.\n")


def code_stamp() -> list[tuple[str, int]]:
    """The publisher's code files and their modification times: editing one invalidates every cache."""
    return sorted((str(path), path.stat().st_mtime_ns) for path in CODE.rglob("*") if path.suffix in CODE_SUFFIXES)


def tree_size(folder: Path) -> tuple[int, int]:
    """(total bytes, file count) of everything under a folder."""
    sizes = [path.stat().st_size for path in folder.rglob("*") if path.is_file()]
    return sum(sizes), len(sizes)


def megabytes(size: int) -> float:
    return round(size / MB, 2)


def record_output(result: Result, site: Path) -> None:
    total, result.files = tree_size(site)
    result.site_mb = megabytes(total)
    search_index = site / "search" / "search_index.json"
    if search_index.is_file():
        result.search_index_mb = megabytes(search_index.stat().st_size)
    if (site / "pagefind").is_dir():
        result.pagefind_mb = megabytes(tree_size(site / "pagefind")[0])


def bench_size(size: int, seed: int, timeout: float, search: bool, warm: bool) -> Result:
    result = Result(size)
    try:
        with tempfile.TemporaryDirectory(prefix="site-", dir=OUT) as scratch:
            folder = scratch_corpus(size, seed, Path(scratch))
            log(f"{size:,}: publisher check")
            result.check = run_measured(PUBLISHER + ["check"], folder, timeout)
            site = Path(scratch) / "site"
            build = PUBLISHER + ["build", "--site-dir", str(site)]
            log(f"{size:,}: publisher build")
            code = code_stamp()
            result.build = run_measured(build, folder, timeout)
            record_output(result, site)
            if warm:
                log(f"{size:,}: publisher build again, nothing changed")
                result.warm = run_measured(build, folder, timeout)
                edit_one_body(folder)
                log(f"{size:,}: publisher build again, one bulletin edited")
                result.warm_edit = run_measured(build, folder, timeout)
                result.code_changed = code_stamp() != code
            if search:
                from search_cost import measure_search

                log(f"{size:,}: search costs")
                result.search = measure_search(folder, site, timeout, {**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    except (CommandFailed, subprocess.SubprocessError) as exc:
        result.error = str(exc)
    return result


def cell(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def timing_cells(timing: Timing | None) -> list[float | None]:
    return [timing.seconds, timing.peak_mb, timing.tree_peak_mb] if timing else [None, None, None]


def results_table(results: list[Result]) -> str:
    rows = ["| bulletins | check s | check peak MB | check tree peak MB | build s | build peak MB | build tree peak MB "
            "| site MB | files | search index MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        values = [r.bulletins, *timing_cells(r.check), *timing_cells(r.build), r.site_mb, r.files, r.search_index_mb]
        rows.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(rows)


def linearity_table(results: list[Result]) -> str:
    """Build seconds per 1,000 bulletins, overall and between sizes; the second strips fixed start-up costs."""
    built = sorted((r for r in results if r.build), key=lambda r: r.bulletins)
    rows = ["| bulletins | build s per 1,000 bulletins | marginal s per 1,000 (from the previous size) |",
            "|---:|---:|---:|"]
    previous: Result | None = None
    for r in built:
        overall = round(r.build.seconds / r.bulletins * 1000, 2)
        marginal = None
        if previous is not None:
            marginal = round((r.build.seconds - previous.build.seconds)
                             / (r.bulletins - previous.bulletins) * 1000, 2)
        rows.append(f"| {r.bulletins:,} | {overall} | {cell(marginal)} |")
        previous = r
    return "\n".join(rows)


def warm_table(results: list[Result]) -> str:
    """Cold, warm with no change and warm after one edit: wall seconds, CPU seconds (which move less with the
    machine's load) and the largest process's peak."""
    rows = ["| bulletins | cold build s | warm build s (no change) | warm build s (one edit) | cold CPU s "
            "| warm CPU s (no change) | warm CPU s (one edit) | cold peak MB | warm peak MB (no change) "
            "| warm peak MB (one edit) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        runs = (r.build, r.warm, r.warm_edit)
        values = [r.bulletins, *(getattr(t, name, None) for name in ("seconds", "cpu_seconds", "peak_mb")
                                 for t in runs)]
        rows.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(rows)


def search_table(results: list[Result]) -> str:
    rows = ["| bulletins | Pagefind s | first query KB | second query KB | Material search_index.json MB |",
            "|---:|---:|---:|---:|---:|"]
    for r in results:
        s = r.search or {}
        values = [r.bulletins, s.get("pagefind_s"), s.get("first_query_kb"), s.get("second_query_kb"),
                  s.get("material_index_mb")]
        rows.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(rows)


def notes(results: list[Result]) -> list[str]:
    lines = []
    if all(r.search_index_mb is None for r in results):
        pagefind = ", ".join(f"{cell(r.pagefind_mb)} MB at {r.bulletins:,}" for r in results)
        lines.append(f"No search/search_index.json: the site searches with Pagefind; its pagefind/ bundle is "
                     f"{pagefind}.")
    for r in results:
        if r.search and r.search.get("skipped"):
            lines.append(f"{r.bulletins:,}: query bytes not measured: {r.search['skipped']}")
        if r.code_changed:
            lines.append(f"{r.bulletins:,}: the publisher's code changed during the builds, which makes every cache "
                         f"stale: the warm figures may be cold ones; run again")
        if r.error:
            lines.append(f"{r.bulletins:,} FAILED: {r.error}")
    return lines


def report(results: list[Result], search: bool, warm: bool) -> str:
    parts = [results_table(results), linearity_table(results)]
    if warm:
        parts.append(warm_table(results))
    if search:
        parts.append(search_table(results))
    parts.append("\n".join(notes(results)))
    return "\n\n".join(part for part in parts if part)


def environment(seed: int, timeout: float) -> dict:
    return {
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": {name: metadata.version(name) for name in ("nhs-bulletin-publisher", "mkdocs", "mkdocs-material",
                                                               "pagefind")},
        "seed": seed,
        "source_date_epoch": EPOCH,
        "timeout_s": timeout,
        "units": "seconds are wall time; MB are 2**20 bytes; peak_mb is the largest process's max RSS, "
                 "tree_peak_mb the largest summed RSS of the command and its descendants (sampled every 20 ms)",
    }


def save(results: list[Result], seed: int, timeout: float) -> None:
    RESULTS.write_text(json.dumps({"environment": environment(seed, timeout),
                                   "results": [asdict(r) for r in results]}, indent=1) + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,5000", help="comma-separated bulletin counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds allowed per command")
    parser.add_argument("--search", action="store_true",
                        help="also time Pagefind alone, weigh the bytes a reader's queries download (needs Chromium) "
                             "and compare with Material's search_index.json")
    parser.add_argument("--warm", action="store_true",
                        help="after the cold build, build again into the same site with the cache present: once "
                             "with no change, once after editing one bulletin's body")
    parser.add_argument("--peer", action="store_true",
                        help="instead, compare a cold build with the peer stack (MkDocs + Material blog + "
                             "mkdocs-rss-plugin + Pagefind) on the same corpora; writes bench/out/peer.json")
    arguments = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if arguments.peer:
        from peer import compare

        sys.exit(compare([int(text) for text in arguments.sizes.split(",")], arguments.seed, arguments.timeout))
    results: list[Result] = []
    for size in (int(text) for text in arguments.sizes.split(",")):
        results.append(bench_size(size, arguments.seed, arguments.timeout, arguments.search, arguments.warm))
        save(results, arguments.seed, arguments.timeout)
    print(report(results, arguments.search, arguments.warm))
    sys.exit(1 if any(r.error for r in results) else 0)


if __name__ == "__main__":
    main()
