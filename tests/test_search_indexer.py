"""Pagefind fed page by page during the build: the same index as Pagefind run over the finished site."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from publisher.outputs.search import (SearchIndexer, SearchIndexFailed, _read_pagefind, _without_pagefind_settings,
                                      search_document, stabilise_index)
from sitekit import build, make_site, run_publisher
from test_build import fixture_files


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("indexer"), fixture_files())


def cli_index(site_dir: Path) -> None:
    """Pagefind's CLI over the finished site, as builds ran it before `SearchIndexer`: the reference it must match."""
    with tempfile.TemporaryDirectory() as empty:  # Pagefind also reads settings from where it runs
        result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site_dir.resolve()), "--silent"],
                                capture_output=True, text=True, cwd=empty, env=_without_pagefind_settings())
    assert result.returncode == 0, result.stderr
    stabilise_index(site_dir / "pagefind")


def canonical(bundle: Path) -> dict:
    """The index with Pagefind's page numbers replaced by addresses: the CLI numbers pages in the order it finds
    the files, the indexer in the order the build writes them, and the numbers mean nothing else."""
    fragments = {}
    for path in (bundle / "fragment").iterdir():
        fragment = json.loads(gzip.decompress(path.read_bytes())[len(b"pagefind_dcd"):])
        fragments[path.stem] = fragment
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    languages = {}
    for language, details in entry["languages"].items():
        meta = _read_pagefind(bundle / f"pagefind.{details['hash']}.pf_meta")
        urls = [fragments[page_hash]["url"] for page_hash, _words in meta[1]]
        words: dict[str, list] = {}
        for chunk in (bundle / "index").iterdir():
            for word, pages, *rest in _read_pagefind(chunk)[0]:
                numbers = itertools.accumulate(page[0] for page in pages)  # each is the step from the one before
                words[word] = sorted([urls[number], page[1:]] for number, page in zip(numbers, pages)) + rest
        filters = {}
        for name, filter_hash in meta[3]:
            _name, values = _read_pagefind(bundle / "filter" / f"{filter_hash}.pf_filter")
            filters[name] = {value: sorted(urls[n] for n in pages) for value, pages in values}
        languages[language] = {
            "pages": {fragments[page_hash]["url"]: fragments[page_hash] for page_hash, _words in meta[1]},
            "words": words, "filters": filters, "sorts": {key: [urls[n] for n in pages] for key, pages in meta[4]},
            # Pages that tie are in page-number order, which differs; the test checks the order itself.
            "sorted": {key: sorted(urls[n] for n in pages) for key, pages in meta[4]},
            "meta_fields": meta[5], "page_count": details["page_count"],
        }
    return languages


