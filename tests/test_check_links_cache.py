"""The link cache (`<site>/.cache/links.pickle`): a run that reuses where links were found to lead reports exactly
what a run without any cache reports, whatever changed on the other end of a link.

Each change is followed by a warm run and a cold run (cache folder removed); their findings and the sites they return
must be equal. A spy on `bodycheck.check_addresses` records whose links the warm run resolved again, to show the
cache was used where it could be and dropped where it had to be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publisher.content import bodycheck, checkcache, links, linkcache
from sitekit import bulletin, make_site, run_publisher
from test_check_cache import check, edit, recorded_calls, warm_then_cold
from test_check_cache import own_secret  # noqa: F401 (each test's own signing key)

FIRST = "bulletins/2026-01-10-first.md"
SECOND = "bulletins/2026-02-10-second.md"
THIRD = "bulletins/2026-03-10-third.md"
ABOUT = "content/about.md"
LEAFLET = "bulletins/leaflet.pdf"
ITEMS = sorted([FIRST, SECOND, THIRD, ABOUT, "content/index.md"])
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
FILES: dict[str, str | bytes] = {
    FIRST: bulletin("First", "2026-01-10", body=(
        "## News\n\n"
        "Read [the second bulletin](2026-02-10-second.md).\n\n"
        "Or [the same by its address](/bulletins/2026/02/10/second/).\n\n"
        "Download [the leaflet (PDF, 2 KB)](leaflet.pdf).\n\n"
        "Or [the leaflet by its address (PDF, 2 KB)](/bulletins/files/leaflet.pdf).\n")),
    SECOND: bulletin("Second", "2026-02-10", body="## News\n\nSee [who we are](../content/about.md).\n"),
    THIRD: bulletin("Third", "2026-03-10", body="## News\n\nNothing new.\n"),
    ABOUT: "---\ntitle: About\n---\n\nAbout the team.\n",
    LEAFLET: PDF,
}
LINKS_CACHE = Path(checkcache.CACHE_FOLDER) / linkcache.CACHE_FILE


@pytest.fixture
def resolved(monkeypatch) -> list[str]:
    """The sources whose links `load_site` resolves again rather than taking from the cache."""
    return recorded_calls(monkeypatch, bodycheck, "check_addresses")


@pytest.fixture
def site(tmp_path) -> Path:
    root = make_site(tmp_path / "site", FILES)
    check(root)  # the first run fills the caches
    assert (root / LINKS_CACHE).is_file()
    return root


def leaflet_used(root: Path) -> bool:
    return [attachment.rel for attachment in check(root)[1].attachments] == [LEAFLET]


def test_an_unchanged_site_resolves_no_link_again(site, resolved):
    findings, again = warm_then_cold(site, resolved)
    assert (findings, again) == ([], [])
    assert leaflet_used(site)  # found by links that were not resolved again


def test_an_edited_body_resolves_only_its_own_links(site, resolved):
    edit(site, THIRD, "Nothing new.", "See [the missing page](/bulletins/2026/01/11/missing/).")
    findings, again = warm_then_cold(site, resolved)
    assert again == [THIRD]
    assert any(line.startswith(f'{THIRD}:10: error: link: there is no page at "/bulletins/2026/01/11/missing/"')
               for line in findings)


def test_an_attachment_deleted_then_restored(site, resolved):
    """Only FIRST links to the leaflet; it is unchanged, but what it asked of the disk is answered differently."""
    (site / LEAFLET).unlink()
    findings, again = warm_then_cold(site, resolved)
    assert again == [FIRST]
    assert f'{FIRST}:14: error: link: the file "leaflet.pdf" does not exist; check the name and the folder (links ' \
           'are relative to bulletins/)' in findings
    assert any(line.startswith(f'{FIRST}:16: error: link: there is no page at "/bulletins/files/leaflet.pdf"')
               for line in findings)
    assert check(site)[1].attachments == []

    (site / LEAFLET).write_bytes(PDF)
    findings, again = warm_then_cold(site, resolved)
    assert (findings, again) == ([], [FIRST])
    assert leaflet_used(site)


def test_an_attachment_replaced_by_a_symbolic_link(site, resolved):
    (site / "bulletins/other.pdf").write_bytes(PDF)
    (site / LEAFLET).unlink()
    (site / LEAFLET).symlink_to("other.pdf")
    findings, again = warm_then_cold(site, resolved)
    assert again == [FIRST]
    assert any(line.startswith(f'{FIRST}:14: error: link: "leaflet.pdf" is a link (bulletins/leaflet.pdf)')
               for line in findings)


def test_an_attachment_replaced_by_a_folder(site, resolved):
    (site / LEAFLET).unlink()
    (site / LEAFLET).mkdir()
    findings, again = warm_then_cold(site, resolved)
    assert again == [FIRST]
    assert any(line.startswith(f'{FIRST}:14: error: link: the file "leaflet.pdf" does not exist') for line in findings)


def delete(root: Path) -> None:
    (root / SECOND).unlink()


def rename(root: Path) -> None:
    (root / SECOND).rename(root / "bulletins/2026-02-10-second-edition.md")


def make_draft(root: Path) -> None:
    edit(root, SECOND, "title: Second", "title: Second\nstatus: draft")


def move_date(root: Path) -> None:
    edit(root, SECOND, "date: 2026-02-10", "date: 2026-02-11")


def break_front_matter(root: Path) -> None:
    edit(root, SECOND, "title: Second", "title: [Second")


@pytest.mark.parametrize("change, expected", [
    (delete, f'{FIRST}:10: error: link: links to "2026-02-10-second.md", which does not exist'),
    (rename, f'{FIRST}:10: error: link: links to "2026-02-10-second.md", which does not exist; did you mean'),
    (make_draft, f'{FIRST}:10: error: link: links to "2026-02-10-second.md", which is a draft bulletin'),
    (move_date, f'{FIRST}:12: error: link: there is no page at "/bulletins/2026/02/10/second/"'),
    (break_front_matter, f"{SECOND}:3: error: front matter: YAML syntax error"),  # links to it: no error
], ids=["deleted", "renamed", "draft", "new-address", "failed"])
def test_a_change_at_the_other_end_of_a_link(site, resolved, change, expected):
    change(site)
    findings, again = warm_then_cold(site, resolved)
    assert FIRST in again  # the site's shape changed, so every source's links were resolved again
    assert any(line.startswith(expected) for line in findings), findings
    if change is break_front_matter:  # a source whose own errors are reported is not reported again by links
        assert not any(" error: link:" in line for line in findings)


def test_a_suggestion_freed_by_a_fix_elsewhere_reaches_an_unchanged_source(site, resolved, monkeypatch):
    """"Did you mean" is rationed across a run: when FIRST no longer needs the only suggestion, THIRD, unchanged,
    gets it. A source that needed one is never taken from the cache, so the warm run sees this too."""
    monkeypatch.setattr(links, "MAX_SUGGESTIONS", 1)
    edit(site, FIRST, "(2026-02-10-second.md)", "(2026-02-10-secnd.md)")
    edit(site, THIRD, "Nothing new.", "See [the first](2026-01-10-frist.md).")
    findings, again = warm_then_cold(site, resolved)
    assert again == [FIRST, THIRD]
    assert any(line.startswith(f"{FIRST}:10: error: link:") and "did you mean" in line for line in findings)
    assert any(line.startswith(f"{THIRD}:10: error: link:") and "did you mean" not in line for line in findings)

    edit(site, FIRST, "(2026-02-10-secnd.md)", "(2026-02-10-second.md)")
    findings, again = warm_then_cold(site, resolved)
    assert again == [FIRST, THIRD]
    assert any(line.startswith(f'{THIRD}:10: error: link:') and 'did you mean "2026-01-10-first.md"' in line
               for line in findings)
    assert not any(line.startswith(f"{FIRST}:") for line in findings)


def test_a_damaged_links_cache_is_ignored_and_replaced(site, resolved):
    for damage in (b"", b"not a cache", (site / LINKS_CACHE).read_bytes()[:-10]):
        (site / LINKS_CACHE).write_bytes(damage)
        resolved.clear()
        assert check(site)[0] == []
        assert sorted(resolved) == ITEMS
        resolved.clear()
        assert check(site)[0] == []
        assert resolved == []
    assert leaflet_used(site)


def test_the_check_command_reports_a_deleted_attachment_warm_as_cold(site, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    run_publisher("check", cwd=site, env=env)
    (site / LEAFLET).unlink()
    warm = run_publisher("check", cwd=site, env=env)
    shutil.rmtree(site / checkcache.CACHE_FOLDER)
    cold = run_publisher("check", cwd=site, env=env)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert 'the file "leaflet.pdf" does not exist' in warm.stdout
