"""Render the site model into pages: each a URL, a title and HTML for the theme to wrap.

Nothing here knows about MkDocs; `mkdocs_plugin.py` hands these pages to it.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

from jinja2 import BytecodeCache, Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from publisher import dates
from publisher.site.convert import Converter
from publisher.content.assets import file_size
from publisher.content.links import LinkResolver
from publisher.content.models import Toolkit
from publisher.site.indexing import SEARCH_URL, searchable
from publisher.site.model import Item, Site
from publisher.site.wayfinding import Crumb, place

PER_PAGE = 20
# URL parameter -> (taxonomy vocabulary, legend) and -> DirectoryEntry field, in the order readers see them.
DIRECTORY_FILTERS = {
    "region": ("regions", "Region"),
    "topic": ("topics", "Topic"),
    "approach": ("approaches", "Approach"),
    "audience": ("audiences", "Who it reaches"),
    "evidence": ("evidence", "Evidence"),
}
DIRECTORY_FIELDS = {"region": "region", "topic": "topics", "approach": "approaches", "audience": "audiences",
                    "evidence": "evidence"}
SUBSCRIBE_URL = "subscribe/"
HOME_LATEST = 6


@dataclass
class Feed:
    title: str
    url: str
    kind: str = "rss"  # or "atom"


@dataclass(frozen=True)
class Deferred:
    """A content template and its values, rendered only when the page is written.

    A build renders thousands of bulletins and listings; deferring them lets the workers that write the pages
    render them too, on every core, instead of the parent doing it first on one.
    """
    renderer: Renderer
    template: str
    context: dict
    searchable: Item | None = None  # the content page whose HTML is wrapped for Pagefind

    def render(self) -> str:
        html = self.renderer._render(self.template, **self.context)
        return searchable(html, self.searchable, self.renderer.site) if self.searchable else html


@dataclass
class OutputPage:
    url: str
    title: str
    content: str | Deferred  # the page's HTML, or how to render it when first needed
    kind: str
    description: str = ""
    toc: list[dict] = field(default_factory=list)
    feeds: list[Feed] = field(default_factory=list)
    item: Item | None = None
    structured_data: list[dict] = field(default_factory=list)  # schema.org JSON-LD objects, each written by the
    # theme as a <script> of its own through `script_json`
    breadcrumbs: list[Crumb] = field(default_factory=list)  # set by `wayfinding.place`, as is `section`
    section: str = ""

    @property
    def src_uri(self) -> str:
        return f"{self.url}index.md"

    @property
    def html(self) -> str:
        if isinstance(self.content, Deferred):
            self.content = self.content.render()
        return self.content


@dataclass
class Pagination:
    number: int
    count: int
    urls: list[str]

    @property
    def previous(self) -> str | None:
        return self.urls[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.urls[self.number] if self.number < self.count else None


def page_urls(base: str, total: int) -> list[str]:
    count = max(1, math.ceil(total / PER_PAGE))
    return [base] + [f"{base}page/{n}/" for n in range(2, count + 1)]


def site_feeds() -> list[Feed]:
    return [Feed("All bulletins (RSS)", "feed.xml"), Feed("All bulletins (Atom)", "atom.xml", "atom")]


def updates_feeds() -> list[Feed]:
    """Change notes, new toolkits and directory entries, and withdrawals across the site (outputs/feeds.py)."""
    return [Feed("Updates to toolkits and the directory (RSS)", "updates.xml"),
            Feed("Updates to toolkits and the directory (Atom)", "updates.atom", "atom")]


def topic_feeds(site: Site, slug: str) -> list[Feed]:
    label = site.taxonomy.label("topics", slug)
    return [Feed(f"{label} (RSS)", f"topics/{slug}/feed.xml"), Feed(f"{label} (Atom)", f"topics/{slug}/atom.xml", "atom")]


def toolkit_sections(downloads: list, opportunities: list, links: list) -> list[dict]:
    """The sections toolkit.html adds after the body, as contents entries, so the contents list names them all."""
    present = [("downloads", "Forms and templates", downloads), ("opportunities", "Open opportunities", opportunities),
               ("links", "Useful links", links)]
    return [{"level": 2, "id": anchor, "name": name, "children": []} for anchor, name, shown in present if shown]


def base_path(site_url: str | None) -> str:
    path = urlsplit(site_url or "/").path or "/"
    return path if path.endswith("/") else path + "/"


class CompiledTemplates(BytecodeCache):
    """Jinja templates compiled once per process, whichever environment loads them.

    MkDocs makes a new Jinja environment for every `mkdocs serve` rebuild, and so does each build's renderer;
    compiling the templates again took about half a second each time. Jinja checks each entry against its
    template's source, so an edited template is compiled afresh. Kept in memory only: compiled code read back from
    disk would run whatever was put there.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()



