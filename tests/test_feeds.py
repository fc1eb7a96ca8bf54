"""Feeds: parse the built RSS and Atom with feedparser and lxml, as subscribers' tools would."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from sitekit import build, bulletin

SITE = "https://example.org"
DRAFT_TOKEN = "wombatdraftfeed"
SCHEDULED_TOKEN = "narwhalscheduledfeed"


def files(first_title: str = "Winter news") -> dict[str, str | bytes]:
    return {
        "bulletins/2022-03-26-winter.md": bulletin(
            first_title, "2022-03-26", "[mental-health]",
            body="## Links\n\nSee [spring](2022-03-28-spring.md), ![A chart of places](chart.png) and "
                 "[our team](../content/about.md#team).\n"),
        "bulletins/chart.png": b"\x89PNG\r\n\x1a\n",
        "bulletins/2022-03-28-spring.md": bulletin(
            "Spring news", "2022-03-28 09:30", "[covid-19, mental-health]",
            extra="changes:\n  - {date: 2022-04-05, note: Corrected a date.}\n"),
        "bulletins/2021-01-01-new-year.md": bulletin("New year", "2021-01-01", "[covid-19]"),
        "bulletins/2022-04-01-secret.md": bulletin(f"Draft {DRAFT_TOKEN}", "2022-04-01", "[mental-health]",
                                                   extra="status: draft\n"),
        "bulletins/2027-01-01-later.md": bulletin(f"Later {SCHEDULED_TOKEN}", "2027-01-01", "[mental-health]"),
        "content/about.md": "---\ntitle: About\n---\n\n## Team\n\nUs.\n",
        "content/subscribe.md": "---\ntitle: Subscribe\n---\n\nFeeds explained.\n",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("feeds"), files())


def parse(site: Path, path: str):
    parsed = feedparser.parse((site / path).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


@pytest.mark.parametrize("path", ["feed.xml", "atom.xml", "topics/mental-health/feed.xml",
                                  "topics/mental-health/atom.xml", "topics/covid-19/feed.xml"])
def test_feeds_parse_cleanly(built, path):
    parse(built, path)


def test_site_feed_items_newest_first(built):
    for path in ("feed.xml", "atom.xml"):
        links = [entry.link for entry in parse(built, path).entries]
        assert links == [f"{SITE}/bulletins/2022/03/28/spring/", f"{SITE}/bulletins/2022/03/26/winter/",
                         f"{SITE}/bulletins/2021/01/01/new-year/"], path


def test_dates_carry_the_london_offset(built):
    rss = etree.parse(str(built / "feed.xml"))
    dates = [node.text for node in rss.iter("pubDate")]
    assert dates == ["Mon, 28 Mar 2022 09:30:00 +0100", "Sat, 26 Mar 2022 00:00:00 +0000",
                     "Fri, 01 Jan 2021 00:00:00 +0000"]
    atom = etree.parse(str(built / "atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    first = atom.find("a:entry", ns)
    assert first.findtext("a:published", namespaces=ns) == "2022-03-28T09:30:00+01:00"
    assert first.findtext("a:updated", namespaces=ns) == "2022-04-05T00:00:00+01:00"
    assert atom.getroot().findtext("a:updated", namespaces=ns) == "2022-04-05T00:00:00+01:00"
    assert rss.getroot().findtext("channel/lastBuildDate") == "Tue, 05 Apr 2022 00:00:00 +0100"
    assert atom.getroot().findtext("a:author/a:name", namespaces=ns) == "Test site"


def test_content_is_full_html_with_absolute_urls(built):
    entry = next(e for e in parse(built, "feed.xml").entries if e.title == "Winter news")
    assert entry.summary == "Summary of Winter news."
    content = lxml_html.fromstring(entry.content[0].value)
    addresses = [el.get("href") or el.get("src") for el in content.iter() if el.get("href") or el.get("src")]
    assert addresses == [f"{SITE}/bulletins/2022/03/28/spring/", f"{SITE}/bulletins/files/chart.png",
                         f"{SITE}/about/#team"]
    assert [t.term for t in entry.tags] == ["Mental health"]


def test_channel_link_self_link_and_unique_guids(built):
    rss = etree.parse(str(built / "topics/mental-health/feed.xml")).getroot()
    channel = rss.find("channel")
    assert channel.findtext("link") == f"{SITE}/topics/mental-health/"
    self_link = channel.find("{http://www.w3.org/2005/Atom}link[@rel='self']")
    assert self_link.get("href") == f"{SITE}/topics/mental-health/feed.xml"
    guids = [g.text for g in channel.iter("guid")]
    assert len(guids) == len(set(guids)) == 2


def test_topic_feeds_hold_only_their_topic(built):
    titles = [entry.title for entry in parse(built, "topics/covid-19/atom.xml").entries]
    assert titles == ["Spring news", "New year"]
    assert not (built / "topics/patient-safety/feed.xml").exists()


def test_drafts_and_scheduled_never_in_feeds(built):
    for path in built.rglob("*.xml"):
        text = path.read_text()
        assert DRAFT_TOKEN not in text and SCHEDULED_TOKEN not in text, path


def test_guid_survives_a_title_and_summary_edit(built, tmp_path):
    edited = build(tmp_path, files(first_title="Winter news, revised"))
    before = {e.id for e in parse(built, "feed.xml").entries}
    after = {e.id for e in parse(edited, "feed.xml").entries}
    assert before == after
    assert "Winter news, revised" in {e.title for e in parse(edited, "feed.xml").entries}


def test_subscribe_page_lists_every_feed(built):
    page = lxml_html.fromstring((built / "subscribe/index.html").read_bytes())
    listed = {a.text_content() for a in page.cssselect(".pub-feed-table a")}
    produced = {f"{SITE}/{p.relative_to(built).as_posix()}" for p in built.rglob("*")
                if p.name in ("feed.xml", "atom.xml", "updates.xml", "updates.atom")}
    assert listed == produced


def alternates(site: Path, url: str) -> set[str]:
    page = lxml_html.fromstring((site / url / "index.html").read_bytes())
    return {link.get("href") for link in page.cssselect("head link[rel=alternate]")}


def test_autodiscovery_links_on_pages(built):
    from urllib.parse import urljoin

    def resolved(url: str) -> set[str]:
        return {urljoin(f"/{url}", href) for href in alternates(built, url)}

    site_feeds = {"/feed.xml", "/atom.xml"}
    assert resolved("") >= site_feeds
    assert resolved("about/") >= site_feeds
    assert resolved("topics/mental-health/") >= site_feeds | {"/topics/mental-health/feed.xml",
                                                              "/topics/mental-health/atom.xml"}
    bulletin_feeds = resolved("bulletins/2022/03/28/spring/")
    assert bulletin_feeds >= site_feeds | {"/topics/covid-19/feed.xml", "/topics/mental-health/feed.xml"}
    for href in bulletin_feeds:
        assert (built / href.lstrip("/")).is_file(), href


def test_a_site_without_bulletins_still_has_valid_reproducible_feeds(tmp_path):
    site = build(tmp_path, {"content/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    parsed = parse(site, "feed.xml")
    assert parsed.entries == []
    assert parsed.feed.updated == "Sun, 01 Nov 2026 00:00:00 +0000"  # SOURCE_DATE_EPOCH, not the clock
    assert not (site / "topics/mental-health").exists()
