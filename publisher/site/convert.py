"""Convert each source's Markdown to HTML exactly once; pages, listings, feeds and search reuse the result.

Addresses are rewritten to site URLs while the HTML is sanitised, so a raw `<a href="../content/about.md">` is
treated exactly like a Markdown link. Before sanitising, the converter makes sure the sanitiser will remove
nothing: `publisher check` reports all of that at its line, and if something ever slipped past it, the build stops
with an error naming the file rather than publish a page with parts silently missing.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field

import markdown
from markdown.extensions.toc import slugify

from publisher.content import rawhtml
from publisher.findings import ContentError, Findings
from publisher.content.links import LinkResolver
from publisher.parallel import fork_map
from publisher.site.model import Item


def heading_id(value: str, separator: str) -> str:
    """A heading's anchor as the toc extension makes it, kept clear of the ids the site's own layout uses."""
    slug = slugify(value, separator)
    return f"section-{slug}" if rawhtml.reserved_id(slug) else slug


# attr_list and md_in_html are left out on purpose: they let Markdown add arbitrary attributes and raw blocks.
EXTENSIONS = ["abbr", "admonition", "def_list", "fenced_code", "footnotes", "sane_lists", "tables", "toc"]
EXTENSION_CONFIGS = {"toc": {"permalink": False, "toc_depth": "2-4", "slugify": heading_id},
                     "tables": {"use_align_attribute": True}}
# Below this many sources, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400


@dataclass
class Converted:
    html: str
    toc: list[dict] = field(default_factory=list)
    # Every address the sanitiser rewrote, and what it became: the HTML depends on other sources' addresses too.
    addresses: tuple[tuple[str, str], ...] = ()


class Converter:
    """One Markdown instance, reset between sources (creating one per page is a large share of build time)."""

    def __init__(self, resolver: LinkResolver, base_path: str = "/") -> None:
        self.md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
        self.resolver = resolver
        self.base_path = base_path
        self.from_rel = ""  # the source being converted, which relative links start from
        self.cleaner = rawhtml.cleaner(self._site_address)
        self._cache: dict[str, Converted] = {}
        self._inline_md: markdown.Markdown | None = None
        self._rewritten: list[tuple[str, str]] = []
        # Conversions from an earlier run, by source: (a digest of the body they were made from, the result).
        self.earlier: dict[str, tuple[bytes, Converted]] = {}
        # Set when all that changed since `earlier` was made is these sources' bodies (`site/changes.py`): every
        # address then leads where it did, and the other sources' conversions stand with nothing to check.
        self.only_bodies_changed: frozenset[str] | None = None

    def _site_address(self, address: str) -> str:
        """Where a kept address should point on the built site: source paths and site paths become site URLs."""
        site_address = self._resolve(self.from_rel, address)
        self._rewritten.append((address, site_address))
        return site_address

    def _resolve(self, from_rel: str, address: str) -> str:
        try:
            resolved = self.resolver.resolve(from_rel, address)
        except ValueError:
            return address
        return address if resolved.url is None else self.base_path + resolved.url

    def convert(self, item: Item) -> Converted:
        cached = self._cache.get(item.rel) or self._still_valid(item)
        if cached is None:
            self.md.reset()
            self.from_rel = item.rel
            self._rewritten = []
            markup = self.md.convert(item.doc.body)
            refuse_removals(item, markup)
            cached = Converted(html=self.cleaner.clean(markup), toc=list(getattr(self.md, "toc_tokens", [])))
            cached.addresses = tuple(self._rewritten)
        self._cache[item.rel] = cached
        return cached

    def _still_valid(self, item: Item) -> Converted | None:
        """An earlier run's conversion, if the body is the same and every address in it still leads where it did."""
        body, converted = self.earlier.get(item.rel, (None, None))
        if converted is None:
            return None
        if self.only_bodies_changed is not None:
            return None if item.rel in self.only_bodies_changed else converted
        if body != body_digest(item):
            return None
        if any(self._resolve(item.rel, address) != site_address for address, site_address in converted.addresses):
            return None
        return converted

    def conversions(self, items: list[Item]) -> dict[str, tuple[bytes, Converted]]:
        """What this run converted, by source, for the next run's `earlier`."""
        return {item.rel: (self._body_digest(item), self._cache[item.rel]) for item in items if item.rel in self._cache}

    def _body_digest(self, item: Item) -> bytes:
        kept = self.earlier.get(item.rel)
        if kept is not None and self.only_bodies_changed is not None and item.rel not in self.only_bodies_changed:
            return kept[0]  # the same body as then
        return body_digest(item)

    def inline(self, item: Item, text: str) -> str:
        """A sentence or two of Markdown from a front-matter field (a withdrawal reason) as sanitised inline HTML.

        Raw HTML is shown as text, never parsed, so the field can hold no markup the body checks have not seen.
        """
        if self._inline_md is None:
            self._inline_md = markdown.Markdown()
        self._inline_md.reset()
        self.from_rel = item.rel
        markup = self._inline_md.convert(html.escape(text, quote=False))
        return self.cleaner.clean(markup.removeprefix("<p>").removesuffix("</p>"))

    def convert_all(self, items: list[Item]) -> None:
        """Convert many sources on every core at once; results land in the same cache `convert` uses.

        Only call this from a single-threaded process (a build, not `mkdocs serve`): see `publisher.parallel`.
        """
        for item in items:
            if item.rel not in self._cache and (earlier := self._still_valid(item)) is not None:
                self._cache[item.rel] = earlier
        pending = [item for item in items if item.rel not in self._cache]
        results = fork_map(self._convert_or_refusals, pending, threshold=PARALLEL_THRESHOLD)
        if results is None:
            return
        refused = Findings()
        for item, result in zip(pending, results):
            if isinstance(result, Converted):
                self._cache[item.rel] = result
            else:
                for path, line, message in result:
                    refused.error(path, line, "html", message)
        if refused.has_errors():
            raise ContentError(refused)

    def _convert_or_refusals(self, item: Item) -> Converted | list[tuple[str, int, str]]:
        try:
            return self.convert(item)
        except ContentError as refused:  # sent back as plain data: the exception itself does not pickle
            return [(f.path, f.line, f.message) for f in refused.findings.errors]


def body_digest(item: Item) -> bytes:
    return hashlib.blake2b(item.doc.body.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def refuse_removals(item: Item, markup: str) -> None:
    """Raise ContentError if the sanitiser would remove anything from this page's HTML."""
    findings = Findings()
    for tag in rawhtml.scan(markup).tags:
        for removal in rawhtml.dropped(tag):
            findings.error(item.rel, _line_of(item, removal.clue), "html",
                           f"{removal.message} (found while building the page, so the line is a best guess)")
    if findings.has_errors():
        raise ContentError(findings)


def _line_of(item: Item, clue: str) -> int:
    """The first body line holding the clue, else the first body line."""
    position = item.doc.body.lower().find(clue.lower()) if clue else -1
    return item.doc.body_line + (item.doc.body.count("\n", 0, position) if position >= 0 else 0)
