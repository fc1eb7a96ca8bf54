"""Convert each source's Markdown to HTML exactly once; pages, listings, feeds and search reuse the result.

Addresses are rewritten to site URLs while the HTML is sanitised, so a raw `<a href="../content/about.md">` is
treated exactly like a Markdown link. Before sanitising, the converter makes sure the sanitiser will remove
nothing: `publisher check` reports all of that at its line, and if something ever slipped past it, the build stops
with an error naming the file rather than publish a page with parts silently missing.
"""

from __future__ import annotations

import html
import multiprocessing
import os
from dataclasses import dataclass, field

import markdown
from markdown.extensions.toc import slugify

from publisher.content import rawhtml
from publisher.findings import ContentError, Findings
from publisher.content.links import LinkResolver
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
_forked: "Converter | None" = None  # the parent's converter, inherited by forked workers


@dataclass
class Converted:
    html: str
    toc: list[dict] = field(default_factory=list)


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

    def _site_address(self, address: str) -> str:
        """Where a kept address should point on the built site: source paths and site paths become site URLs."""
        try:
            resolved = self.resolver.resolve(self.from_rel, address)
        except ValueError:
            return address
        return address if resolved.url is None else self.base_path + resolved.url

    def convert(self, item: Item) -> Converted:
        cached = self._cache.get(item.rel)
        if cached is None:
            self.md.reset()
            self.from_rel = item.rel
            markup = self.md.convert(item.doc.body)
            refuse_removals(item, markup)
            cached = Converted(html=self.cleaner.clean(markup), toc=list(getattr(self.md, "toc_tokens", [])))
            self._cache[item.rel] = cached
        return cached

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

        Workers are forked so they inherit the site model instead of receiving it pickled. Only call this from a
        single-threaded process (a build, not `mkdocs serve`, whose server threads make forking unsafe).
        """
        global _forked
        pending = {item.rel: item for item in items if item.rel not in self._cache}
        workers = min(os.cpu_count() or 1, 8)
        if workers < 2 or len(pending) < PARALLEL_THRESHOLD:
            return
        _forked, self._pending = self, pending
        refused = Findings()
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for rel, result in pool.imap(_convert_in_worker, list(pending), chunksize=32):
                    if isinstance(result, Converted):
                        self._cache[rel] = result
                    else:
                        for path, line, message in result:
                            refused.error(path, line, "html", message)
        finally:
            _forked, self._pending = None, {}
        if refused.has_errors():
            raise ContentError(refused)


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


def _convert_in_worker(rel: str) -> tuple[str, Converted | list[tuple[str, int, str]]]:
    assert _forked is not None
    try:
        return rel, _forked.convert(_forked._pending[rel])
    except ContentError as refused:  # sent back as plain data: the exception itself does not pickle
        return rel, [(f.path, f.line, f.message) for f in refused.findings.errors]
