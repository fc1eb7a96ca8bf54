"""RSS 2.0 and Atom feeds, site-wide and per topic, built with feedgen from the already-converted bodies.

Dates come from the content, never the clock, so feeds are reproducible and RSS-to-email tools send on the
right day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from publisher.site.escaping import cdata_safe, rss_text
from publisher.content.models import Bulletin
from publisher.site.render import Renderer, site_feeds, topic_feeds
from publisher.site.model import Item

FEED_LENGTH = 50
URL_ATTRIBUTE = re.compile(r'\b(href|src)="([^"]*)"')


@dataclass
class FeedFile:
    path: str  # site-relative, e.g. "topics/mental-health/feed.xml"
    content: bytes


def absolute_urls(html: str, page_url: str) -> str:
    """Feed readers have no base URL, so every link and image in feed content must be absolute."""
    return URL_ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{urljoin(page_url, m.group(2))}"', html)


class FeedWriter:
    def __init__(self, renderer: Renderer, site_name: str, description: str) -> None:
        self.renderer = renderer
        self.absolute = renderer.absolute
        self.site_name = site_name
        self.description = description

    def files(self) -> list[FeedFile]:
        bulletins = self.renderer.bulletins
        rss, atom = site_feeds()
        files = self._pair(bulletins, "", rss.url, atom.url, self.site_name, self.description)
        taxonomy = self.renderer.site.taxonomy
        for slug, term in taxonomy.topics.items():
            tagged = [item for item in bulletins if slug in item.meta.topics]
            if tagged:
                rss, atom = topic_feeds(self.renderer.site, slug)
                files += self._pair(tagged, f"topics/{slug}/", rss.url, atom.url,
                                    f"{term.label}: {self.site_name}", term.description)
        return files

    def _pair(self, items: list[Item], page: str, rss_path: str, atom_path: str, title: str,
              description: str) -> list[FeedFile]:
        latest = items[:FEED_LENGTH]
        rss = self._generator(latest, page, rss_path, title, description, rss_text)
        atom = self._generator(latest, page, atom_path, title, description, str)
        return [FeedFile(rss_path, rss.rss_str(pretty=True)), FeedFile(atom_path, atom.atom_str(pretty=True))]

    def _generator(self, items: list[Item], page: str, self_path: str, title: str, description: str,
                   text: Callable[[str], str]) -> FeedGenerator:
        """`text` prepares plain text for the format: RSS readers read titles as HTML, Atom's are typed as text."""
        feed = FeedGenerator()
        feed.id(self.absolute(self_path))
        feed.title(text(title))
        feed.description(text(description))
        feed.language("en-GB")
        # feedgen takes the RSS <link> from the last link added, so the page link goes last.
        feed.link(href=self.absolute(self_path), rel="self")
        feed.link(href=self.absolute(page), rel="alternate")
        feed.generator("publisher")
        feed.author(name=text(self.site_name))  # Atom needs a feed author when entries have none
        # The newest item's date, not the clock, so rebuilding unchanged content changes nothing.
        newest = max((item.meta.updated for item in items), default=self.renderer.site.now)
        feed.updated(newest)
        feed.lastBuildDate(newest)
        # feedgen prepends entries, so add oldest first to keep newest first in the file.
        for item in reversed(items):
            self._entry(feed, item, text)
        return feed

    def _entry(self, feed: FeedGenerator, item: Item, text: Callable[[str], str]) -> None:
        meta: Bulletin = item.meta  # type: ignore[assignment]
        link = self.absolute(item.url)
        entry = feed.add_entry()
        entry.id(link)
        entry.guid(link, permalink=True)
        entry.title(text(meta.title))
        entry.link(href=link, rel="alternate")
        entry.description(text(meta.summary), isSummary=True)
        entry.content(cdata_safe(absolute_urls(self.renderer.body(item), link)), type="html")
        entry.published(meta.date)
        entry.pubDate(meta.date)
        entry.updated(meta.updated)
        for slug in meta.topics:
            entry.category(term=slug, label=self.renderer.site.taxonomy.label("topics", slug),
                           scheme=self.absolute("topics/"))
        if meta.author:
            entry.author(name=text(meta.author))
