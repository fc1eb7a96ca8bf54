"""Run Pagefind over the built site, and make its index reproducible.

What it indexes is marked on the pages by `site/indexing.py`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cbor2

PAGEFIND_SIGNATURE = b"pagefind_dcd"


class SearchIndexFailed(Exception):
    pass


def build_index(site_dir: Path) -> None:
    """Run Pagefind over the built HTML; it writes its chunked index to site_dir/pagefind/."""
    # Pagefind also reads pagefind.yml and PAGEFIND_* settings from where it runs; a stray one must not change
    # (or break) the index, so it runs in an empty folder with only our own settings.
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}
    with tempfile.TemporaryDirectory() as empty:
        result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site_dir.resolve()), "--silent"],
                                capture_output=True, text=True, cwd=empty, env=environment)
    if result.returncode != 0:
        raise SearchIndexFailed(f"Pagefind could not index the site: {result.stderr.strip() or result.stdout.strip()}")
    stabilise_index(site_dir / "pagefind")


def _read_pagefind(path: Path) -> object:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(PAGEFIND_SIGNATURE):
        raise SearchIndexFailed(f"{path.name} is not in the Pagefind format this publisher knows")
    return cbor2.loads(raw[len(PAGEFIND_SIGNATURE):])


def _write_pagefind(folder: Path, prefix: str, stem: str, suffix: str, value: object, digits: int) -> str:
    """Write a Pagefind file named after its content, as Pagefind does, and return the new hash."""
    raw = PAGEFIND_SIGNATURE + cbor2.dumps(value)
    digest = f"{prefix}_{hashlib.sha256(raw).hexdigest()[:digits]}"
    (folder / f"{stem}{digest}{suffix}").write_bytes(gzip.compress(raw, mtime=0))
    return digest


def stabilise_index(bundle: Path) -> None:
    """Sort Pagefind's filter indexes so identical sites give identical files.

    Pagefind writes filter values and the filter list in hash-map order, which changes from run to run
    (Pagefind issue #638: fragments were made stable in 1.3, filter and meta files were not).
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, details in entry["languages"].items():
        meta_path = bundle / f"pagefind.{details['hash']}.pf_meta"
        meta = _read_pagefind(meta_path)
        if not (isinstance(meta, list) and len(meta) > 3 and all(isinstance(pair, list) and len(pair) == 2
                                                                  for pair in meta[3])):
            raise SearchIndexFailed(f"{meta_path.name} is laid out differently from Pagefind 1.3-1.5; "
                                    "check the installed Pagefind version")
        renamed = []
        for name, old_hash in sorted(meta[3]):
            filter_path = bundle / "filter" / f"{old_hash}.pf_filter"
            filter_name, values = _read_pagefind(filter_path)
            filter_path.unlink()
            new_hash = _write_pagefind(bundle / "filter", language, "", ".pf_filter",
                                       [filter_name, sorted(values)], 7)
            renamed.append([name, new_hash])
        meta[3] = renamed
        meta_path.unlink()
        details["hash"] = _write_pagefind(bundle, language, "pagefind.", ".pf_meta", meta, 10)
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
