"""Never break a link: withdraw, move and redirect, with `check --against` guarding every published address.

Every test builds or checks a real site in a temporary folder and runs the real `publisher` command.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml
from lxml import html as lxml_html

from browser_support import serve
from sitekit import ROOT, build, bulletin, make_site, run_publisher, toolkit

SITE = "https://example.org"
OLD = "/bulletins/2022/06/15/rural-and-coastal-programme/"
NEW = "/bulletins/2022/06/16/rural-and-coastal-programme/"
WITHDRAWN = "/bulletins/2023/01/10/old-guidance/"
REASON = "Replaced by [the new guidance](2023-02-01-new-guidance.md), which covers *all* regions."


def base_files() -> dict[str, str | bytes]:
    return {
        "bulletins/2022-06-15-rural-and-coastal-programme.md": bulletin(
            "Rural and coastal programme", "2022-06-15", "[rural-and-coastal]"),
        "bulletins/2023-01-10-old-guidance.md": bulletin("Old guidance", "2023-01-10", "[mental-health]"),
        "bulletins/2023-02-01-new-guidance.md": bulletin("New guidance", "2023-02-01", "[mental-health]"),
        "toolkits/dental/index.md": toolkit("published: 2026-05-01\nchanges:\n"
                                            "  - {date: 2026-07-01, note: Added the consent form.}\n"),
        "toolkits/dental/application-form.docx": (ROOT / "toolkits/dental").glob("*.docx").__next__().read_bytes(),
        "content/directory/mentoring-scheme.md": entry("Mentoring scheme", "published: 2026-03-01\n"),
        "content/about.md": "---\ntitle: About us\n---\n\nWho we are.\n",
        "content/subscribe.md": "---\ntitle: Subscribe\n---\n\nFeeds explained.\n",
    }


def entry(title: str, extra: str = "") -> str:
    return (f"---\ntitle: {title}\norganisation: A trust\nsummary: What {title} does.\nregion: london\n"
            "topics: [mental-health]\napproaches: [mentoring]\naudiences: [school-pupils]\nevidence: emerging\n"
            f"started: 2019\n{extra}---\n\n## What was done\n\nMentoring.\n")


def withdrawn_extra(day: str = "2023-04-03", reason: str = REASON) -> str:
    return f"status: withdrawn\nwithdrawn:\n  date: {day}\n  reason: \"{reason}\"\n"


def check(root: Path, *args: str):
    return run_publisher("check", *args, cwd=root)


def page(site: Path, url: str):
    return lxml_html.fromstring((site / url.strip("/") / "index.html").read_bytes())


def parse_feed(site: Path, path: str):
    parsed = feedparser.parse((site / path).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


# --- Moving a bulletin --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """The site built, then the bulletin renamed (its date corrected) with no redirect: the editor's mistake."""
    root = tmp_path_factory.mktemp("moved")
    first = build(root, base_files())
    old_manifest = root / "old-manifest.json"
    shutil.copy(first / "manifest.json", old_manifest)
    old_feed = parse_feed(first, "feed.xml")
    (root / "bulletins/2022-06-15-rural-and-coastal-programme.md").unlink()
    (root / "bulletins/2022-06-16-rural-and-coastal-programme.md").write_text(
        bulletin("Rural and coastal programme", "2022-06-16", "[rural-and-coastal]"), encoding="utf-8")
    return root, old_manifest, old_feed


def test_renaming_without_redirect_fails_the_guard_naming_the_url_and_the_fix(moved):
    root, old_manifest, _ = moved
    assert check(root).returncode == 0  # on its own, the renamed site is fine: only the guard sees the loss
    result = check(root, "--against", str(old_manifest))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (f'bulletins/2022-06-16-rural-and-coastal-programme.md:2: error: redirect_from: {OLD} was on the live '
            f'site and now leads nowhere; this looks like its new home, so add the line "redirect_from: [{OLD}]" '
            "to its front matter") in result.stdout
    assert "Traceback" not in result.stderr


