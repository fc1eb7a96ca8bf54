"""A build or preview that reuses the last one's work (`.cache/`, pages, feeds) gives exactly what a cold one gives.

Each test edits a real site the way an editor would, builds it warm (cache and last site present), and compares
every output file with a cold build of the same files in a fresh folder.
"""

from __future__ import annotations

import logging
import pickle
import shutil
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from publisher.cache import SIGNATURE_BYTES
from sitekit import EPOCH_2026_11_01, bulletin, make_site, run_publisher
from test_build import DOCX, all_output_text, fixture_files

EDITS = {
    "body": lambda root: _replace(root / "bulletins/2021-06-01-rural.md", "Text.", "Changed text."),
    "title": lambda root: _replace(root / "bulletins/2021-06-01-rural.md", "title: Rural and coastal",
                                   "title: Rural, coastal and remote"),
    "topics": lambda root: _replace(root / "bulletins/2021-06-01-rural.md", "[rural-and-coastal]",
                                    "[rural-and-coastal, mental-health]"),
    "new bulletin": lambda root: (root / "bulletins/2022-05-05-new.md").write_text(
        bulletin("A new one", "2022-05-05", "[covid-19]", body="Links to [strategy](2014-09-02-strategy.md).\n")),
    "deleted bulletin": lambda root: (root / "bulletins/2014-09-02-strategy.md").unlink(),
    "renamed bulletin": lambda root: (root / "bulletins/2021-06-01-rural.md").rename(
        root / "bulletins/2021-06-02-rural.md"),
    "linked page moves": lambda root: _replace(root / "toolkits/dental/index.md", "title: Dental toolkit",
                                               "title: Dental practice toolkit"),
    "taxonomy label": lambda root: _replace(root / "content/taxonomy.yml", "label: London", "label: Greater London"),
    "site name": lambda root: _replace(root / "mkdocs.yml", "site_name: Test site", "site_name: Renamed site"),
    "schedule passes": lambda root: None,  # the same files, a later "now": the scheduled bulletin is published
    "download replaced": lambda root: (root / "toolkits/dental/application-form.docx").write_bytes(
        DOCX + b"0" * 5000),  # the toolkit page shows its size
}
LATER = str(int(EPOCH_2026_11_01) + 80 * 86400)  # "now" for "schedule passes"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _build(root: Path, epoch: str = EPOCH_2026_11_01) -> Path:
    result = run_publisher("build", cwd=root, env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0, result.stdout + result.stderr
    return root / "site"


def _cold_copy(root: Path, where: Path) -> Path:
    shutil.copytree(root, where, ignore=shutil.ignore_patterns(".cache", "site"))
    return where


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_warm_build_equals_a_cold_build(tmp_path, edit):
    root = make_site(tmp_path / "warm", fixture_files())
    _build(root)
    assert (root / ".cache" / "pages.pickle").is_file()  # the next build has something to reuse
    EDITS[edit](root)
    epoch = LATER if edit == "schedule passes" else EPOCH_2026_11_01
    warm = _build(root, epoch)
    cold = _build(_cold_copy(root, tmp_path / "cold"), epoch)
    assert all_output_text(warm) == all_output_text(cold)


def test_an_unchanged_site_keeps_its_search_index_and_a_changed_one_gets_a_new_one(tmp_path):
    root = make_site(tmp_path / "warm", fixture_files())
    entry = _build(root) / "pagefind" / "pagefind-entry.json"
    first = entry.stat().st_ino
    assert _build(root) and entry.stat().st_ino == first  # the same file, linked into the new site
    EDITS["body"](root)
    warm = all_output_text(_build(root))
    assert entry.stat().st_ino != first
    assert warm == all_output_text(_build(_cold_copy(root, tmp_path / "cold")))


def test_a_search_index_changed_by_hand_in_the_site_is_made_again(tmp_path):
    root = make_site(tmp_path / "warm", fixture_files())
    bundle = _build(root) / "pagefind"
    fragment = next(bundle.glob("fragment/*"))
    original = fragment.read_bytes()
    fragment.write_bytes(b"damaged")
    assert all_output_text(_build(root))[fragment.relative_to(root / "site").as_posix()] == original


def test_a_page_changed_by_hand_in_the_site_is_rendered_again(tmp_path):
    root = make_site(tmp_path / "warm", fixture_files())
    page = _build(root) / "bulletins/2021/06/01/rural/index.html"
    original = page.read_bytes()
    page.write_bytes(b"changed on the server")
    assert all_output_text(_build(root))["bulletins/2021/06/01/rural/index.html"] == original


def test_a_cache_from_elsewhere_is_not_used(tmp_path):
    """Cache files carry a digest keyed with this user's secret: one that came with the site's files is ignored,
    even when it is made for exactly these inputs and would otherwise be used."""
    root = make_site(tmp_path / "warm", fixture_files())
    _build(root)
    EDITS["title"](root)
    cache = root / ".cache" / "converted.pickle"
    made_for, conversions = pickle.loads(cache.read_bytes()[SIGNATURE_BYTES:])
    conversions["bulletins/2021-06-01-rural.md"][1].html = "<p>FORGED</p>"
    cache.write_bytes(bytes(SIGNATURE_BYTES) + pickle.dumps((made_for, conversions)))  # signed with another key
    warm = all_output_text(_build(root))
    assert not any(b"FORGED" in data for data in warm.values())
    assert warm == all_output_text(_build(_cold_copy(root, tmp_path / "cold")))


def _preview_build(root: Path, site_dir: Path, first: bool):
    """One rebuild as `mkdocs serve` does it: a fresh config, the same plugin object, the same site folder."""
    if first:  # MkDocs keeps plugin objects from config to config in the process; a new preview starts afresh
        dict(MkDocsConfig._schema)["plugins"].plugin_cache.clear()
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(site_dir))
    if first:
        config.plugins.on_startup(command="serve", dirty=False)
    mkdocs_build(config, serve_url="http://127.0.0.1:8000/")
    return config