compiled_templates = CompiledTemplates()


@functools.lru_cache(maxsize=1 << 16)
def absolute_address(site_url: str, path: str) -> str:
    """Kept for the process: a preview's every rebuild asks again for the same few thousand addresses."""
    return urljoin(site_url, path)


class Renderer:
    def __init__(self, site: Site, site_url: str = "http://localhost/", site_name: str = "") -> None:
        self.site = site
        self.site_url = site_url
        self.site_name = site_name
        self.base_path = base_path(site_url)
        self._absolute: dict[str, str] = {}
        self.converter = Converter(LinkResolver(site.root, site.items, site_url), self.base_path)
        self.env = Environment(loader=PackageLoader("publisher", "templates"), autoescape=select_autoescape(),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                               bytecode_cache=compiled_templates)
        self.env.globals.update(url=self.url, absolute=self.absolute, long_date=dates.long_date, label=site.taxonomy.label,
                                taxonomy=site.taxonomy, file_size=file_size)
        self.env.globals["withdrawal_reason"] = self.withdrawal_reason
        self.bulletins = site.bulletins

    def withdrawal_reason(self, item: Item) -> str:
        """The withdrawal reason's Markdown as sanitised inline HTML, for the notice at the top of the page."""
        # Markup: the converter's sanitised HTML, with any HTML in the reason shown as text.
        return Markup(self.converter.inline(item, item.meta.withdrawn.reason))  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        return self.base_path + path

    def absolute(self, path: str) -> str:
        known = self._absolute.get(path)
        if known is None:  # asked for tens of thousands of times per build, for a few thousand addresses
            known = self._absolute[path] = absolute_address(self.site_url, self.url(path))
        return known

    def _render(self, template: str, **context) -> str:
        return self.env.get_template(template).render(**context)

    def body(self, item: Item) -> str:
        return self.converter.convert(item).html

    def pages(self, parallel: bool = False) -> list[OutputPage]:
        if parallel:
            self.converter.convert_all(self.site.items)
        pages = [self.home()]
        pages += [self.bulletin(i, item) for i, item in enumerate(self.bulletins)]
        pages += self.archive()
        pages += self.topics()
        pages.append(self.toolkit_index())
        pages += [self.toolkit(item) for item in self.site.toolkits]
        pages.append(self.directory_index())
        pages += [self.entry(item) for item in self.site.entries]
        pages += [self.page(item) for item in self.site.pages if item.url != ""]
        pages.append(self.search_page())
        place(pages, self.absolute)
        return pages

    def previews(self) -> list[OutputPage]:
        """Draft and scheduled bulletins, marked as such, for `mkdocs serve` only: never in a built site."""
        previews = []
        for item in self.site.unpublished:
            converted = self.converter.convert(item)
            html = self._render("bulletin.html", item=item, meta=item.meta, body=converted.html,
                                newer=None, older=None, feeds=[])
            banner = self._render("preview_banner.html", item=item)
            previews.append(OutputPage(item.url, f"[{item.state.upper()}] {item.title}", banner + html, "preview",
                                       item.meta.summary, converted.toc, [], item))
        return previews

    def search_page(self) -> OutputPage:
        years = sorted({item.meta.date.year for item in self.bulletins}, reverse=True)
        return OutputPage(SEARCH_URL, "Search", self._render("search.html", years=years), "search",
                          "Search bulletins, toolkits, the directory and pages.", feeds=site_feeds())

    def home(self) -> OutputPage:
        intro = next((item for item in self.site.pages if item.url == ""), None)
        title = intro.title if intro else "Home"
        html = self._render("home.html", title=title, intro=self.body(intro) if intro else "",
                            latest=self.site.listed_bulletins[:HOME_LATEST],
                            toolkits=[t for t in self.site.toolkits if t.listed])
        return OutputPage("", title, html, "home", getattr(intro.meta, "summary", "") if intro else "",
                          feeds=site_feeds(), item=intro)

    def bulletin(self, index: int, item: Item) -> OutputPage:
        newer = self.bulletins[index - 1] if index > 0 else None
        older = self.bulletins[index + 1] if index + 1 < len(self.bulletins) else None
        feeds = [feed for slug in item.meta.topics for feed in topic_feeds(self.site, slug)]
        converted = self.converter.convert(item)
        html = Deferred(self, "bulletin.html", dict(item=item, meta=item.meta, body=converted.html, newer=newer,
                                                    older=older, feeds=feeds, toc=converted.toc), item)
        return OutputPage(item.url, item.title, html, "bulletin", item.meta.summary, converted.toc,
                          site_feeds() + feeds, item, [self.news_article(item)])

    def news_article(self, item: Item) -> dict:
        """schema.org NewsArticle, so search engines show the bulletin's date and publisher."""
        meta = item.meta
        publisher = {"@type": "Organization", "name": self.site_name, "url": self.absolute("")}
        author = {"@type": "Organization", "name": meta.author} if meta.author else publisher
        return {
            "@context": "https://schema.org", "@type": "NewsArticle",
            "headline": meta.title, "description": meta.summary, "url": self.absolute(item.url),
            "mainEntityOfPage": self.absolute(item.url), "datePublished": meta.date.isoformat(),
            "dateModified": meta.updated.isoformat(),
            "author": author, "publisher": publisher,
        }

    def listing(self, base: str, title: str, items: list[Item], intro: str = "",
                feeds: list[Feed] | None = None, extra: dict | None = None) -> list[OutputPage]:
        urls = page_urls(base, len(items))
        pages = []
        for number, url in enumerate(urls, start=1):
            chunk = items[(number - 1) * PER_PAGE: number * PER_PAGE]
            by_year: dict[int, list[Item]] = defaultdict(list)
            for item in chunk:
                by_year[item.meta.date.year].append(item)
            pagination = Pagination(number, len(urls), urls)
            heading = title if number == 1 else f"{title} (page {number} of {len(urls)})"
            html = Deferred(self, "listing.html", dict(title=heading, groups=sorted(by_year.items(), reverse=True),
                                                       intro=intro, pagination=pagination, feeds=feeds or [],
                                                       total=len(items), **(extra or {})))
            pages.append(OutputPage(url, heading, html, "listing", intro, feeds=site_feeds() + (feeds or [])))
        return pages

    def archive(self) -> list[OutputPage]:
        years: dict[int, list[Item]] = defaultdict(list)
        for item in self.bulletins:
            years[item.meta.date.year].append(item)
        year_links = sorted(years, reverse=True)
        pages = self.listing("bulletins/", "Bulletins and news", self.bulletins,
                             "Every bulletin and news item, newest first.", extra={"years": year_links})
        for year in year_links:
            pages += self.listing(f"bulletins/{year}/", f"Bulletins and news from {year}", years[year],
                                  f"Bulletins and news items published in {year}.", extra={"years": year_links})
        return pages

    def topics(self) -> list[OutputPage]:
        by_topic: dict[str, list[Item]] = defaultdict(list)
        for item in self.bulletins:
            for slug in item.meta.topics:
                # A topic whose bulletins are all withdrawn keeps its page and feeds, so no address disappears.
                by_topic.setdefault(slug, [])
                if not item.withdrawn:
                    by_topic[slug].append(item)
        ordered = [slug for slug in self.site.taxonomy.topics if slug in by_topic]
        html = self._render("topics.html", topics=[(slug, len(by_topic[slug])) for slug in ordered])
        pages = [OutputPage("topics/", "Topics", html, "listing", "Bulletins grouped by topic.",
                            feeds=site_feeds())]
        for slug in ordered:
            term = self.site.taxonomy.topics[slug]
            pages += self.listing(f"topics/{slug}/", f"Topic: {term.label}", by_topic[slug], term.description,
                                  topic_feeds(self.site, slug), extra={"topic": slug, "topic_links": ordered})
        return pages

    def toolkit_index(self) -> OutputPage:
        by_setting = {slug: [t for t in self.site.toolkits if t.meta.setting == slug and t.listed]
                      for slug in self.site.taxonomy.settings}
        html = self._render("toolkits.html", by_setting=by_setting)
        return OutputPage("toolkits/", "Work experience toolkits", html, "listing",
                          "Guidance, forms and templates for hosting work experience in each setting.",
                          feeds=site_feeds())

    def toolkit(self, item: Item) -> OutputPage:
        meta: Toolkit = item.meta  # type: ignore[assignment]
        folder = item.source.path.parent
        downloads = [(download, PurePosixPath(download.file).suffix.lstrip(".").upper(),
                      file_size((folder / download.file).stat().st_size), f"{item.url}{download.file}")
                     for download in meta.downloads]
        today = self.site.now.date()
        opportunities = sorted((o for o in meta.opportunities if o.closes >= today), key=lambda o: o.closes)
        converted = self.converter.convert(item)
        toc = converted.toc + toolkit_sections(downloads, opportunities, meta.links)
        html = searchable(self._render("toolkit.html", item=item, meta=meta, body=converted.html,
                                       downloads=downloads, opportunities=opportunities, toc=toc), item, self.site)
        return OutputPage(item.url, item.title, html, "toolkit", meta.summary, toc, site_feeds(), item)

    def directory_filters(self) -> list[tuple[str, str, list[tuple[str, str, int]]]]:
        """(group, legend, [(slug, label, count)]) for every filter group, only options that have entries."""
        groups = []
        for name, (vocabulary, legend) in DIRECTORY_FILTERS.items():
            counts: dict[str, int] = defaultdict(int)
            for item in self.listed_entries():
                value = getattr(item.meta, DIRECTORY_FIELDS[name])
                for slug in value if isinstance(value, list) else [value]:
                    counts[slug] += 1
            terms = getattr(self.site.taxonomy, vocabulary)
            options = [(slug, terms[slug].label, counts[slug]) for slug in terms if counts[slug]]
            groups.append((name, legend, options))
        return groups

    def listed_entries(self) -> list[Item]:
        return [item for item in self.site.entries if item.listed]

    def directory_index(self) -> OutputPage:
        html = self._render("directory.html", entries=self.listed_entries(), filters=self.directory_filters(),
                            fields=DIRECTORY_FIELDS)
        return OutputPage("directory/", "Best-practice directory", html, "listing",
                          "Widening participation initiatives that others can learn from.", feeds=site_feeds())

    def entry(self, item: Item) -> OutputPage:
        converted = self.converter.convert(item)
        html = searchable(self._render("entry.html", item=item, meta=item.meta, body=converted.html,
                                       toc=converted.toc), item, self.site)
        return OutputPage(item.url, item.title, html, "entry", item.meta.summary, converted.toc, site_feeds(), item)

    def all_feeds(self) -> list[Feed]:
        topics = {slug for item in self.bulletins for slug in item.meta.topics}
        return site_feeds() + [feed for slug in self.site.taxonomy.topics if slug in topics
                               for feed in topic_feeds(self.site, slug)] + updates_feeds()

    def page(self, item: Item) -> OutputPage:
        converted = self.converter.convert(item)
        catalogue = self.all_feeds() if item.url == SUBSCRIBE_URL else []
        html = searchable(self._render("page.html", item=item, body=converted.html, catalogue=catalogue,
                                       toc=converted.toc), item, self.site)
        return OutputPage(item.url, item.title, html, "page", item.meta.summary or "", converted.toc,
                          site_feeds(), item)
