"""First-view weight of each page type: what a browser transfers, gzipped as a host serves it.

    .venv/bin/python bench/page_weight.py                 # 5,000 bulletins (the issue's target: a bulletin <= 60 KB)
    .venv/bin/python bench/page_weight.py --bulletins 200

Generates (or reuses) the corpus in bench/out/corpus-<N>-seed1/, builds it, serves it on 127.0.0.1 and opens each
page type once in headless Chromium, recording every response. Prints a Markdown table and saves
bench/out/page_weight-<N>.json. The budget test at the shipped size is tests/test_readers.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from browser_support import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402
from corpus import generate, is_current  # noqa: E402

EPOCH = "1793491200"
BUDGET = 60 * 1024


def build(corpus: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "publisher", "build", "--site-dir", str(out)], cwd=corpus, check=True,
                   env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH}, capture_output=True, timeout=3600)


def page_urls(site: Path) -> dict[str, str]:
    pages = json.loads((site / "manifest.json").read_text())["pages"]
    first = {}
    for page in pages:
        first.setdefault(page["kind"], page["url"])
    return first


def weigh(site: Path) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    results = {}
    with serve(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for kind, url in page_urls(site).items():
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            sizes: dict[str, int] = {}
            page.on("response", lambda r: r.status == 200 and sizes.__setitem__(
                r.url.replace(base, ""), len(gzip.compress(r.body(), mtime=0))))
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            context.close()
            results[kind] = {"url": url, "total": sum(sizes.values()), "files": sizes}
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulletins", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    corpus = HERE / "out" / f"corpus-{args.bulletins}-seed{args.seed}"
    if not is_current(corpus, args.bulletins, args.seed):
        generate(corpus, args.bulletins, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        build(corpus, site)
        results = weigh(site)
    print(f"\nFirst view at {args.bulletins:,} bulletins (gzipped bytes)\n")
    print("| page type | requests | KB | budget |\n| --- | --- | --- | --- |")
    for kind, result in results.items():
        mark = ("ok" if result["total"] <= BUDGET else "OVER") if kind == "bulletin" else ""
        print(f"| {kind} | {len(result['files'])} | {result['total'] / 1024:.1f} | {mark} |")
    target = HERE / "out" / f"page_weight-{args.bulletins}.json"
    target.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
