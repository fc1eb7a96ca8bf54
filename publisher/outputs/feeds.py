"""RSS 2.0 and Atom feeds, site-wide and per topic, built with feedgen from the already-converted bodies.

Dates come from the content, never the clock, so feeds are reproducible and RSS-to-email tools send on the
right day.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Callable
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator
from feedgen.version import version_str as feedgen_version

from publisher.cache import code_digest
from publisher.site.escaping import cdata_safe, escape, rss_text
from publisher.site.fingerprint import Fingerprints
from publisher.content.models import Bulletin, Toolkit
from publisher.dates import LONDON
from publisher.site.redirects import feed_id_url
from publisher.site.render import Renderer, site_feeds, topic_feeds, updates_feeds
from publisher.site.model import Item, Site

FEED_LENGTH = 50
URL_ATTRIBUTE = re.compile(r'\b(href|src)="([^"]*)"')


@dataclass
class FeedFile:
    path: str  # site-relative, e.g. "topics/mental-health/feed.xml"
    content: bytes


def absolute_urls(html: str, page_url: str) -> str:
    """Feed readers have no base URL, so every link and image in feed content must be absolute."""
    return URL_ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{urljoin(page_url, m.group(2))}"', html)


def both_formats(rss_path: str, atom_path: str,
                 generator: Callable[[str, Callable[[str], str]], FeedGenerator]) -> list[FeedFile]:
    """One feed as RSS and as Atom. RSS readers show titles as HTML, so its text is escaped; Atom's is typed text."""
    return [FeedFile(rss_path, generator(rss_path, rss_text).rss_str(pretty=True)),
            FeedFile(atom_path, generator(atom_path, str).atom_str(pretty=True))]


class FeedWriter:
    def __init__(self, renderer: Renderer, site_name: str, description: str,
                 earlier: dict[bytes, list[FeedFile]] | None = None) -> None:
        self.renderer = renderer
        self.absolute = renderer.absolute
        self.site_name = site_name
        self.description = description
        # Feeds made last time, by a digest of everything they were made from, and those made this time.
        self.earlier = earlier or {}
        self.made: dict[bytes, list[FeedFile]] = {}
        self.fingerprints = Fingerprints()
        self.base_key = self.fingerprints.of(code_digest(), feedgen_version, renderer.site_url, site_name, description)

    def _remembered(self, latest: list, made_from: tuple, make: Callable[[], list[FeedFile]]) -> list[FeedFile]:
        """A feed of `latest` from the last run if it was made from the same things, else `make()`."""
        # An empty feed is dated by the clock (see `_feed`); any other only by its content.
        key = self.fingerprints.of(self.base_key, latest, made_from, None if latest else self.renderer.site.now)
        files = self.earlier.get(key)
        self.made[key] = files = files if files is not None else make()
        return list(files)  # a copy: callers add to the list they get

    def withdrawal_notice(self, item: Item) -> str:
        if not item.withdrawn:
            return ""
        return self.renderer.env.get_template("_withdrawn.html").render(item=item)

    def files(self) -> list[FeedFile]:
        bulletins = self.renderer.bulletins
        rss, atom = site_feeds()
        files = self._pair(bulletins, "", rss.url, atom.url, self.site_name, self.description)
        taxonomy = self.renderer.site.taxonomy
        by_topic: dict[str, list[Item]] = defaultdict(list)  # in the order of `bulletins`, newest first
        for item in bulletins:
            for slug in dict.fromkeys(item.meta.topics):  # a topic listed twice tags the bulletin once
                by_topic[slug].append(item)
        for slug, term in taxonomy.topics.items():
            tagged = by_topic.get(slug)
            if tagged:
                rss, atom = topic_feeds(self.renderer.site, slug)
                files += self._pair(tagged, f"topics/{slug}/", rss.url, atom.url,
                                    f"{term.label}: {self.site_name}", term.description)
        return files + self.updates_files()

    def updates_files(self) -> list[FeedFile]:
        """/updates.xml and /updates.atom: change notes, new toolkits and entries, withdrawals; newest first."""
        latest = site_updates(self.renderer.site, self.renderer.site.toolkits + self.renderer.site.entries)
        latest = latest[:FEED_LENGTH]
        rss, atom = updates_feeds()
        title = f"Updates: {self.site_name}"
        description = "Changes to toolkits, the best-practice directory and bulletins, and pages withdrawn."

        def generator(path: str, text: Callable[[str], str]) -> FeedGenerator:
            feed = self._feed(path, "", title, description, text, max((u.moment for u in latest), default=None))
            for update in reversed(latest):
                self._update_entry(feed, update, text)
            return feed

        return self._remembered(latest, ("updates",), lambda: both_formats(rss.url, atom.url, generator))

    def _update_entry(self, feed: FeedGenerator, update: Update, text: Callable[[str], str]) -> None:
        item = update.item
        link = self.absolute(item.url)
        entry = feed.add_entry()
        entry.id(self.absolute(feed_id_url(item)) + update.fragment)
        entry.guid(self.absolute(feed_id_url(item)) + update.fragment, permalink=False)
        entry.title(text(f"{update.heading}: {item.title}"))
        entry.link(href=link, rel="alternate")
        entry.description(text(update.summary), isSummary=True)
        html = self.withdrawal_notice(item) if update.kind == "withdrawn" else f"<p>{escape(update.summary)}</p>"
        entry.content(cdata_safe(absolute_urls(html, link)), type="html")
        entry.published(update.moment)
        entry.pubDate(update.moment)
        entry.updated(update.moment)

    def _pair(self, items: list[Item], page: str, rss_path: str, atom_path: str, title: str,
              description: str) -> list[FeedFile]:
        latest = items[:FEED_LENGTH]
        return self._remembered(
            latest, ("items", page, rss_path, atom_path, title, description),
            lambda: both_formats(rss_path, atom_path,
                                 lambda path, text: self._generator(latest, page, path, title, description, text)))

    def _generator(self, items: list[Item], page: str, self_path: str, title: str, description: str,
                   text: Callable[[str], str]) -> FeedGenerator:
        """`text` prepares plain text for the format: RSS readers read titles as HTML, Atom's are typed as text."""
        # The newest item's date, not the clock, so rebuilding unchanged content changes nothing.
        feed = self._feed(self_path, page, title, description, text,
                          max((item.meta.updated for item in items), default=None))
        # feedgen prepends entries, so add oldest first to keep newest first in the file.
        for item in reversed(items):
            self._entry(feed, item, text)
        return feed

    def _feed(self, self_path: str, page: str, title: str, description: str, text: Callable[[str], str],
              newest: datetime | None) -> FeedGenerator:
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
        newest = newest or self.renderer.site.now
        feed.updated(newest)
        feed.lastBuildDate(newest)
        return feed

    def _entry(self, feed: FeedGenerator, item: Item, text: Callable[[str], str]) -> None:
        meta: Bulletin = item.meta  # type: ignore[assignment]
        link = self.absolute(item.url)
        first = self.absolute(feed_id_url(item))  # a moved bulletin keeps the id it was first announced with
        entry = feed.add_entry()
        entry.id(first)
        entry.guid(first, permalink=first == link)
        entry.title(text(meta.title))
        entry.link(href=link, rel="alternate")
        entry.description(text(meta.summary), isSummary=True)
        # A withdrawn bulletin stays in place, updated (meta.updated is its withdrawal), the notice leading its content.
        html = self.withdrawal_notice(item) + self.renderer.body(item)
        entry.content(cdata_safe(absolute_urls(html, link)), type="html")
        entry.published(meta.date)
        entry.pubDate(meta.date)
        entry.updated(meta.updated)
        for slug in meta.topics:
            entry.category(term=slug, label=self.renderer.site.taxonomy.label("topics", slug),
                           scheme=self.absolute("topics/"))
        if meta.author:
            entry.author(name=text(meta.author))