def files(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


FOOTER_LOGO = re.compile(r'<img class="pub-footer__ogl"[^>]*>')


def test_the_index_is_the_one_pagefind_makes_of_the_finished_site(built, tmp_path):
    """Pagefind is given only what it indexes of each page (`search.search_document`). Over whole pages it would
    also take the first picture after the indexed element, the footer's licence logo, as every result's picture,
    so the reference is made from the finished pages without that logo."""
    reference = tmp_path / "site"
    shutil.copytree(built, reference, ignore=shutil.ignore_patterns("pagefind"))
    indexed = [page for page in reference.rglob("*.html") if "data-pagefind-body" in page.read_text(encoding="utf-8")]
    for page in indexed:
        html, logos = FOOTER_LOGO.subn("", page.read_text(encoding="utf-8"))
        assert logos == 1, page
        page.write_text(html, encoding="utf-8")
    cli_index(reference)  # Pagefind's CLI over every HTML file on disk
    ours, theirs = canonical(built / "pagefind"), canonical(reference / "pagefind")
    assert list(ours) == ["en-gb"]  # the language of the pages' <html lang>
    assert not any("image" in page["meta"] for page in ours["en-gb"]["pages"].values())
    assert ours["en-gb"]["pages"].keys() == theirs["en-gb"]["pages"].keys()
    assert drop_sorts(ours) == drop_sorts(theirs)
    dates = [url.split("/")[2:5] for url in ours["en-gb"]["sorts"]["date"]]
    assert len(dates) == 3 and dates == sorted(dates)


def drop_sorts(index: dict) -> dict:
    return {language: {part: value for part, value in details.items() if part != "sorts"}
            for language, details in index.items()}


def test_identical_sites_give_identical_bundles(built, tmp_path):
    again = build(tmp_path, fixture_files())
    assert files(again / "pagefind") == files(built / "pagefind")


def test_pages_without_a_search_body_are_left_out(tmp_path):
    with SearchIndexer() as indexer:
        indexer.add("/listing/", '<html lang="en-GB"><body><h1>Listing</h1><p>data-pagefind-body</p></body></html>')
        indexer.add("/about/", '<html lang="en-GB"><body><div data-pagefind-body><h1>About us</h1></div></body></html>')
        indexer.finish(tmp_path)
    pages = canonical(tmp_path / "pagefind")["en-gb"]["pages"]
    assert list(pages) == ["/about/"] and pages["/about/"]["meta"]["title"] == "About us"


# Failures --------------------------------------------------------------------------------------------------------


def children() -> list[int]:
    """Processes this test process started that are still running (or not yet reaped)."""
    mine = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            mine.append(int(stat.parent.name))
    return mine


def pagefind_children() -> list[int]:
    return [pid for pid in children() if b"--service" in Path(f"/proc/{pid}/cmdline").read_bytes()]


PAGE = '<html lang="en-GB"><body><div data-pagefind-body><h1>Page {n}</h1><p>Words {n}.</p></div></body></html>'


def test_a_pagefind_that_dies_is_reported_and_nothing_is_left_running(tmp_path):
    indexer = SearchIndexer()
    indexer.add("/one/", PAGE.format(n=1))
    deadline = time.monotonic() + 30
    while not pagefind_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    [service] = pagefind_children()
    os.kill(service, signal.SIGKILL)
    for n in range(2, 50):
        indexer.add(f"/{n}/", PAGE.format(n=n))
    with pytest.raises(SearchIndexFailed, match="^Pagefind could not index the site: Pagefind stopped unexpectedly"):
        indexer.finish(tmp_path)
    assert pagefind_children() == []
    assert not (tmp_path / "pagefind").exists()


def test_closing_without_finishing_stops_pagefind_and_writes_nothing(tmp_path):
    with SearchIndexer() as indexer:
        indexer.add("/one/", PAGE.format(n=1))
    assert pagefind_children() == []
    assert not (tmp_path / "pagefind").exists()


def failing_pagefind(folder: Path) -> Path:
    """A Pagefind that fails as the real one does: its reason on stderr, exit status 1."""
    program = folder / "pagefind"
    program.write_text("#!/bin/sh\necho 'Error: could not start the index' >&2\nexit 1\n")
    program.chmod(0o755)
    return program


def test_a_failing_build_names_pagefinds_reason_and_leaves_no_process(tmp_path):
    root = make_site(tmp_path / "site", fixture_files())
    result = run_publisher("build", cwd=root, env={"PAGEFIND_BINARY_PATH": str(failing_pagefind(tmp_path))})
    assert result.returncode != 0
    assert "Pagefind could not index the site: Error: could not start the index" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (root / "site").exists()


def test_a_missing_pagefind_is_reported_plainly(tmp_path):
    os.environ["PAGEFIND_BINARY_PATH"] = str(tmp_path / "nowhere" / "pagefind")
    try:
        with pytest.raises(SearchIndexFailed, match="^Pagefind could not index the site: "):
            with SearchIndexer() as indexer:
                indexer.add("/one/", PAGE.format(n=1))
                indexer.finish(tmp_path)
    finally:
        del os.environ["PAGEFIND_BINARY_PATH"]
    assert pagefind_children() == []


def test_pagefind_is_given_the_language_and_the_indexed_element_only(built):
    page = (built / "bulletins/2022/02/02/key-messages/index.html").read_bytes()
    document = search_document(page)
    start = page.index(b"<div data-pagefind-body>")
    assert document.startswith(b'<html lang="en-GB"><body><div data-pagefind-body>')
    assert document.endswith(b"</div></body></html>") and len(document) < len(page) - start
    assert b"pub-footer" not in document and b"<nav class=\"pub-breadcrumbs\"" not in document
    assert document[len(b'<html lang="en-GB"><body>'):-len(b"</body></html>")] in page


@pytest.mark.parametrize("page", [
    b'<html lang="en-GB"><body><main data-pagefind-body>Hello</main></body></html>',  # not laid out by `searchable`
    b"<html><body><div data-pagefind-body>Hello</div><!-- end of the search body --></body></html>",  # no language
    b'<html lang="en-GB"><body><div data-pagefind-body>Hello</div></body></html>',  # no end marker
])
def test_a_page_laid_out_otherwise_is_given_whole(page):
    assert search_document(page) == page
