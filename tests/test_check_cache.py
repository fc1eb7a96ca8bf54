"""The check cache (`<site>/.cache/`): a run that reuses it finds exactly what a run without it finds.

Every change here is followed by a warm run (with the cache of the run before) and a cold run (cache removed): their
findings, as text lines in order, and the sites they return must be equal. A spy on `examine` records which sources
the warm run read again, so each test also shows the cache was used, and dropped when it had to be.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from publisher.content import checkcache, validate
from publisher.content.validate import load_site
from publisher.dates import LONDON
from sitekit import EPOCH_2026_11_01, bulletin, make_site, run_publisher, taxonomy_text

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
FIRST = "bulletins/2026-01-10-first.md"
SECOND = "bulletins/2026-02-10-second.md"
THIRD = "bulletins/2026-03-10-third.md"
ABOUT = "content/about.md"
ALL = sorted([FIRST, SECOND, THIRD, ABOUT, "content/index.md"])
FILES = {
    FIRST: bulletin("First", "2026-01-10", body="## News\n\nRead [the second bulletin](2026-02-10-second.md).\n"),
    SECOND: bulletin("Second", "2026-02-10", topics="[mental-health, primary-care]",
                     body="## News\n\nSee [the first bulletin](2026-01-10-first.md) and [who we are](../content/about.md)."
                          "\n"),
    THIRD: bulletin("Third", "2026-03-10", body="## News\n\nThe XYZ panel met in March.\n"),
    ABOUT: "---\ntitle: About\n---\n\nAbout the team.\n",
}
CACHE = Path(checkcache.CACHE_FOLDER) / checkcache.CACHE_FILE


@pytest.fixture(autouse=True)
def own_secret(tmp_path, monkeypatch):
    """A key of the test's own, so no test depends on (or writes to) the user's cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def recorded_calls(monkeypatch, module, name: str) -> list[str]:
    """The `rel` of the source or item each call of `module.name` is about (its first argument), in call order."""
    seen: list[str] = []
    real = getattr(module, name)

    def spy(first, *args, **kwargs):
        seen.append(first.rel)
        return real(first, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


@pytest.fixture
def reexamined(monkeypatch) -> list[str]:
    """The sources `load_site` reads and checks again rather than taking from the cache."""
    return recorded_calls(monkeypatch, validate, "examine")


@pytest.fixture
def site(tmp_path) -> Path:
    root = make_site(tmp_path / "site", FILES)
    check(root)  # the first run fills the cache
    assert (root / CACHE).is_file()
    return root


def check(root: Path, now: datetime = NOW):
    site, findings = load_site(root, now=now)
    return [finding.as_text() for finding in findings.sorted()], site


def warm_then_cold(root: Path, seen: list[str], now: datetime = NOW) -> tuple[list[str], list[str]]:
    """The findings of a warm run, after checking that a cold run gives the same; and what the warm run re-read."""
    assert (root / CACHE).is_file()
    seen.clear()
    warm_findings, warm_site = check(root, now)
    read_again = sorted(seen)
    shutil.rmtree(root / checkcache.CACHE_FOLDER)
    cold_findings, cold_site = check(root, now)
    assert warm_findings == cold_findings
    assert warm_site == cold_site
    return warm_findings, read_again


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_unchanged_site_is_read_from_the_cache(site, reexamined):
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == []
    assert findings == [f'{THIRD}:10: warning: acronym: "XYZ" is used before it is explained; the first time, write it '
                        'out in full followed by the short form in brackets, e.g. "the full name (XYZ)", or add it to '
                        'content/acronyms.yml if every reader knows it']


def test_a_body_error_introduced_then_fixed(site, reexamined):
    edit(site, FIRST, "[the second bulletin](2026-02-10-second.md)", "[the second bulletin](2026-02-10-secnd.md) ![](x.png)")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == [FIRST]
    assert f'{FIRST}:10: error: link: links to "2026-02-10-secnd.md", which does not exist; did you mean ' \
           '"2026-02-10-second.md"?' in findings
    assert any(line.startswith(f"{FIRST}:10: error: image: this image has no alt text") for line in findings)

    edit(site, FIRST, "[the second bulletin](2026-02-10-secnd.md) ![](x.png)", "[the second bulletin](2026-02-10-second.md)")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == [FIRST]
    assert not any(line.startswith(FIRST) for line in findings)


def test_a_front_matter_change_reaches_the_sources_linking_to_it(site, reexamined):
    """SECOND links to FIRST and is not read again, but its link to a draft must now be reported."""
    edit(site, FIRST, "title: First", "title: First, now a draft\nstatus: draft")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == [FIRST]
    assert any(line.startswith(f"{SECOND}:10: error: link: links to \"2026-01-10-first.md\", which is a draft")
               for line in findings)
    site_now = check(site)[1]
    assert next(item for item in site_now.items if item.rel == FIRST).title == "First, now a draft"


def test_a_front_matter_error(site, reexamined):
    edit(site, SECOND, "topics: [mental-health, primary-care]", "topics: [mental-health, primary-cure]")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == [SECOND]
    assert any(line.startswith(f'{SECOND}:5: error: the 2nd topic: "primary-cure" is not one of the topics')
               for line in findings)


def test_renaming_a_file_breaks_the_links_to_it(site, reexamined):
    (site / FIRST).rename(site / "bulletins/2026-01-10-renamed.md")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == ["bulletins/2026-01-10-renamed.md"]
    assert any(line.startswith(f'{SECOND}:10: error: link: links to "2026-01-10-first.md", which does not exist')
               for line in findings)


def test_deleting_a_file_another_links_to(site, reexamined):
    (site / ABOUT).unlink()
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == []
    assert any(line.startswith(f'{SECOND}:10: error: link: links to "../content/about.md", which does not exist')
               for line in findings)


def test_adding_a_file_mends_a_link_to_it(site, reexamined):
    (site / ABOUT).unlink()
    assert any("about.md" in line for line in warm_then_cold(site, reexamined)[0])
    (site / ABOUT).write_text(FILES[ABOUT], encoding="utf-8")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == [ABOUT]
    assert not any("about.md" in line for line in findings)


def test_a_topic_removed_from_the_taxonomy(site, reexamined):
    (site / "content/taxonomy.yml").write_text(taxonomy_text().replace("  primary-care:", "  primary-carers:"),
                                               encoding="utf-8")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == ALL
    assert any(line.startswith(f'{SECOND}:5: error: the 2nd topic: "primary-care" is not one of the topics')
               for line in findings)


def test_an_acronym_added_to_the_acronyms_file(site, reexamined):
    (site / "content/acronyms.yml").write_text("known:\n  - XYZ\n", encoding="utf-8")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == ALL
    assert findings == []


def test_a_change_to_mkdocs_yml(site, reexamined):
    edit(site, "mkdocs.yml", "site_url: https://example.org/", "site_url: https://example.org/news/")
    edit(site, THIRD, "met in March.", "met in March; see [the about page](https://example.org/news/missing/).")
    findings, read_again = warm_then_cold(site, reexamined)
    assert read_again == ALL
    assert any(line.startswith(f'{THIRD}:10: error: link: there is no page at "https://example.org/news/missing/"')
               for line in findings)


def test_time_moves_on_without_the_cache_noticing(site, reexamined):
    """A bulletin dated after "now" is scheduled, and links to it from published pages are errors, until it is due."""
    edit(site, THIRD, "date: 2026-03-10", "date: 2026-03-10 09:00")
    check(site, now=datetime(2026, 3, 1, tzinfo=LONDON))
    edit(site, FIRST, "Read [the second bulletin](2026-02-10-second.md).", "Read [the third](2026-03-10-third.md).")
    before, read_again = warm_then_cold(site, reexamined, now=datetime(2026, 3, 1, tzinfo=LONDON))
    assert read_again == [FIRST]
    assert any(line.startswith(f"{FIRST}:10: error: link:") and "scheduled" in line for line in before)
    after, read_again = warm_then_cold(site, reexamined, now=datetime(2026, 3, 11, tzinfo=LONDON))
    assert read_again == []
    assert not any(line.startswith(f"{FIRST}:10: error") for line in after)


def test_a_damaged_cache_file_is_ignored_and_replaced(site, reexamined):
    expected = check(site)
    for damage in (b"", b"not a cache", (site / CACHE).read_bytes()[:-100], b"\0" * 32 + pickle.dumps((b"", {}))):
        (site / CACHE).write_bytes(damage)
        reexamined.clear()
        assert check(site) == expected
        assert sorted(reexamined) == ALL
        reexamined.clear()
        assert check(site) == expected
        assert reexamined == []  # rewritten, and good again


class Planted:
    """Unpickling this creates a file: what a cache file committed to a branch could do to whoever checks it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_cache_file_made_elsewhere_is_never_unpickled(site, reexamined, tmp_path):
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(Planted(marker))
    assert not marker.exists()
    pickle.loads(payload)
    assert marker.exists()  # the payload works…
    marker.unlink()
    (site / CACHE).write_bytes(os.urandom(32) + payload)
    expected = check(site)
    assert not marker.exists()  # …but is never run
    assert sorted(reexamined) == ALL
    assert expected[0] == check(site)[0]


@pytest.mark.parametrize("blocker", [checkcache.CACHE_FOLDER, str(CACHE)])
def test_a_site_that_cannot_hold_a_cache_is_still_checked(tmp_path, reexamined, blocker):
    """A regular file where the cache folder would go, or a folder where its file would, stop any cache being
    written, even for root, for whom a read-only folder is writable."""
    root = make_site(tmp_path / "site", FILES)
    (root / checkcache.CACHE_FOLDER).mkdir()
    if blocker == checkcache.CACHE_FOLDER:
        (root / blocker).rmdir()
        (root / blocker).write_text("not a folder\n")
    else:
        (root / blocker).mkdir()
    first = check(root)
    assert sorted(reexamined) == ALL
    reexamined.clear()
    assert check(root) == first
    assert sorted(reexamined) == ALL
    assert list(root.glob(f"{checkcache.CACHE_FOLDER}/.sources-*")) == []  # no temporary file left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only folder")
def test_a_read_only_site_is_still_checked(tmp_path, reexamined):
    root = make_site(tmp_path / "site", FILES)
    for folder in [root, *(path for path in root.rglob("*") if path.is_dir())]:
        folder.chmod(0o555)
    try:
        first = check(root)
        assert not (root / checkcache.CACHE_FOLDER).exists()
        assert check(root) == first
    finally:
        for folder in [root, *(path for path in root.rglob("*") if path.is_dir())]:
            folder.chmod(0o755)


def test_the_cache_is_ignored_by_git_in_the_site(site):
    subprocess.run(["git", "init", "-q"], cwd=site, check=True)
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=site, check=True,
                            capture_output=True, text=True).stdout
    assert status and ".cache" not in status


def test_runs_at_the_same_time_leave_a_usable_cache(tmp_path):
    """Each run writes a file of its own and renames it into place, so the cache is always one run's whole file."""
    root = make_site(tmp_path / "site", FILES | {f"bulletins/2026-04-{day:02d}-more.md":
                                                 bulletin("More", f"2026-04-{day:02d}") for day in range(1, 29)})
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    command = [sys.executable, "-m", "publisher", "check"]
    runs = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert len({output for output in outputs}) == 1
    assert list((root / checkcache.CACHE_FOLDER).glob(".sources-*")) == []
    again = run_publisher("check", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "user-cache")})
    assert (again.stdout, again.stderr) == outputs[0]


def test_sources_checked_in_forked_workers_give_the_same_results(site, monkeypatch):
    """Above a few hundred sources, a cold run checks them on every core; nothing may differ but the speed."""
    edit(site, FIRST, "## News", "## News\n\n#### Too deep\n\n![](missing.png) See [the first](2026-01-10-first.md).")
    shutil.rmtree(site / checkcache.CACHE_FOLDER)
    in_process = check(site)
    monkeypatch.setattr(checkcache, "PARALLEL_THRESHOLD", 2)
    shutil.rmtree(site / checkcache.CACHE_FOLDER)
    assert check(site) == in_process
    assert check(site) == in_process  # and from the cache the workers' results filled
    assert any("missing.png" in line for line in in_process[0])


def test_the_check_command_gives_the_same_report_warm_and_cold(site, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    edit(site, SECOND, "## News", "## News\n\n#### Too deep\n\nClick [here](https://example.org/).")
    warm = run_publisher("check", cwd=site, env=env)
    shutil.rmtree(site / checkcache.CACHE_FOLDER)
    cold = run_publisher("check", cwd=site, env=env)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert "skips level" in warm.stdout and '"here" says nothing' in warm.stdout