@dataclass(frozen=True)
class Update:
    """One line of the updates feed: something happened to a page on a day."""

    item: Item
    kind: str  # "change", "new" or "withdrawn"
    moment: datetime
    summary: str
    fragment: str  # added to the page's first address to make the entry's lasting id

    @property
    def heading(self) -> str:
        if self.kind == "new":
            return "New toolkit" if isinstance(self.item.meta, Toolkit) else "New in the directory"
        return {"change": "Updated", "withdrawn": "Withdrawn"}[self.kind]


def site_updates(site: Site, announced: list[Item]) -> list[Update]:
    """Every change note and withdrawal of a published page, and each of `announced` that gives its `published`
    day, newest first (ties by id, so the order is stable)."""
    updates: list[Update] = []
    for item in site.bulletins + announced:
        seen: dict[str, int] = {}
        for change in sorted(getattr(item.meta, "changes", []), key=lambda change: change.date):
            day = change.date.date().isoformat()
            seen[day] = seen.get(day, 0) + 1
            suffix = f"-{seen[day]}" if seen[day] > 1 else ""
            updates.append(Update(item, "change", change.date, change.note, f"#change-{day}{suffix}"))
        published = getattr(item.meta, "published", None)
        if published is not None and item in announced:
            updates.append(Update(item, "new", at_midnight(published), item.meta.summary, f"#new-{published}"))
        if item.withdrawn:
            block = item.meta.withdrawn  # type: ignore[attr-defined]
            updates.append(Update(item, "withdrawn", at_midnight(block.date), block.reason, f"#withdrawn-{block.date}"))
    return sorted(updates, key=lambda update: (update.moment, update.item.url, update.fragment), reverse=True)


def at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LONDON)

