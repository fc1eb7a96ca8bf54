"""Scheduled bulletins: what `check` tells the editor, and what `due` tells people and schedulers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from browser_support import serve
from sitekit import bulletin, make_site, run_publisher


def epoch(iso: str) -> str:
    return str(int(datetime.fromisoformat(iso).timestamp()))


def site_with(tmp_path: Path, *sources: tuple[str, str, str]) -> Path:
    """Bulletins given as (file name, date as written, extra front matter)."""
    files = {f"bulletins/{name}": bulletin(f"Bulletin {name[:10]}", f"'{day}'", extra=extra)
             for name, day, extra in sources}
    files["bulletins/2022-02-02-published.md"] = bulletin("Published", "2022-02-02")
    return make_site(tmp_path, files)


def due(root: Path, *args: str, now: str = "2026-11-01T00:00:00+00:00"):
    result = run_publisher("due", *args, cwd=root, env={"SOURCE_DATE_EPOCH": epoch(now)})
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_check_prints_one_info_line_per_scheduled_bulletin_without_failing(tmp_path):
    root = site_with(tmp_path, ("2026-12-01-later.md", "2026-12-01 09:30", ""),
                     ("2026-11-20-sooner.md", "2026-11-20 14:00", ""),
                     ("2026-11-25-draft.md", "2026-11-25", "status: draft\n"))
    result = run_publisher("check", "--strict", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    info = [line for line in result.stdout.splitlines() if ": info: " in line]
    assert info == [
        "bulletins/2026-11-20-sooner.md:3: info: date: scheduled; publishes Fri 20 Nov 2026 14:00 (Europe/London)",
        "bulletins/2026-12-01-later.md:3: info: date: scheduled; publishes Tue 1 Dec 2026 09:30 (Europe/London)",
    ]
    github = run_publisher("check", "--format", "github", cwd=root)
    assert "::notice file=bulletins/2026-12-01-later.md,line=3::date: scheduled" in github.stdout


def test_due_lists_scheduled_bulletins_soonest_first_in_london_and_utc(tmp_path):
    root = site_with(tmp_path, ("2026-12-01-later.md", "2026-12-01 09:30", ""),
                     ("2026-11-20-sooner.md", "2026-11-20 14:00", ""),
                     ("2026-11-25-draft.md", "2026-11-25", "status: draft\n"))
    result = due(root)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "bulletins/2026-11-20-sooner.md  /bulletins/2026/11/20/sooner/  Fri 20 Nov 2026 14:00 (Europe/London)  "
        "2026-11-20 14:00 UTC",
        "bulletins/2026-12-01-later.md  /bulletins/2026/12/01/later/  Tue 1 Dec 2026 09:30 (Europe/London)  "
        "2026-12-01 09:30 UTC",
    ]
    listed = json.loads(due(root, "--json").stdout)
    assert [entry["path"] for entry in listed] == ["bulletins/2026-11-20-sooner.md", "bulletins/2026-12-01-later.md"]
    assert listed[0]["london"] == "2026-11-20T14:00:00+00:00"
    assert listed[1]["utc"] == "2026-12-01T09:30:00+00:00"


@pytest.mark.parametrize("written, utc", [
    # The last Sunday of March 2027: 01:30 does not exist in London (clocks jump from 01:00 to 02:00), so it
    # means 01:30 GMT. The last Sunday of October: 01:30 happens twice, and the first (BST, 00:30 UTC) counts.
    ("2027-03-28 01:30", "2027-03-28T01:30:00+00:00"),
    ("2027-10-31 01:30", "2027-10-31T00:30:00+00:00"),
    ("2027-06-15 09:30", "2027-06-15T08:30:00+00:00"),
    ("2027-01-15 09:30", "2027-01-15T09:30:00+00:00"),
])
def test_due_since_across_the_clock_changes(tmp_path, written, utc):
    name = f"{written[:10]}-edge.md"
    root = site_with(tmp_path, (name, written, ""))
    moment = datetime.fromisoformat(utc)
    before, after = moment.timestamp() - 60, moment.timestamp() + 60
    as_iso = lambda seconds: datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat()  # noqa: E731
    became = due(root, "--since", str(int(before)), now=as_iso(after))
    assert became.returncode == 0, became.stdout + became.stderr
    assert became.stdout.startswith(f"bulletins/{name}")
    assert due(root, "--since", str(int(before)), now=as_iso(before + 30)).returncode == 1  # not yet
    assert due(root, "--since", as_iso(after), now=as_iso(after + 60)).returncode == 1  # already published


def test_a_bulletin_due_exactly_at_since_was_published_by_that_build(tmp_path):
    root = site_with(tmp_path, ("2026-12-01-exact.md", "2026-12-01 09:30", ""))
    assert due(root, "--since", "2026-12-01T09:30:00+00:00", now="2026-12-01T10:00:00+00:00").returncode == 1
    assert due(root, "--since", "2026-12-01T09:29:59+00:00", now="2026-12-01T10:00:00+00:00").returncode == 0
    assert due(root, "--since", "2026-12-01 09:29", now="2026-12-01T09:30:00+00:00").returncode == 0  # now == date


def test_drafts_are_never_due(tmp_path):
    root = site_with(tmp_path, ("2026-12-01-draft.md", "2026-12-01 09:30", "status: draft\n"))
    assert due(root, "--since", "2026-11-30T00:00:00Z", now="2026-12-02T00:00:00+00:00").returncode == 1
    assert due(root).stdout == ""


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "99999999999999999999", ""])
def test_due_bad_since_exits_2_with_a_clear_message(tmp_path, since):
    root = site_with(tmp_path)
    result = due(root, "--since", since)
    assert result.returncode == 2
    assert "is not a time; give an ISO 8601 time" in result.stderr


def test_due_with_content_errors_exits_2_and_lists_them(tmp_path):
    root = make_site(tmp_path, {"bulletins/2026-12-01-broken.md": "---\ntitle: Broken\n---\n\nText.\n"})
    result = due(root, "--since", "2026-11-01T00:00:00Z")
    assert result.returncode == 2
    assert "bulletins/2026-12-01-broken.md:1: error: date: this field is required" in result.stdout


def serve_manifest(folder: Path, built: str, commit: str | None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({"pages": [], "built": built, "commit": commit}))
    return serve(folder)


def test_due_since_live_reads_the_live_manifest(tmp_path):
    from test_deploy import git, source_repo

    root, _remote = source_repo(tmp_path, {"bulletins/2026-12-01-later.md": bulletin("Later", "'2026-12-01 09:30'")})
    head = git(root, "rev-parse", "HEAD").strip()

    def live(built: str, commit: str | None, now: str):
        with serve_manifest(tmp_path / f"live-{built[:13]}-{commit}", built, commit) as base:
            result = run_publisher("due", "--since-live", cwd=root,
                                   env={"SITE_URL": base + "/", "SOURCE_DATE_EPOCH": epoch(now)})
        assert "Traceback" not in result.stderr
        return result

    became = live("2026-12-01T09:00:00+00:00", head, now="2026-12-01T09:45:00+00:00")
    assert became.returncode == 0 and became.stdout.startswith("bulletins/2026-12-01-later.md"), became.stderr
    assert live("2026-12-01T09:31:00+00:00", head, now="2026-12-01T09:45:00+00:00").returncode == 1
    other = live("2026-12-01T09:31:00+00:00", "0" * 40, now="2026-12-01T09:45:00+00:00")
    assert other.returncode == 0 and f"this checkout is {head}; publish" in other.stderr
    unreachable = run_publisher("due", "--since-live", cwd=root, env={"SITE_URL": "http://127.0.0.1:9/"})
    assert unreachable.returncode == 0
    assert "could not read when the live site was built from http://127.0.0.1:9/manifest.json" in unreachable.stderr
