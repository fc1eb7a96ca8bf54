"""Time `publisher check` cold, warm, and warm after a few edits, on scratch copies of seeded corpora.

Usage: python bench/check_speed.py [--sizes 1000,10000] [--seed 1] [--repeat 3] [--timeout 1200]

For each size the corpus (bench/out/corpus-<size>-seed<seed>/, generated if needed) is copied to a scratch folder,
without its .cache, and checked:

- cold: with the cache folder removed before every run;
- warm: again, nothing changed since the run before;
- 3 edits: after a body text change in two bulletins and a title change in a third (new edits for every run).

Each cell is the median of --repeat runs: wall seconds, and the peak memory of the largest process. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from measure import CommandFailed, Timing  # noqa: E402
from run import OUT, PUBLISHER, log, run_measured, scratch_corpus  # noqa: E402

CACHE_FOLDER = ".cache"  # publisher.content.checkcache.CACHE_FOLDER, not imported so the bench never loads it


def edit_three(site: Path, round_number: int) -> None:
    """Two body text changes and one title change, different every round, so each warm run has work to do."""
    bulletins = sorted((site / "bulletins").glob("*.md"))
    for path in (bulletins[len(bulletins) // 3], bulletins[2 * len(bulletins) // 3]):
        with path.open("a", encoding="utf-8") as text:
            text.write(f"\nA note added in round {round_number} of the benchmark.\n")
    titled = bulletins[len(bulletins) // 2]
    lines = titled.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("title: "))
    lines[index] = lines[index].split(" (revised", 1)[0] + f" (revised {round_number})"
    titled.write_text("\n".join(lines), encoding="utf-8")


def median(timings: list[Timing]) -> Timing:
    return Timing(round(statistics.median(t.seconds for t in timings), 2),
                  round(statistics.median(t.peak_mb for t in timings), 1))


def measure_size(size: int, seed: int, repeat: int, timeout: float) -> dict[str, Timing]:
    check = PUBLISHER + ["check"]
    with tempfile.TemporaryDirectory(prefix="check-speed-", dir=OUT) as scratch:
        site = scratch_corpus(size, seed, Path(scratch))
        runs: dict[str, list[Timing]] = {"cold": [], "warm": [], "3 edits": []}
        for round_number in range(1, repeat + 1):
            log(f"{size:,}: round {round_number} of {repeat}")
            shutil.rmtree(site / CACHE_FOLDER, ignore_errors=True)
            runs["cold"].append(run_measured(check, site, timeout))
            runs["warm"].append(run_measured(check, site, timeout))
            edit_three(site, round_number)
            runs["3 edits"].append(run_measured(check, site, timeout))
    return {name: median(timings) for name, timings in runs.items()}


def table(results: dict[int, dict[str, Timing]]) -> str:
    rows = ["| bulletins | cold s | warm s (no change) | warm s (3 edits) | cold peak MB | warm peak MB "
            "| 3 edits peak MB |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for size, cells in results.items():
        seconds = [cells[name].seconds for name in ("cold", "warm", "3 edits")]
        peaks = [cells[name].peak_mb for name in ("cold", "warm", "3 edits")]
        rows.append(f"| {size:,} | " + " | ".join(str(value) for value in seconds + peaks) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated bulletin counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind; the median is shown")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds allowed per command")
    arguments = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, Timing]] = {}
    try:
        for size in (int(text) for text in arguments.sizes.split(",")):
            results[size] = measure_size(size, arguments.seed, arguments.repeat, arguments.timeout)
    except CommandFailed as exc:
        print(table(results))
        sys.exit(f"failed: {exc}")
    print(table(results))


if __name__ == "__main__":
    main()
