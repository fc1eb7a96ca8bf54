"""The search stage of a build or preview: which pages Pagefind gets, when, and when the last index can stay.

- A build feeds Pagefind (`search.SearchIndexer`) each page as it is written, so it indexes on another core while
  the rest are rendered. If every page it was given is the same as for the site being replaced, that site's index
  is hard-linked instead of written (`search.pickle` keeps a digest of the pages and each index file's identity).
- A preview collects the pages and indexes them after the browser has reloaded, in the background; an edit made
  meanwhile stops that at once. A save that changed no searchable page (an editor's autosave) keeps the index.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from publisher.cache import code_digest
from publisher.outputs.search import BUNDLE, FedPages, SearchIndexer, SearchIndexFailed, bundle_files, link_bundle

log = logging.getLogger("mkdocs.plugins.publisher")
SEARCH_CACHE = "search.pickle"
RELOAD_HEADSTART = 1.0  # seconds a preview's browser has to reload before its search index is made

Recall = Callable[[str, bytes], Any]
Keep = Callable[[str, bytes, Any], None]


class SearchStage:
    def __init__(self) -> None:
        self.indexer: SearchIndexer | None = None  # a build's, fed each page as it is written
        self.background: SearchIndexer | None = None  # a preview's, made after the reload
        self.waiting: list[tuple[str, bytes]] = []  # a preview's pages until then
        self.fed = FedPages()  # what this build or preview gives Pagefind
        self.preview_indexed: bytes | None = None  # the pages the preview's current index was made from
        self.headstart: threading.Timer | None = None  # a preview's indexing, until it starts

    def start(self, previewing: bool) -> None:
        self.stop()
        self.indexer = None if previewing else SearchIndexer()
        self.waiting, self.fed = [], FedPages()

    def add(self, url: str, html: bytes, identity: str | bytes) -> None:
        """`identity` stands for the page in the digest of what is indexed (`FedPages`): its key, where it has one.

        A preview's pages wait as bytes, decoded in the background.
        """
        self.fed.add(url, identity)
        if self.indexer is not None:
            self.indexer.add_searchable(url, html.decode("utf-8"))
        else:
            self.waiting.append((url, html))

    def stop(self) -> None:
        """Stop Pagefind: after a failed build, at shutdown, and when a preview's pages change again before their
        index is written (it would be out of date), without waiting for the pages it has not indexed yet."""
        if self.headstart is not None:
            self.headstart.cancel()
        for indexer in (self.indexer, self.background):
            if indexer is not None:
                indexer.abort()
        self.indexer = self.background = self.headstart = None

    def finish_build(self, site_dir: Path, previous_site: Path | None, recall: Recall, keep: Keep) -> None:
        """Write the index into site_dir, or link the one in `previous_site` if it was made from the same pages.

        Raises SearchIndexFailed.
        """
        indexer, self.indexer = self.indexer, None
        assert indexer is not None
        fed, key = self.fed.digest(), _search_key()
        earlier = recall(SEARCH_CACHE, key) if previous_site is not None else None
        if isinstance(earlier, tuple) and earlier[:2] == (fed, previous_site) \
                and link_bundle(previous_site, site_dir, earlier[2]):
            indexer.abort()  # the same pages as the site being replaced: its index is theirs, unchanged
        else:
            indexer.finish(site_dir)
        if previous_site is not None:
            keep(SEARCH_CACHE, key, (fed, previous_site, bundle_files(site_dir)))

    def finish_preview(self, site_dir: Path) -> None:
        """The preview reloads as soon as its pages are written; search catches up a moment later.

        The indexing starts `RELOAD_HEADSTART` seconds later: feeding Pagefind thousands of pages keeps Python's
        interpreter lock busy, and would slow the rebuild's last steps and the server answering the reload.
        """
        pages, self.waiting, fed = self.waiting, [], self.fed.digest()
        if fed == self.preview_indexed and (site_dir / BUNDLE).is_dir():
            return
        self.preview_indexed = None
        self.background = SearchIndexer()

        def indexed() -> None:
            self.preview_indexed = fed

        self.headstart = threading.Timer(RELOAD_HEADSTART, _index_aside,
                                         args=(self.background, pages, site_dir, indexed))
        self.headstart.name, self.headstart.daemon = "preview-index", True
        self.headstart.start()


def _search_key() -> bytes:
    return hashlib.blake2b(code_digest() + version("pagefind").encode(), digest_size=16).digest()


def _index_aside(indexer: SearchIndexer, pages: list[tuple[str, bytes]], site_dir: Path,
                 indexed: Callable[[], None]) -> None:
    """Index a preview's pages, write the index aside and move it in when done: the next rebuild may start
    meanwhile, and moves site_dir aside (`preview_folder.py`) while files would be written into it."""
    aside = Path(tempfile.mkdtemp(prefix="publisher-search-"))
    try:
        for url, html in pages:
            indexer.add_searchable(url, html.decode("utf-8"))
        indexer.finish(aside)
        if (aside / BUNDLE).is_dir() and site_dir.is_dir():
            shutil.rmtree(site_dir / BUNDLE, ignore_errors=True)
            shutil.move(aside / BUNDLE, site_dir / BUNDLE)
            indexed()
    except SearchIndexFailed as exc:
        log.error(f"{exc}; search in the preview is out of date")
    except OSError:
        pass  # the preview moved on (a rebuild moved site_dir aside, or it stopped): a newer index follows
    finally:
        shutil.rmtree(aside, ignore_errors=True)
