"""Write the site's pages through the theme, on every core, outside MkDocs' one-page-at-a-time loop.

MkDocs builds only the few pages in `nav`, which it needs for the section tabs. Every other page (thousands of
bulletins, listings and topics) is rendered here with MkDocs' own Jinja environment and the context MkDocs would
give it (`get_context`), so the theme cannot tell the difference. Doing it here lets forked workers share the
work and skips what MkDocs does per page that these pages do not need: a Markdown instance for an empty source,
and eight plugin events.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mkdocs.commands.build import get_context
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from publisher.outputs.hosting import script_hashes_in
from publisher.outputs.reuse import PageMemory, Rendered, file_stat, page_key, theme_key
from publisher.outputs.search import has_search_body, search_document
from publisher.parallel import fork_map
from publisher.site.escaping import Markup, plain_toc
from publisher.site.fingerprint import Fingerprints
from publisher.site.render import OutputPage

# Below this many pages, starting workers costs more than it saves.
PARALLEL_THRESHOLD = 300


@dataclass(frozen=True)
class Written:
    """What the rest of the build needs to know of a page once it is on disk."""
    path: str  # relative to the site folder
    script_hashes: frozenset[str]
    search: tuple[str, bytes] | None = None  # (address, UTF-8 HTML) of a page Pagefind indexes
    rendered: Rendered | None = None  # what the next build or preview needs to reuse it


@functools.lru_cache(maxsize=1 << 16)
def destination(site_dir: str, use_directory_urls: bool, src_uri: str) -> tuple[str, str, Path]:
    """(dest_uri, url, file path) of a page, as MkDocs places it: worked out once per process, as a preview
    rebuild asks again for thousands of pages that have not moved."""
    file = File(src_uri, src_dir=None, dest_dir=site_dir, use_directory_urls=use_directory_urls)
    return file.dest_uri, file.url, Path(file.abs_dest_path)


def prepare(page: Page, output: OutputPage) -> None:
    """Give MkDocs' page object what our page says: its title, description, body and contents list."""
    page.meta["title"] = output.title
    if output.description:
        page.meta["description"] = output.description
    page.toc = get_toc(plain_toc(output.toc))
    page.content = Markup(output.html)  # rendered by our escaping templates and sanitised: safe to print as it is


class ThemeWriter:
    def __init__(self, config: MkDocsConfig, nav: Navigation, env, files: Files,
                 memory: PageMemory | None = None, keep_html: bool = False) -> None:
        self.config = config
        self.nav = nav
        self.template = env.get_template("main.html")
        self.doc_files = files.documentation_pages()
        self.site_dir = Path(config.site_dir)
        self.memory = memory or PageMemory()
        self.keep_html = keep_html  # a preview keeps every page in memory, to write it again unchanged
        self.fingerprints = Fingerprints()
        config_text = Path(config.config_file_path).read_text(encoding="utf-8") if config.config_file_path else ""
        self.theme_key = theme_key(self.fingerprints, config_text, config.site_url,
                                   [(item.title, item.url) for item in nav.items] if nav else [])

    def html(self, output: OutputPage, page: Page) -> str:
        """The whole page, as MkDocs' `_build_page` would render it."""
        context = get_context(self.nav, self.doc_files, self.config, page)
        context["publisher_page"] = output
        page.active = True  # the theme's marker for the page being built
        return self.template.render(context)

    def write(self, output: OutputPage) -> Written:
        dest_uri, url, path = destination(self.config.site_dir, self.config.use_directory_urls, output.src_uri)
        unaffected = self.memory.unaffected(dest_uri)
        key, sources = (unaffected.key, unaffected.sources) if unaffected is not None \
            else page_key(self.fingerprints, self.theme_key, output)
        reused = self.memory.reuse(dest_uri, key, path)
        if reused is not None:
            data = reused.html
            if reused.searchable and data is None:
                data = path.read_bytes()
            rendered = reused
        else:
            page = Page(output.title, File.generated(self.config, output.src_uri, content=""), self.config)
            prepare(page, output)
            html = self.html(output, page)
            data = html.encode("utf-8", errors="xmlcharrefreplace")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            rendered = Rendered(key, frozenset(script_hashes_in(html)), has_search_body(html),
                                data if self.keep_html else None, file_stat(path), sources)
        search = ("/" + url, search_document(data)) if rendered.searchable and data is not None else None
        return Written(dest_uri, rendered.script_hashes, search, rendered)

    def write_all(self, pages: Iterable[OutputPage], parallel: bool,
                  each: Callable[[Written], None] = lambda written: None) -> list[Written]:
        """`each` sees every page as soon as it is written (the search indexer starts on it while the rest are)."""
        pages = list(pages)
        results = fork_map(self.write, pages, threshold=PARALLEL_THRESHOLD) if parallel else None
        written = []
        for page in results if results is not None else map(self.write, pages):
            each(page)
            written.append(replace(page, search=None))  # thousands of pages' HTML need not stay
        return written