def _preview_output(site_dir: Path) -> dict[str, bytes]:
    # Search catches up in the background in a preview, so its files are not compared, nor `_headers`, which lists
    # the ones there at the time (a preview serves no headers file).
    return {rel: data for rel, data in all_output_text(site_dir).items()
            if not rel.startswith("pagefind/") and rel != "_headers"}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_preview_rebuild_equals_a_first_preview(tmp_path, monkeypatch, edit):
    """A body edit takes the preview's shortcut (`site/changes.py`); every other edit must not."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    root = make_site(tmp_path / "warm", fixture_files())
    _preview_build(root, tmp_path / "warm-site", first=True)
    EDITS[edit](root)
    if edit == "schedule passes":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", LATER)
    _preview_build(root, tmp_path / "warm-site", first=False).plugins.on_shutdown()
    cold = _cold_copy(root, tmp_path / "cold")
    _preview_build(cold, tmp_path / "cold-site", first=True).plugins.on_shutdown()
    assert _preview_output(tmp_path / "warm-site") == _preview_output(tmp_path / "cold-site")


def test_a_preview_after_a_failed_rebuild_equals_a_first_preview(tmp_path, monkeypatch):
    """Body edits on either side of a rebuild that failed: the shortcut must compare with the last pages made."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    root = make_site(tmp_path / "warm", fixture_files())
    site_dir = tmp_path / "warm-site"
    _preview_build(root, site_dir, first=True)
    EDITS["body"](root)
    plugin = _preview_build(root, site_dir, first=False).plugins["publisher"]
    assert plugin.theme_writer.memory.changed == {"bulletins/2021-06-01-rural.md"}  # the shortcut was taken
    strategy = root / "bulletins/2014-09-02-strategy.md"
    good = strategy.read_text(encoding="utf-8")
    strategy.write_text(good.replace("title:", "title: [unclosed", 1), encoding="utf-8")
    assert _preview_build(root, site_dir, first=False).plugins["publisher"].preview_problems
    strategy.write_text(good + "\nA sentence added while it was broken.\n", encoding="utf-8")
    _replace(root / "bulletins/2021-06-01-rural.md", "Changed text.", "Changed again.")
    plugin = _preview_build(root, site_dir, first=False).plugins["publisher"]
    plugin.on_shutdown()
    assert plugin.theme_writer.memory.changed == {"bulletins/2014-09-02-strategy.md", "bulletins/2021-06-01-rural.md"}
    cold = _cold_copy(root, tmp_path / "cold")
    _preview_build(cold, tmp_path / "cold-site", first=True).plugins.on_shutdown()
    assert _preview_output(site_dir) == _preview_output(tmp_path / "cold-site")
