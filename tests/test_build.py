"""Build small real sites and inspect the HTML they produce."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from sitekit import build, bulletin, make_site, run_publisher, toolkit

DRAFT_TOKEN = "zebradraftquokka"
SCHEDULED_TOKEN = "pangolinscheduledyak"
DOCX = b"PK\x03\x04" + b"0" * 3000

TOOLKIT = toolkit("""\
opportunities:
  - title: Open summer placements
    provider: A practice
    region: london
    url: https://example.org/open
    closes: 2027-03-01
  - title: Closed spring placements
    provider: A practice
    region: london
    url: https://example.org/closed
    closes: 2026-03-01
""", body="## Before the placement\n\nRead the [key messages](../../bulletins/2022-02-02-key-messages.md).\n")

ENTRY = """\
---
title: Mentoring care leavers
organisation: A trust
summary: Mentors for young people leaving care.
region: north-west
topics: [widening-participation]
approaches: [mentoring]
audiences: [care-leavers]
evidence: independently-evaluated
started: 2019
contact: {name: Widening participation team, email: wp@example.org}
---

## What they did

Mentoring.
"""


def fixture_files() -> dict[str, str | bytes]:
    return {
        "bulletins/2022-02-02-key-messages.md": bulletin(
            "Key messages", "2022-02-02", "[covid-19, mental-health]",
            body="## Chief executive\n\nSee the [dental toolkit](../toolkits/dental/index.md).\n\n## Updates\n\nMore.\n",
            extra="changes:\n  - {date: 2022-02-10, note: Added a link.}\n"),
        "bulletins/2021-06-01-rural.md": bulletin("Rural and coastal", "2021-06-01", "[rural-and-coastal]"),
        "bulletins/2014-09-02-strategy.md": bulletin("Strategy", "2014-09-02", "[widening-participation]"),
        "bulletins/2022-03-01-secret.md": bulletin(f"Draft {DRAFT_TOKEN}", "2022-03-01", "[patient-safety]",
                                                   body=f"{DRAFT_TOKEN}\n", extra="status: draft\n"),
        "bulletins/2027-01-01-future.md": bulletin(f"Future {SCHEDULED_TOKEN}", "2027-01-01", "[primary-care]",
                                                   body=f"{SCHEDULED_TOKEN}\n"),
        "toolkits/dental/index.md": TOOLKIT,
        "toolkits/dental/application-form.docx": DOCX,
        "content/directory/mentoring-care-leavers.md": ENTRY,
        "content/about.md": "---\ntitle: About us\n---\n\nWho we are.\n",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("site"), fixture_files())


def page(site: Path, url: str):
    return lxml_html.fromstring((site / url.strip("/") / "index.html").read_bytes())


def article(site: Path, url: str):
    return page(site, url).cssselect("article")[0]


def test_every_page_type_exists(built):
    for url in ["", "bulletins/2022/02/02/key-messages/", "bulletins/", "bulletins/2022/", "topics/",
                "topics/mental-health/", "toolkits/", "toolkits/dental/", "directory/",
                "directory/mentoring-care-leavers/", "about/"]:
        assert (built / url / "index.html").is_file(), url


def test_bulletin_page(built):
    body = article(built, "bulletins/2022/02/02/key-messages/")
    assert body.cssselect("h1")[0].text_content() == "Key messages"
    assert "2 February 2022" in body.cssselect(".pub-meta time")[0].text_content()
    topics = [a.get("href") for a in body.cssselect(".pub-tags a")]
    assert topics == ["/topics/covid-19/", "/topics/mental-health/"]
    assert body.cssselect("a[href='/toolkits/dental/']")[0].text_content() == "dental toolkit"
    assert [h.get("id") for h in body.cssselect("h2")][:2] == ["chief-executive", "updates"]
    assert "Added a link." in body.cssselect(".pub-history")[0].text_content()
    older = body.cssselect(".pub-pager a[rel=prev]")[0]
    assert older.get("href") == "/bulletins/2021/06/01/rural/"
    toc = page(built, "bulletins/2022/02/02/key-messages/").cssselect(".md-sidebar--secondary a")
    assert any(a.get("href") == "#chief-executive" for a in toc)


def test_archive_lists_published_newest_first(built):
    links = [a.get("href") for a in article(built, "bulletins/").cssselect(".pub-card__title a")]
    assert links == ["/bulletins/2022/02/02/key-messages/", "/bulletins/2021/06/01/rural/",
                     "/bulletins/2014/09/02/strategy/"]
    year = [a.get("href") for a in article(built, "bulletins/2022/").cssselect(".pub-card__title a")]
    assert year == ["/bulletins/2022/02/02/key-messages/"]


def test_topic_pages_only_for_topics_with_bulletins(built):
    assert (built / "topics/rural-and-coastal/index.html").is_file()
    assert not (built / "topics/digital-and-technology").exists()
    links = [a.get("href") for a in article(built, "topics/mental-health/").cssselect(".pub-card__title a")]
    assert links == ["/bulletins/2022/02/02/key-messages/"]


def test_toolkit_downloads_and_opportunities(built):
    body = article(built, "toolkits/dental/")
    download = body.cssselect(".pub-downloads a")[0]
    assert download.text_content() == "Application form (DOCX, 3 KB)"
    assert (built / "toolkits/dental/application-form.docx").read_bytes() == DOCX
    text = body.text_content()
    assert "Open summer placements" in text and "Closed spring placements" not in text
    assert "1 June 2026" in text


def test_directory_lists_every_entry_with_labels(built):
    cards = article(built, "directory/").cssselect(".pub-card")
    assert len(cards) == 1
    entry = article(built, "directory/mentoring-care-leavers/").text_content()
    for label in ("North West", "Mentoring", "Care leavers", "Independently evaluated", "2019"):
        assert label in entry
    assert "north-west" not in entry


def all_output_text(site: Path) -> dict[str, bytes]:
    texts = {}
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            texts[path.relative_to(site).as_posix()] = gzip.decompress(data) if path.suffix == ".gz" else data
    return texts


def test_drafts_and_scheduled_bulletins_leak_nowhere(built):
    for rel, data in all_output_text(built).items():
        assert DRAFT_TOKEN.encode() not in data, rel
        assert SCHEDULED_TOKEN.encode() not in data, rel
    assert not (built / "bulletins/2027").exists()


def test_manifest_records_urls(built):
    manifest = json.loads((built / "manifest.json").read_text())
    urls = {entry["url"]: entry for entry in manifest["pages"]}
    assert urls["/bulletins/2022/02/02/key-messages/"]["source"] == "bulletins/2022-02-02-key-messages.md"
    assert urls["/directory/mentoring-care-leavers/"]["kind"] == "entry"
    text = (built / "manifest.json").read_text()
    assert text.count("\n") > len(manifest["pages"]), "one page per line, so a diff shows which changed"


def test_manifest_text_is_the_json_it_stands_for():
    from publisher.outputs.mkdocs_plugin import manifest_text

    manifest = {"pages": [{"url": "/a/", "title": "Café \"quoted\" \u2028", "source": None}], "feeds": [],
                "redirects": [{"from": "/x/", "to": "/y/"}, {"from": "/z/", "to": "/"}], "built": "2026-11-01",
                "commit": None}
    assert json.loads(manifest_text(manifest)) == manifest


def test_no_third_party_resources(built):
    for path in built.rglob("*.html"):
        tree = lxml_html.fromstring(path.read_bytes())
        for element in tree.cssselect("script[src], link[href], img[src], source[src], iframe"):
            address = element.get("src") or element.get("href") or ""
            if element.tag == "link" and element.get("rel") not in ("stylesheet", "preload", "icon", "preconnect"):
                continue
            assert not address.startswith(("http://", "https://", "//")), (path, address)


def tree_digest(site: Path) -> dict[str, str]:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in all_output_text(site).items()}


def test_builds_are_deterministic_and_match_mkdocs_build(built, tmp_path):
    root = built.parent
    second = run_publisher("build", "--site-dir", str(tmp_path / "again"), cwd=root)
    assert second.returncode == 0, second.stderr
    assert tree_digest(tmp_path / "again") == tree_digest(built)
    import os, subprocess, sys
    from sitekit import EPOCH_2026_11_01

    mkdocs = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "mk")], cwd=root,
                            capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01})
    assert mkdocs.returncode == 0, mkdocs.stderr
    assert tree_digest(tmp_path / "mk") == tree_digest(built)


def test_failed_build_leaves_the_previous_site(tmp_path):
    root = make_site(tmp_path, {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02")})
    assert run_publisher("build", cwd=root).returncode == 0
    before = tree_digest(root / "site")
    (root / "bulletins/2022-02-02-b.md").write_text(bulletin("B", "2022-02-30"))
    failed = run_publisher("build", cwd=root)
    assert failed.returncode == 1
    assert 'bulletins/2022-02-02-b.md:3: error: date: "2022-02-30" is not a real date' in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    assert tree_digest(root / "site") == before
    # No staging folder is left behind; `.cache/` is the publisher's cache, which a failed build may keep.
    assert sorted(p.name for p in root.iterdir() if p.name != ".cache") == ["bulletins", "content", "mkdocs.yml",
                                                                             "site"]


def test_mkdocs_build_refuses_bad_content(tmp_path):
    import subprocess, sys

    root = make_site(tmp_path, {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", topics="[nope]")})
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, capture_output=True, text=True)
    assert result.returncode != 0
    assert 'bulletins/2022-02-02-a.md:5: error: the 1st topic: "nope" is not one of the topics' in result.stderr


def test_serve_previews_drafts_clearly_marked(built, tmp_path):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"],
                              cwd=built.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/bulletins/2022/03/01/secret/") as response:
                    preview = lxml_html.fromstring(response.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert "Draft: this preview is not on the published site." in preview.cssselect(".pub-preview-banner")[0].text_content()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bulletins/") as response:
            assert DRAFT_TOKEN not in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_long_listings_are_paginated(tmp_path):
    files = {f"bulletins/2020-01-{day:02d}-news-{day}.md": bulletin(f"News {day}", f"2020-01-{day:02d}")
             for day in range(1, 26)}
    files.update({f"bulletins/2021-03-{day:02d}-more-{day}.md": bulletin(f"More {day}", f"2021-03-{day:02d}")
                  for day in range(1, 21)})
    site = build(tmp_path, files)
    first = [a.get("href") for a in article(site, "bulletins/").cssselect(".pub-card__title a")]
    second = [a.get("href") for a in article(site, "bulletins/page/2/").cssselect(".pub-card__title a")]
    third = [a.get("href") for a in article(site, "bulletins/page/3/").cssselect(".pub-card__title a")]
    assert (len(first), len(second), len(third)) == (20, 20, 5)
    assert first[0] == "/bulletins/2021/03/20/more-20/" and third[-1] == "/bulletins/2020/01/01/news-1/"
    assert len(set(first + second + third)) == 45
    pager = article(site, "bulletins/page/2/").cssselect(".pub-pagination")[0]
    assert pager.cssselect("a[rel=prev]")[0].get("href") == "/bulletins/"
    assert pager.cssselect("a[rel=next]")[0].get("href") == "/bulletins/page/3/"
    assert pager.cssselect("[aria-current=page]")[0].text_content() == "Page 2"
    assert [len(article(site, url).cssselect(".pub-card")) for url in ("bulletins/2020/", "bulletins/2020/page/2/")] \
        == [20, 5]
    assert (site / "topics/mental-health/page/3/index.html").is_file()


def test_parallel_conversion_gives_the_same_pages(tmp_path, monkeypatch):
    from publisher.site import convert
    from publisher.site.render import Renderer
    from publisher.content.validate import load_site

    root = make_site(tmp_path, fixture_files())
    site, _findings = load_site(root)
    sequential = {page.url: page.html for page in Renderer(site).pages()}
    monkeypatch.setattr(convert, "PARALLEL_THRESHOLD", 0)
    renderer = Renderer(site)
    renderer.converter.convert_all(site.items)
    assert len(renderer.converter._cache) == len(site.items)  # filled by the workers, before any page renders
    parallel = {page.url: page.html for page in renderer.pages()}
    assert parallel == sequential


def test_workers_give_way_to_the_parent_and_pagefind(monkeypatch):
    """A build's workers run at a lower priority, so Pagefind keeps pace with the pages they render."""
    import os

    from publisher import parallel

    monkeypatch.setattr(parallel, "worker_count", lambda: 2)
    results = parallel.fork_map(lambda _item: (os.getpid(), os.nice(0)), range(8), chunksize=1)
    assert results is not None
    niceness = dict(results)
    assert os.getpid() not in niceness
    parent = os.nice(0)
    assert parent < 19 and parallel.WORKER_NICENESS > 0
    assert set(niceness.values()) == {min(parent + parallel.WORKER_NICENESS, 19)}
