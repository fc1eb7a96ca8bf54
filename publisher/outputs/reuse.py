"""Reuse pages whose inputs have not changed since the last build or preview, instead of rendering them again.

Each page's key is a digest of everything its HTML is made from (`page_key`): its content template and values,
or its finished content; its title, description, contents list, feeds, breadcrumbs and structured data; and
`theme_key`, which covers the rest: the publisher's code, templates and theme, the MkDocs and Material versions,
mkdocs.yml, the site address and the navigation. A page with the key it had last time is:
- in `mkdocs serve`, left where it is if its file is unchanged (`preview_folder.py`), else written from the bytes
  kept in memory;
- in `publisher build`, hard-linked from the site the last build switched in, if the file there is still the one
  it wrote (same inode, size and modification time); otherwise it is rendered again.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import material
import mkdocs

from publisher.cache import code_digest
from publisher.site.fingerprint import Fingerprints
from publisher.site.render import Deferred, OutputPage

PAGES_CACHE = "pages.pickle"


@dataclass(frozen=True)
class Rendered:
    """A page as it was last written."""
    key: bytes
    script_hashes: frozenset[str]
    searchable: bool  # Pagefind indexes it, so a build that reuses it still reads it for the index
    html: bytes | None = None  # kept by a preview, to write the page again if its file has gone
    stat: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) of the file as written
    sources: frozenset[str] = frozenset()  # the sources it shows, by path: its key changes when any of them does


def theme_key(fingerprints: Fingerprints, config_text: str, site_url: str | None, nav_titles: list) -> bytes:
    return fingerprints.of(code_digest(), mkdocs.__version__, getattr(material, "__version__", ""), config_text,
                           site_url, nav_titles)


def page_key(fingerprints: Fingerprints, theme: bytes, page: OutputPage) -> tuple[bytes, frozenset[str]]:
    """The page's key, and the sources (by path) it shows."""
    content = page.content
    made_from = ("deferred", content.template, content.context, content.searchable) \
        if isinstance(content, Deferred) else ("html", content)
    return fingerprints.of_with_sources(theme, page.url, page.title, page.kind, page.description, page.toc,
                                        page.feeds, page.item, page.structured_data, page.breadcrumbs, page.section,
                                        made_from)


class PageMemory:
    def __init__(self, earlier: dict[str, Rendered] | None = None, earlier_site: Path | None = None,
                 changed: frozenset[str] | None = None) -> None:
        self.earlier = earlier or {}
        self.earlier_site = earlier_site
        # The sources whose body alone changed since those pages were made, when nothing else did
        # (`site/changes.py`); None when anything else may have.
        self.changed = changed

    def unaffected(self, dest: str) -> Rendered | None:
        """Last time's page, when it cannot have changed: it shows none of the sources that did, and nothing else
        did. Its key then needs no working out again."""
        prior = self.earlier.get(dest) if self.changed is not None else None
        return prior if prior is not None and prior.sources.isdisjoint(self.changed) else None  # type: ignore[arg-type]

    def reuse(self, dest: str, key: bytes, path: Path) -> Rendered | None:
        """Put last time's page at `path` if its key is unchanged; None if it must be rendered."""
        prior = self.earlier.get(dest)
        if prior is None or prior.key != key:
            return None
        if prior.stat is not None and prior.stat == file_stat(path):
            return prior  # still where it was written: a preview keeps its folder (`preview_folder.py`)
        if prior.html is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(prior.html)
        elif not self._link(dest, prior, path):
            return None
        return replace(prior, stat=file_stat(path))  # a copy where hard links fail is a new file

    def _link(self, dest: str, prior: Rendered, path: Path) -> bool:
        if self.earlier_site is None or prior.stat is None:
            return False
        source = self.earlier_site / dest
        try:
            found = source.stat()
            if (found.st_ino, found.st_size, found.st_mtime_ns) != prior.stat:
                return False  # not the file the last build wrote: changed by hand, or that build was not switched in
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, path)
            except OSError:  # another file system, or one without hard links
                shutil.copy2(source, path)
        except OSError:
            return False
        return True


def file_stat(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns
