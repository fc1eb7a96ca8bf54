"""`mkdocs serve` keeps its folder between rebuilds: unchanged pages stay as they were, and nothing stale is left.

Rebuilds run in-process as `mkdocs serve` runs them (`test_reuse._preview_build`); `test_reuse` also checks that a
rebuilt preview equals a first one after several kinds of edit.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from publisher.outputs.preview_folder import MARKER
from sitekit import EPOCH_2026_11_01, make_site
from test_build import fixture_files
from test_reuse import EDITS, _preview_build

EDITED = "bulletins/2021/06/01/rural/index.html"
UNRELATED = "bulletins/2014/09/02/strategy/index.html"
UNTOUCHED = "toolkits/dental/index.html"  # shows nothing of the edited bulletin
DOWNLOAD = "toolkits/dental/application-form.docx"


@pytest.fixture
def preview(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    root = make_site(tmp_path / "site", fixture_files())
    site_dir = tmp_path / "preview"
    configs = [_preview_build(root, site_dir, first=True)]

    def rebuild():
        configs.append(_preview_build(root, site_dir, first=False))
        return configs[-1].plugins["publisher"]

    yield root, site_dir, rebuild
    configs[-1].plugins.on_shutdown()


def _stat(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_ino, found.st_mtime_ns


def test_a_rebuild_rewrites_the_edited_page_and_leaves_the_others(preview):
    root, site_dir, rebuild = preview
    untouched, edited = _stat(site_dir / UNTOUCHED), _stat(site_dir / EDITED)
    EDITS["body"](root)
    rebuild()
    assert _stat(site_dir / UNTOUCHED) == untouched
    assert _stat(site_dir / EDITED) != edited
    assert "Changed text." in (site_dir / EDITED).read_text(encoding="utf-8")


def test_a_deleted_bulletin_leaves_no_page_or_empty_folder(preview):
    root, site_dir, rebuild = preview
    assert (site_dir / UNRELATED).is_file()
    EDITS["deleted bulletin"](root)
    rebuild()
    _wait_for_sweep(site_dir)  # stale files go in the background, after the browser has reloaded
    assert not (site_dir / UNRELATED).exists()
    assert not (site_dir / UNRELATED).parent.exists()
    assert not any(path.is_dir() and not any(path.iterdir()) for path in site_dir.rglob("*"))


def test_a_page_changed_in_the_preview_folder_is_written_again(preview):
    root, site_dir, rebuild = preview
    page = site_dir / UNRELATED
    original = page.read_bytes()
    page.write_bytes(b"changed by hand")
    rebuild()
    assert page.read_bytes() == original


def test_copied_files_stay_unless_their_source_or_copy_changed(preview):
    root, site_dir, rebuild = preview
    stylesheet = next(site_dir.glob("assets/stylesheets/main.*.css"))
    download, removed = site_dir / DOWNLOAD, stylesheet.with_name("palette-removed-by-hand.css")
    before = _stat(stylesheet)
    (root / DOWNLOAD).write_bytes(b"PK\x03\x04 a new version of the form")
    palette = next(site_dir.glob("assets/stylesheets/palette.*.css"))
    palette.rename(removed)
    rebuild()
    _wait_for_sweep(site_dir)
    assert _stat(stylesheet) == before  # not copied again
    assert download.read_bytes() == b"PK\x03\x04 a new version of the form"
    assert palette.is_file() and not removed.exists()  # copied again; the stray file swept


def test_nothing_is_left_beside_the_preview_folder_after_shutdown(tmp_path, preview):
    root, site_dir, rebuild = preview
    EDITS["title"](root)
    rebuild()
    _wait_for_sweep(site_dir)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["preview", "site"]


def test_search_catches_up_with_the_rebuilt_pages(preview):
    root, site_dir, rebuild = preview
    EDITS["new bulletin"](root)
    rebuild()
    searchable = sum("data-pagefind-body" in path.read_text(encoding="utf-8") for path in site_dir.rglob("*.html"))
    assert searchable >= 5  # the bulletins, toolkit and entry pages
    assert _indexed_pages(site_dir) == searchable


def test_a_save_that_changes_no_searchable_page_keeps_the_search_index(preview):
    root, site_dir, rebuild = preview
    assert _indexed_pages(site_dir)
    entry = site_dir / "pagefind" / "pagefind-entry.json"
    made = entry.stat().st_ino
    source = root / "bulletins/2021-06-01-rural.md"
    source.write_bytes(source.read_bytes())  # an editor's autosave
    plugin = rebuild()
    assert plugin.search.background is None  # Pagefind was not started again
    assert entry.stat().st_ino == made
    EDITS["body"](root)
    assert rebuild().search.background is not None


def _indexed_pages(site_dir: Path, patience: float = 120.0) -> int | None:
    """The page count of the preview's search index once it matches the pages, or the last one seen."""
    entry, count, deadline = site_dir / "pagefind" / "pagefind-entry.json", None, time.monotonic() + patience
    while time.monotonic() < deadline:
        try:
            count = sum(language["page_count"] for language in json.loads(entry.read_text())["languages"].values())
        except (OSError, ValueError):
            count = None
        if count is not None and not (site_dir / MARKER).exists():
            pages = sum("data-pagefind-body" in path.read_text(encoding="utf-8")
                        for path in site_dir.rglob("*.html"))
            if count == pages:
                return count
        time.sleep(0.2)
    return count


def _wait_for_sweep(site_dir: Path, patience: float = 30.0) -> None:
    deadline = time.monotonic() + patience
    while (site_dir / MARKER).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
