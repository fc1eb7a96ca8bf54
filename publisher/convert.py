"""Convert each source's Markdown to HTML exactly once; pages, listings, feeds and search reuse the result."""

from __future__ import annotations

import multiprocessing
import os
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field

import markdown
from markdown.treeprocessors import Treeprocessor

from publisher.bodycheck import sanitise
from publisher.links import LinkResolver
from publisher.site import Item

# attr_list and md_in_html are left out on purpose: they let Markdown add arbitrary attributes and raw blocks.
EXTENSIONS = ["abbr", "admonition", "def_list", "fenced_code", "footnotes", "sane_lists", "tables", "toc"]
EXTENSION_CONFIGS = {"toc": {"permalink": False, "toc_depth": "2-4"}, "tables": {"use_align_attribute": True}}
# Below this many sources, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 400
_forked: "Converter | None" = None  # the parent's converter, inherited by forked workers


@dataclass
class Converted:
    html: str
    toc: list[dict] = field(default_factory=list)


class _RewriteLinks(Treeprocessor):
    """Turn links to source files into site URLs, rooted at the site's base path."""

    def __init__(self, md: markdown.Markdown, resolver: LinkResolver, base_path: str) -> None:
        super().__init__(md)
        self.resolver = resolver
        self.base_path = base_path
        self.from_rel = ""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            attribute = "href" if element.tag == "a" else "src" if element.tag == "img" else None
            if attribute and element.get(attribute):
                resolved = self.resolver.resolve(self.from_rel, element.get(attribute))
                if resolved.url is not None:
                    element.set(attribute, self.base_path + resolved.url)


class Converter:
    """One Markdown instance, reset between sources (creating one per page is a large share of build time)."""

    def __init__(self, resolver: LinkResolver, base_path: str = "/") -> None:
        self.md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
        self.links = _RewriteLinks(self.md, resolver, base_path)
        self.md.treeprocessors.register(self.links, "publisher_links", 1)
        self._cache: dict[str, Converted] = {}

    def convert(self, item: Item) -> Converted:
        cached = self._cache.get(item.rel)
        if cached is None:
            self.md.reset()
            self.links.from_rel = item.rel
            html = sanitise(self.md.convert(item.doc.body))
            cached = Converted(html=html, toc=list(getattr(self.md, "toc_tokens", [])))
            self._cache[item.rel] = cached
        return cached

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
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for rel, converted in pool.imap(_convert_in_worker, list(pending), chunksize=32):
                    self._cache[rel] = converted
        finally:
            _forked, self._pending = None, {}


def _convert_in_worker(rel: str) -> tuple[str, Converted]:
    assert _forked is not None
    return rel, _forked.convert(_forked._pending[rel])
