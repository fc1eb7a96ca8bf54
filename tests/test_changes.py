"""`site/changes.py`: between two loads of a site, which sources' bodies alone changed, or that more did.

A preview trusts this to leave pages alone, so every kind of edit in `test_reuse.EDITS` is tried: only a body
edit may give sources, and only the edited ones. `test_reuse` checks the pages a preview then makes.
"""

from __future__ import annotations

import pytest

from publisher.content.validate import load_site
from publisher.site.changes import Loaded, bodies_changed
from sitekit import EPOCH_2026_11_01, make_site
from test_build import fixture_files
from test_reuse import EDITS, LATER

RURAL = "bulletins/2021-06-01-rural.md"


def loaded(root) -> Loaded:
    site, findings = load_site(root)
    assert site is not None and not findings.has_errors(), findings.sorted()
    return Loaded.of(site)


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    return make_site(tmp_path, fixture_files())


def test_nothing_changed_gives_no_sources(root):
    assert bodies_changed(loaded(root), loaded(root)) == frozenset()


def test_a_body_edit_gives_that_source(root):
    before = loaded(root)
    EDITS["body"](root)
    assert bodies_changed(before, loaded(root)) == {RURAL}


# mkdocs.yml is not part of the site model: a change to it changes every page's key through `reuse.theme_key`,
# and the preview then takes no shortcut (`test_reuse` checks that edit too).
@pytest.mark.parametrize("edit", [name for name in EDITS if name not in ("body", "site name")])
def test_any_other_edit_gives_none(root, monkeypatch, edit):
    before = loaded(root)
    EDITS[edit](root)
    if edit == "schedule passes":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", LATER)
    assert bodies_changed(before, loaded(root)) is None


def test_a_body_edit_beside_a_front_matter_edit_gives_none(root):
    before = loaded(root)
    EDITS["body"](root)
    EDITS["linked page moves"](root)
    assert bodies_changed(before, loaded(root)) is None
