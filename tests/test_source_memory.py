"""`checkcache.SourceMemory`: a preview's rebuild reads again only the sources whose files changed, and loads the
same site and findings as a check with no cache at all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publisher.content import checkcache
from publisher.content.checkcache import SourceMemory
from publisher.content.validate import load_site
from sitekit import make_site
from test_check_cache import ABOUT, FILES, NOW, SECOND, THIRD, edit
from test_check_cache import own_secret  # noqa: F401 (each test's own signing key)


@pytest.fixture
def read(monkeypatch) -> list[str]:
    """The files read from disk, by name."""
    seen: list[str] = []
    real = checkcache._read

    def spy(path: Path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(checkcache, "_read", spy)
    return seen


def loaded(root: Path, memory: SourceMemory | None = None):
    site, findings = load_site(root, now=NOW, memory=memory)
    return [finding.as_text() for finding in findings.sorted()], site


def assert_as_cold(root: Path, remembered) -> None:
    shutil.rmtree(root / checkcache.CACHE_FOLDER, ignore_errors=True)
    assert remembered == loaded(root)


def test_only_changed_files_are_read_again(tmp_path, read):
    root = make_site(tmp_path, FILES)
    memory = SourceMemory()
    loaded(root, memory)
    read.clear()
    edit(root, SECOND, "## News", "## Latest news")
    (root / ABOUT).unlink()
    remembered = loaded(root, memory)
    assert read == [Path(SECOND).name]
    assert_as_cold(root, remembered)


def test_a_file_rewritten_with_the_same_bytes_is_read_but_not_checked_again(tmp_path, read, monkeypatch):
    root = make_site(tmp_path, FILES)
    memory = SourceMemory()
    loaded(root, memory)
    examined: list[str] = []
    real = checkcache._examine_many
    monkeypatch.setattr(checkcache, "_examine_many",
                        lambda examine, sources, raws, indexes: examined.extend(sources[i].rel for i in indexes)
                        or real(examine, sources, raws, indexes))
    read.clear()
    path = root / THIRD
    path.write_bytes(path.read_bytes())
    assert loaded(root, memory) == loaded(root) and read[0] == Path(THIRD).name
    assert examined == []


def test_a_taxonomy_change_forgets_every_source(tmp_path, read):
    root = make_site(tmp_path, FILES)
    memory = SourceMemory()
    loaded(root, memory)
    read.clear()
    taxonomy = root / "content/taxonomy.yml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8").replace("primary-care:", "primary-care-renamed:"),
                        encoding="utf-8")
    remembered = loaded(root, memory)
    assert any(line.startswith(SECOND) for line in remembered[0])  # its topic is no longer known
    assert len(read) == len(memory.known)
    assert_as_cold(root, remembered)