def test_adding_the_suggested_line_passes_and_redirects(moved, tmp_path):
    root, old_manifest, old_feed = moved
    source = root / "bulletins/2022-06-16-rural-and-coastal-programme.md"
    source.write_text(bulletin("Rural and coastal programme", "2022-06-16", "[rural-and-coastal]",
                               extra=f"redirect_from: [{OLD}]\n"), encoding="utf-8")
    result = check(root, "--strict", "--against", str(old_manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    site = root / "out"
    assert run_publisher("build", "--site-dir", str(site), cwd=root).returncode == 0

    redirect = page(site, OLD)
    assert redirect.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={NEW}"]
    assert redirect.xpath("//link[@rel='canonical']/@href") == [SITE + NEW]
    assert redirect.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert redirect.xpath("//a/@href") == [NEW] and "Rural and coastal programme" in redirect.text_content()
    assert not redirect.xpath("//script") and not redirect.xpath("//*[@data-pagefind-body]")
    assert f"{OLD} {NEW} 301" in (site / "_redirects").read_text().splitlines()

    # Not a page of the site: not in the sitemap, the manifest's pages, any listing or the search index.
    assert OLD not in (site / "sitemap.xml").read_text()
    manifest = json.loads((site / "manifest.json").read_text())
    assert OLD not in [p["url"] for p in manifest["pages"]]
    assert manifest["redirects"] == [{"from": OLD, "to": NEW}]
    assert not any(OLD in path.read_text() for path in site.glob("bulletins/**/index.html")
                   if path.parent.as_posix().endswith(("bulletins", "2022")))
    assert not any(OLD.strip("/") in path.read_text(errors="ignore") for path in (site / "pagefind").rglob("*.pf_meta"))
    # _headers covers the redirect page like every other page.
    assert "/bulletins/*" in (site / "_headers").read_text()

    # The feed entry keeps the id it was first published with, so subscribers are not told of it again.
    old_ids = {e.link: e.id for e in old_feed.entries}
    new_entry = next(e for e in parse_feed(site, "feed.xml").entries if e.link == SITE + NEW)
    assert new_entry.id == old_ids[SITE + OLD] == SITE + OLD
    atom_entry = next(e for e in parse_feed(site, "atom.xml").entries if e.link == SITE + NEW)
    assert atom_entry.id == SITE + OLD


def test_guard_reads_the_live_manifest_over_http(moved):
    root, old_manifest, _ = moved
    folder = old_manifest.parent / "live"
    folder.mkdir(exist_ok=True)
    shutil.copy(old_manifest, folder / "manifest.json")
    with serve(folder) as base:
        result = check(root, "--against", f"{base}/manifest.json")
        missing = check(root, "--against", f"{base}/no-such/manifest.json")
    assert result.returncode == 0, result.stdout + result.stderr  # the previous test added the redirect
    assert "Checked" in result.stderr
    assert missing.returncode == 2 and "error: --against: could not read the manifest" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_guard_suggests_redirects_yml_when_no_source_looks_like_the_new_home(tmp_path):
    root = make_site(tmp_path, base_files())
    first = run_publisher("build", "--site-dir", str(root / "out"), cwd=root)
    assert first.returncode == 0, first.stderr
    (root / "content/about.md").unlink()
    result = check(root, "--against", str(root / "out/manifest.json"))
    assert result.returncode == 1
    assert ('content/redirects.yml:1: error: /about/: /about/ was on the live site and now leads nowhere; withdraw '
            "the page instead of deleting it (status: withdrawn), or send readers on by adding the line "
            '"/about/: /its/new/address/" to content/redirects.yml') in result.stdout
    (root / "content/redirects.yml").write_text("/about/: /subscribe/\n", encoding="utf-8")
    assert check(root, "--against", str(root / "out/manifest.json")).returncode == 0
    # A later build drops that redirect: the guard notices, because the manifest lists redirects too.
    second = run_publisher("build", "--site-dir", str(root / "out2"), cwd=root)
    assert second.returncode == 0, second.stderr
    (root / "content/redirects.yml").unlink()
    result = check(root, "--against", str(root / "out2/manifest.json"))
    assert result.returncode == 1 and "/about/ was on the live site and now leads nowhere" in result.stdout


# --- Withdrawing a bulletin ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory):
    files = base_files()
    files["bulletins/2023-01-10-old-guidance.md"] = bulletin("Old guidance", "2023-01-10", "[mental-health]",
                                                             extra=withdrawn_extra())
    files["content/directory/closed-scheme.md"] = entry("Closed scheme", withdrawn_extra("2026-08-01",
                                                                                        "The scheme has ended."))
    root = tmp_path_factory.mktemp("withdrawn")
    return root, build(root, files)


def test_withdrawn_page_stays_with_a_notice_right_after_the_h1(withdrawn):
    _, site = withdrawn
    doc = page(site, WITHDRAWN)
    h1 = doc.xpath("//h1")[0]
    notice = h1.getnext()
    assert notice.get("role") == "note" and "pub-withdrawn" in notice.get("class")
    labelled = doc.get_element_by_id(notice.get("aria-labelledby"))
    assert labelled.text_content().strip() == "This bulletin was withdrawn on 3 April 2023"
    assert notice.xpath(".//a/@href") == ["/bulletins/2023/02/01/new-guidance/"]  # the reason's Markdown link
    assert notice.xpath(".//em/text()") == ["all"]
    css = (site / "assets/stylesheets/publisher.css").read_text()
    assert ".pub-withdrawn {" in css


def test_withdrawn_leaves_home_topics_and_directory_but_stays_in_the_archive_marked(withdrawn):
    _, site = withdrawn
    def links(url):
        return page(site, url).xpath("//a/@href")
    assert WITHDRAWN not in links("/") and WITHDRAWN not in links("/topics/mental-health/")
    assert "/bulletins/2023/02/01/new-guidance/" in links("/topics/mental-health/")
    for archive in ("/bulletins/2023/", "/bulletins/"):
        card = page(site, archive).xpath(f"//li[.//a/@href='{WITHDRAWN}']")[0]
        assert card.xpath(".//p[contains(@class, 'pub-card__meta')]/strong/text()") == ["Withdrawn"]
    directory = page(site, "/directory/")
    assert "/directory/closed-scheme/" not in directory.xpath("//a/@href")
    assert "/directory/mentoring-scheme/" in directory.xpath("//a/@href")
    assert (site / "directory/closed-scheme/index.html").is_file()
    assert "This directory entry was withdrawn on 1 August 2026" in page(site, "/directory/closed-scheme/").text_content()


def test_withdrawn_stays_in_search_labelled(withdrawn):
    _, site = withdrawn
    body = page(site, WITHDRAWN).xpath("//*[@data-pagefind-body]")[0]
    metas = {el.get("data-pagefind-meta"): el.get("data-value") for el in body.xpath(".//*[@data-pagefind-meta]")}
    assert metas["type[data-value]"] == "Withdrawn · Bulletin"
    assert metas["status[data-value]"] == "Withdrawn"
    filters = {el.get("data-value") for el in body.xpath(".//*[@data-pagefind-filter]")}
    assert "Bulletin" in filters
    assert (site / "pagefind/pagefind-entry.json").is_file()


def test_withdrawn_bulletin_is_updated_in_feeds_not_announced_as_new(withdrawn):
    _, site = withdrawn
    atom = parse_feed(site, "atom.xml")
    entry_ = next(e for e in atom.entries if e.link == SITE + WITHDRAWN)
    assert entry_.id == SITE + WITHDRAWN
    assert entry_.updated.startswith("2023-04-03") and entry_.published.startswith("2023-01-10")
    content = entry_.content[0].value
    assert content.index("This bulletin was withdrawn on") < content.index("Section")
    rss = parse_feed(site, "feed.xml")
    item = next(e for e in rss.entries if e.link == SITE + WITHDRAWN)
    assert item.id == SITE + WITHDRAWN and item.published.startswith("Tue, 10 Jan 2023")
    # Still in date order: not moved to the top as if new.
    assert [e.link for e in rss.entries].index(SITE + WITHDRAWN) > 0


def test_updates_feed_lists_changes_new_items_and_withdrawals_newest_first(withdrawn):
    _, site = withdrawn
    for path in ("updates.xml", "updates.atom"):
        feed = parse_feed(site, path)
        assert [e.title for e in feed.entries] == [
            "Withdrawn: Closed scheme",                 # 2026-08-01
            "Updated: Dental toolkit",                  # 2026-07-01
            "New toolkit: Dental toolkit",              # 2026-05-01
            "New in the directory: Mentoring scheme",   # 2026-03-01
            "Withdrawn: Old guidance",                  # 2023-04-03
        ], path
        assert feed.entries[1].id == f"{SITE}/toolkits/dental/#change-2026-07-01"
        assert all(e.link.startswith(SITE + "/") for e in feed.entries)
    subscribe = page(site, "/subscribe/")
    assert f"{SITE}/updates.xml" in subscribe.text_content() and f"{SITE}/updates.atom" in subscribe.text_content()
    toolkit_page = page(site, "/toolkits/dental/").text_content()
    assert "Updates to this page" in toolkit_page and "Added the consent form." in toolkit_page


def test_planned_addresses_are_exactly_the_built_pages(withdrawn):
    """The checks judge addresses without building; they must see the same pages a build writes."""
    import sys
    sys.path.insert(0, str(ROOT))
    from publisher.content.validate import load_site
    from publisher.site.redirects import planned_urls

    root, site_dir = withdrawn
    site, findings = load_site(root)
    manifest = json.loads((site_dir / "manifest.json").read_text())
    assert {"/" + url for url in planned_urls(site)} == {p["url"] for p in manifest["pages"]}


# --- Every error at its file and line -----------------------------------------------------------------------------

def errors_for(tmp_path: Path, files: dict[str, str | bytes]) -> str:
    root = make_site(tmp_path, {**base_files(), **files})
    result = check(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.parametrize("extra, expected", [
    ("status: withdrawn\n", 'bulletins/2023-01-10-old-guidance.md:6: error: status: status is "withdrawn" but the '
                            "withdrawn block is missing"),
    ("withdrawn: {date: 2023-04-03, reason: Gone.}\n",
     "bulletins/2023-01-10-old-guidance.md:6: error: withdrawn: is given but the status is not withdrawn"),
    ("status: withdrawn\nwithdrawn:\n  date: 2023-04-03\n",
     "bulletins/2023-01-10-old-guidance.md:7: error: withdrawn.reason: this field is required; add a line 'reason: ...'"),
    ("status: withdrawn\nwithdrawn:\n  reason: Gone.\n",
     "bulletins/2023-01-10-old-guidance.md:7: error: withdrawn.date: this field is required; add a line 'date: ...'"),
    ("redirect_from: [https://evil.example/x/]\n",
     ('bulletins/2023-01-10-old-guidance.md:6: error: ', '"https://evil.example/x/" is not an address on this site')),
])
def test_withdrawal_and_redirect_fields_are_checked_at_their_line(tmp_path, extra, expected):
    output = errors_for(tmp_path, {"bulletins/2023-01-10-old-guidance.md": bulletin(
        "Old guidance", "2023-01-10", "[mental-health]", extra=extra)})
    location, message = expected if isinstance(expected, tuple) else (expected, "")
    assert any(line.startswith(location) and message in line for line in output.splitlines()), output


def test_redirect_errors_at_file_and_line(tmp_path):
    output = errors_for(tmp_path, {
        "bulletins/2023-02-01-new-guidance.md": bulletin(
            "New guidance", "2023-02-01", "[mental-health]",
            extra="redirect_from:\n  - /old/a/\n  - /about/\n  - /bulletins/2023/02/01/new-guidance/\n"),
        "content/redirects.yml": ("/old/a/: /about/\n"          # line 1: twice from one URL
                                  "/gone/: /nowhere/\n"         # line 2: target does not exist
                                  "/loop-a/: /loop-b/\n"        # line 3: loop
                                  "/loop-b/: /loop-a/\n"        # line 4: loop
                                  "/chain/: /old/a/\n"          # line 5: chain; write the final target
                                  "/subscribe/: /about/\n"      # line 6: from a live page
                                  "/old-news/: Not a path\n"),  # line 7: bad shape
    })
    source = "bulletins/2023-02-01-new-guidance.md"
    expected = [
        f"{source}:7: error: redirect_from: /old/a/ is redirected more than once (also at content/redirects.yml:1)",
        f"{source}:8: error: redirect_from: /about/ is a live page (content/about.md), and a redirect would hide it",
        f"{source}:9: error: redirect_from: /bulletins/2023/02/01/new-guidance/ is this page's own address",
        f"content/redirects.yml:1: error: /old/a/: /old/a/ is redirected more than once (also at {source}:7)",
        "content/redirects.yml:2: error: /gone/: /nowhere/ is not a page on this site",
        "content/redirects.yml:3: error: /loop-a/: these redirects go round in a loop (/loop-a/ → /loop-b/ → /loop-a/)",
        "content/redirects.yml:4: error: /loop-b/: these redirects go round in a loop (/loop-b/ → /loop-a/ → /loop-b/)",
        "content/redirects.yml:5: error: /chain/: /old/a/ is itself redirected, so readers would be sent on twice; "
        "write the final address instead: /chain/: /bulletins/2023/02/01/new-guidance/",
        "content/redirects.yml:6: error: /subscribe/: /subscribe/ is a live page (content/subscribe.md)",
        'content/redirects.yml:7: error: /old-news/: "Not a path" is not an address on this site',
    ]
    for line in expected:
        assert line in output, f"{line}\n--- not in ---\n{output}"


def test_redirect_from_on_a_draft_leads_nowhere(tmp_path):
    output = errors_for(tmp_path, {"bulletins/2023-02-01-new-guidance.md": bulletin(
        "New guidance", "2023-02-01", "[mental-health]", extra="status: draft\nredirect_from: [/old/b/]\n")})
    assert ("bulletins/2023-02-01-new-guidance.md:7: error: redirect_from: this bulletin is a draft, so /old/b/ "
            "would lead nowhere") in output


def test_build_stops_on_redirect_errors_and_leaves_the_site(tmp_path):
    root = make_site(tmp_path, {**base_files(), "content/redirects.yml": "/gone/: /nowhere/\n"})
    result = run_publisher("build", "--site-dir", str(root / "out"), cwd=root)
    assert result.returncode == 1 and "content/redirects.yml:1: error: /gone/:" in result.stdout + result.stderr
    assert not (root / "out").exists()


def test_publish_workflow_runs_the_guard_against_the_live_site():
    publish = yaml.safe_load((ROOT / ".github/workflows/publish.yml").read_text())
    runs = [step.get("run", "") for step in publish["jobs"]["build"]["steps"]]
    guard = next(run for run in runs if "--against" in run)
    assert '${SITE_URL}manifest.json' in guard and '"404"' in guard
