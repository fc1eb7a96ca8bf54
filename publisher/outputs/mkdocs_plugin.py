"""The thin adapter between our pipeline and MkDocs.

MkDocs supplies the theme, navigation and output writing; every page's HTML comes from `render.py`.
Pages are handed over with empty Markdown so MkDocs converts nothing twice.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

import markdown
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from publisher.cache import CacheFile, code_digest
from publisher.content.checkcache import SourceMemory
from publisher.site.escaping import script_json
from publisher.outputs.cms import UnmappedField, editor_headers, write_admin
from publisher.outputs.deploy import current_commit
from publisher.outputs.feeds import FeedFile, FeedWriter
from publisher.outputs.hosting import content_security_policy, build_time, write_host_files
from publisher.findings import ContentError, Findings
from publisher.outputs.pages import ThemeWriter, Written, prepare
from publisher.outputs.reuse import PAGES_CACHE, PageMemory
from publisher.outputs.preview_errors import PreviewState, serve_errors
from publisher.outputs.preview_folder import PreviewFolder
from publisher.outputs.preview_watch import PreviewWatch
from publisher.outputs.redirects import RedirectClash, write_redirects
from publisher.outputs.search import SearchIndexFailed, has_search_body, search_document
from publisher.outputs.search_stage import SearchStage
from publisher.outputs.theme import list_theme_quickly, material_stylesheets
from publisher.site.render import OutputPage, Renderer, base_path, compiled_templates
from publisher.site.changes import Loaded, bodies_changed
from publisher.site.model import Site

log = logging.getLogger("mkdocs.plugins.publisher")
THEME_DIR = Path(__file__).parent.parent / "theme"
MANIFEST = "manifest.json"
CONVERSIONS_CACHE = "converted.pickle"
FEEDS_CACHE = "feeds.pickle"
PLACEHOLDER_HOST = "example.nhs.uk"  # the shipped mkdocs.yml's stand-in address


def site_url_for(configured: str | None) -> str | None:
    """SITE_URL in the environment wins, so a preview deploy links to itself rather than to the live site."""
    override = os.environ.get("SITE_URL", "").strip()
    if override:
        if not re.match(r"https?://[^/\s]+", override):
            raise PluginError(f'SITE_URL is "{override}", which is not a web address; write it in full, '
                              "e.g. SITE_URL=https://preview.example.org/")
        configured = override if override.endswith("/") else override + "/"
    if os.environ.get("CI") and PLACEHOLDER_HOST in (configured or ""):
        log.warning(f"site_url is still the placeholder {configured}: feeds, the sitemap and share links will "
                    "point there; set site_url in mkdocs.yml (or SITE_URL) to the real address")
    return configured


FINDINGS_HEADER = "The content has errors; fix them and build again:"


def findings_message(findings: Findings) -> str:
    lines = [finding.as_text() for finding in findings.sorted()]
    return FINDINGS_HEADER + "\n" + "\n".join(lines)


def problem_lines(error: PluginError) -> list[str]:
    """The `path:line: error: ...` lines of a failure, without the header the terminal puts above them."""
    lines = str(error).splitlines()
    return lines[1:] if lines[:1] == [FINDINGS_HEADER] else lines


def manifest_text(manifest: dict[str, Any]) -> str:
    """The manifest as JSON with each page, feed and redirect on a line of its own, readable in a diff.

    Written entry by entry because `json.dumps(indent=...)` gives up json's C encoder for Python code: a tenth of
    a second on every preview rebuild at 1,000 bulletins.
    """
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: `dumps` makes one per call for these options

    def field(name: str, value: Any) -> str:
        if isinstance(value, list) and value:
            entries = ",\n  ".join(map(encode, value))
            return f" {encode(name)}: [\n  {entries}\n ]"
        return f" {encode(name)}: {encode(value)}"

    return "{\n" + ",\n".join(field(name, value) for name, value in manifest.items()) + "\n}\n"


class PublisherPlugin(BasePlugin):
    def __init__(self) -> None:
        self.site: Site | None = None
        self.renderer: Renderer | None = None
        self.pages: dict[str, OutputPage] = {}
        self.unlisted: list[OutputPage] = []  # the pages `pages.py` writes, not MkDocs
        self.nav: Navigation | None = None
        self.theme_writer: ThemeWriter | None = None
        self.kept: dict[str, Any] = {}  # what the last preview made that the next can reuse, by cache name
        # Where `publisher build` will switch the new site in: the last build's pages there can be reused.
        self.previous_site: Path | None = None
        self.search = SearchStage()
        self.preview_folder = PreviewFolder()  # kept from one `mkdocs serve` rebuild to the next
        self.copied: list[tuple[str, str]] = []  # (dest, source) of the files MkDocs copies in this preview rebuild
        self.left_alone: list[str] = []  # and of those it need not, as the kept folder has them
        self.watch = PreviewWatch()
        self.previewing = False
        self.collector_paused = False
        self.loaded: Loaded | None = None  # the preview's site as this rebuild loaded it (`site/changes.py`)
        self.sources = SourceMemory()  # the preview's sources as last read
        self._compared: tuple[Loaded | None, frozenset[str] | None] = (None, None)
        # `publisher build` validates before MkDocs starts and hands the result over here.
        self.validated: Site | None = None
        # `mkdocs serve` keeps this plugin object from build to build; these hold what its error page shows.
        self.preview = PreviewState()
        self.preview_problems: list[str] | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.previewing = command == "serve"

    # In `mkdocs serve`, a failure in the three hooks below becomes the preview's error page (preview_errors.py)
    # instead of a failed build, which MkDocs answers by leaving every request waiting until a build succeeds.
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.preview_problems = None
        if self.previewing and gc.isenabled():
            # The preview's heap holds the last rebuild's pages and models; the cycle collector scanning it again
            # and again cost a tenth of each rebuild. It runs again once the browser has reloaded.
            gc.disable()
            self.collector_paused = True
        try:
            return self._on_config(config)
        except PluginError as exc:
            self._show_in_preview(exc)
            return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        if self.preview_problems is None:
            try:
                return self._on_files(files, config)
            except PluginError as exc:
                self._show_in_preview(exc)
        config.nav = None  # its pages are not built while the preview shows the problems
        return Files([])

    def on_post_build(self, config: MkDocsConfig) -> None:
        if self.previewing:
            self.preview_folder.take_back(Path(config.site_dir))
            self.preview_folder.record_copies(Path(config.site_dir), self.copied)
        if self.preview_problems is None:
            try:
                self._on_post_build(config)
            except PluginError as exc:
                self._show_in_preview(exc)
        self.preview.finished(self.preview_problems or [])
        self._resume_collector()

    def _resume_collector(self) -> None:
        if self.collector_paused:
            gc.enable()
            self.collector_paused = False

    def _show_in_preview(self, error: PluginError) -> None:
        """Outside `mkdocs serve`, fail the build as usual; in it, keep the problems for the error page."""
        if not self.previewing:
            raise error
        self.preview_problems = problem_lines(error) or [str(error)]
        log.error("The content has errors; the preview shows them at every address until they are fixed:")
        for line in self.preview_problems:
            log.error(line)

    def _on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if self.validated is not None:
            # Taken once: MkDocs keeps one plugin object per process, and the next build must load afresh.
            self.site, self.validated = self.validated, None
        else:
            self.site = self._load(Path(config.config_file_path).resolve().parent)
        if self.previewing:
            self.loaded, self._compared = Loaded.of(self.site), (None, None)
        config.theme.dirs.insert(0, str(THEME_DIR))
        list_theme_quickly(config.theme)
        config.site_url = site_url_for(config.site_url)
        return config

    def _load(self, root: Path) -> Site:
        from publisher.dates import BadSourceDateEpoch
        from publisher.content.validate import load_site

        try:
            site, findings = load_site(root, memory=self.sources if self.previewing else None)
        except BadSourceDateEpoch as exc:
            raise PluginError(str(exc)) from None
        for warning in findings.warnings:
            log.warning(warning.as_text())
        if site is None or findings.has_errors():
            raise PluginError(findings_message(findings))
        return site

    def _on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.site is not None
        self.renderer = Renderer(self.site, config.site_url or "http://localhost/", config.site_name)
        earlier = self._recall(CONVERSIONS_CACHE, self._conversions_key()) or {}
        if self.previewing and earlier:  # kept with the site they were made from
            loaded, earlier = earlier
            self.renderer.converter.only_bodies_changed = self._changed_since(loaded)
        self.renderer.converter.earlier = earlier
        try:
            pages = self.renderer.pages(parallel=not self.previewing)
            previews = self.renderer.previews() if self.previewing else []
        except ContentError as exc:  # the converter's last line of defence found what the checks missed
            raise PluginError(findings_message(exc.findings)) from None
        if self.previewing:
            for preview in previews:
                log.info(f"Previewing {preview.item.state} bulletin {preview.item.rel} at /{preview.url}")
            pages += previews
        self.pages = {page.src_uri: page for page in pages}
        kept = self._theme_files(files, config)
        in_nav = self._nav_uris(config)
        # MkDocs builds only the hand-ordered nav pages, which its navigation needs; `pages.py` writes the rest,
        # which readers reach through listings.
        generated = [File.generated(config, uri, content="") for uri in self.pages if uri in in_nav]
        self.unlisted = [page for uri, page in self.pages.items() if uri not in in_nav]
        return Files(self._to_copy(kept + generated + self._asset_files(config)))

    def _to_copy(self, files: list[File]) -> list[File]:
        """In a preview, leave out the files MkDocs would copy again unchanged into the kept folder."""
        self.copied, self.left_alone = [], []
        if not self.previewing:
            return files
        chosen = []
        for file in files:
            if file.abs_src_path and not file.is_documentation_page():
                if self.preview_folder.still_copied(file.dest_uri, file.abs_src_path):
                    self.left_alone.append(file.dest_uri)
                    continue
                self.copied.append((file.dest_uri, file.abs_src_path))
            chosen.append(file)
        return chosen

    def _recall(self, name: str, made_for: bytes) -> Any:
        """What the last preview kept in memory, else what the last build kept in `.cache/` (`publisher.cache`)."""
        assert self.site is not None
        if name in self.kept:
            return self.kept[name]
        return CacheFile(self.site.root, name).load(made_for)

    def _keep(self, name: str, made_for: bytes, value: Any) -> None:
        """A preview keeps what it made in memory for its next rebuild; a build keeps it in `.cache/`."""
        assert self.site is not None
        if self.previewing:
            self.kept[name] = value
        else:
            CacheFile(self.site.root, name).save(made_for, value)

    def _conversions_key(self) -> bytes:
        assert self.renderer is not None
        return hashlib.blake2b(code_digest() + repr((markdown.__version__, self.renderer.site_url)).encode(),
                               digest_size=16).digest()

    @staticmethod
    def _nav_uris(config: MkDocsConfig) -> set[str]:
        uris: set[str] = set()

        def walk(entries) -> None:
            for entry in entries or []:
                value = next(iter(entry.values())) if isinstance(entry, dict) else entry
                if isinstance(value, list):
                    walk(value)
                elif isinstance(value, str) and value.endswith(".md"):
                    uris.add(value)

        walk(config.nav)
        return uris

    def _asset_files(self, config: MkDocsConfig) -> list[File]:
        """The files `assets.py` checked and chose, copied as they are: those a published source lists or links to.

        `mkdocs serve` also copies the files of the draft and scheduled bulletins it previews.
        """
        assert self.site is not None
        return [File.generated(config, attachment.url, abs_src_path=str(attachment.path))
                for attachment in self.site.attachments if attachment.published or self.previewing]

    @staticmethod
    def _theme_files(files: Files, config: MkDocsConfig) -> list[File]:
        """The files MkDocs found, minus all of docs_dir's: content reaches the site only through our pipeline.

        MkDocs itself would render other Markdown endings (.markdown, .mkd…) and copy any other file there unchecked.
        A docs_dir file also hides the theme's file of the same name, so the theme's files are listed afresh.
        """
        docs_dir = Path(config.docs_dir).resolve()
        kept = [file for file in files if file.src_dir is None or Path(file.src_dir).resolve() != docs_dir]
        theme = Files([])
        theme.add_files_from_theme(config.theme.get_env(), config)  # quick: `theme.list_theme_quickly`
        present = {file.src_uri for file in kept}
        return kept + [file for file in theme if file.src_uri not in present]

    def on_env(self, env, config: MkDocsConfig, files: Files):
        """MkDocs' Jinja environment does not escape; ours must, since titles and summaries come from contributors.

        With autoescaping on, every value the theme prints is HTML-escaped unless it is already `Markup`: page bodies
        (our sanitised HTML), `super()` blocks, macros and `tojson` output.
        """
        env.autoescape = True
        env.bytecode_cache = compiled_templates
        env.filters["script_json"] = script_json
        env.globals["material_stylesheets"] = material_stylesheets()
        # Hosts serve the 404 page at any address, including ones no `_headers` rule covers; it carries its own.
        env.globals["page_security_policy"] = content_security_policy([], in_page=True)
        self.search.start(self.previewing)  # fed each content page from here on
        self.theme_writer = ThemeWriter(config, self.nav, env, files, keep_html=self.previewing)
        self.theme_writer.memory = self._page_memory()
        return env

    def _page_memory(self) -> PageMemory:
        """The pages of the last preview (in memory), or of the site the last build switched in (`reuse.py`)."""
        assert self.theme_writer is not None
        if self.previewing:
            # The last preview's pages, with the theme and the site they were made from.
            theme_key, loaded, earlier = self.kept.get(PAGES_CACHE, (None, None, None))
            same_theme = theme_key == self.theme_writer.theme_key
            return PageMemory(earlier, changed=self._changed_since(loaded) if same_theme else None)
        if self.site is None or self.previous_site is None:
            return PageMemory()
        stored = self._recall(PAGES_CACHE, self.theme_writer.theme_key)
        return PageMemory(*stored) if isinstance(stored, tuple) and stored[1] == self.previous_site else PageMemory()

    def _changed_since(self, loaded: Loaded | None) -> frozenset[str] | None:
        """The sources whose body alone changed since the preview loaded `loaded`; None if more changed."""
        if loaded is None or self.loaded is None:
            return None
        if loaded is not self._compared[0]:
            self._compared = (loaded, bodies_changed(loaded, self.loaded))
        return self._compared[1]

    def _remember_pages(self, written: list) -> None:
        assert self.theme_writer is not None
        rendered = {page.path: page.rendered for page in written if page.rendered is not None}
        if self.previewing:
            self._keep(PAGES_CACHE, b"", (self.theme_writer.theme_key, self.loaded, rendered))
        elif self.previous_site is not None:
            self._keep(PAGES_CACHE, self.theme_writer.theme_key, (rendered, self.previous_site))

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        return ""  # the page's HTML comes from our pipeline, in on_page_content

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        output = self.pages.get(page.file.src_uri)
        if output is None:
            return html
        prepare(page, output)
        return page.content

    def on_page_context(self, context, page: Page, config: MkDocsConfig, nav):
        output = self.pages.get(page.file.src_uri)
        context["publisher_page"] = output
        return context

    def on_post_page(self, output: str, page: Page, config: MkDocsConfig) -> str:
        if has_search_body(output):
            self.search.add("/" + page.url, search_document(output.encode("utf-8")), output)
        return output

    def _index_page(self, written: Written) -> None:
        if written.search is not None and written.rendered is not None:
            self.search.add(*written.search, written.rendered.key)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.search.stop()
        if self.previewing:
            self.preview_folder.set_aside(Path(config.site_dir))

    def on_build_error(self, error: Exception) -> None:
        self.search.stop()
        self._resume_collector()

    def on_shutdown(self) -> None:
        self.search.stop()
        self.preview_folder.discard()  # leave no preview folder behind in the temporary folder
        self.watch.stop()

    def _finish_index(self, site_dir: Path) -> None:
        if self.previewing:
            return  # after everything else (`_on_post_build`)
        try:
            self.search.finish_build(site_dir, self.previous_site, self._recall, self._keep)
        except SearchIndexFailed as exc:
            raise PluginError(str(exc)) from None

    def _on_post_build(self, config: MkDocsConfig) -> None:
        assert self.renderer is not None and self.theme_writer is not None
        site_dir = Path(config.site_dir)
        written = self.theme_writer.write_all(self.unlisted, parallel=not self.previewing, each=self._index_page)
        self._remember_pages(written)
        feeds = self._write_feeds(site_dir, config)
        self._write_manifest(site_dir, base_path(config.site_url), feeds)
        self._write_redirects_and_editor(site_dir, config)
        self._keep_conversions()
        # Everything above runs while Pagefind indexes the last pages; `_headers` lists the index's files.
        self._finish_index(site_dir)
        published = [page for page in self.pages.values() if page.kind != "preview"]
        # MkDocs' server reads no `_headers`, so a preview does not write one.
        write_host_files(site_dir, published, self.renderer.absolute, sections=editor_headers(),
                         known_hashes={page.path: page.script_hashes for page in written},
                         for_host=not self.previewing)
        if self.previewing:
            self.preview_folder.sweep(site_dir, reused=[page.path for page in written] + self.left_alone)
            self.search.finish_preview(site_dir)

    def _write_feeds(self, site_dir: Path, config: MkDocsConfig) -> list[FeedFile]:
        assert self.renderer is not None
        writer = FeedWriter(self.renderer, config.site_name, config.site_description or config.site_name,
                            self._recall(FEEDS_CACHE, b""))
        feeds = writer.files()
        for feed in feeds:
            (site_dir / feed.path).parent.mkdir(parents=True, exist_ok=True)
            (site_dir / feed.path).write_bytes(feed.content)
        self._keep(FEEDS_CACHE, b"", writer.made)
        return feeds

    def _write_manifest(self, site_dir: Path, root: str, feeds: list[FeedFile]) -> None:
        assert self.site is not None
        manifest = {
            "pages": [{"url": root + page.url, "kind": page.kind,
                       "source": page.item.rel if page.item else None, "title": page.title}
                      for page in sorted(self.pages.values(), key=lambda p: p.url)],
            "feeds": sorted(root + feed.path for feed in feeds),
            # Old addresses too, so `publisher check --against` notices a redirect that is later dropped.
            "redirects": [{"from": root + r.old, "to": root + r.new} for r in sorted(self.site.redirects,
                                                                                   key=lambda r: r.old)],
            "built": build_time(self.site.now),
            "commit": current_commit(self.site.root),
        }
        (site_dir / MANIFEST).write_text(manifest_text(manifest), encoding="utf-8")

    def _write_redirects_and_editor(self, site_dir: Path, config: MkDocsConfig) -> None:
        """Both before the host files, so `_headers` covers them. Pagefind is given only content pages, never
        these."""
        assert self.site is not None and self.renderer is not None
        try:
            write_redirects(site_dir, self.renderer)
        except RedirectClash as exc:
            raise PluginError(str(exc)) from None
        try:
            write_admin(site_dir, self.site.taxonomy, config.site_name, config.repo_url, config.site_url)
        except UnmappedField as exc:
            raise PluginError(str(exc)) from None

    def _keep_conversions(self) -> None:
        assert self.site is not None and self.renderer is not None
        conversions = self.renderer.converter.conversions(self.site.items)
        self._keep(CONVERSIONS_CACHE, self._conversions_key(), (self.loaded, conversions) if self.previewing
                   else conversions)

    def on_serve(self, server, config: MkDocsConfig, builder):
        root = Path(config.config_file_path).resolve().parent
        folders = [os.path.abspath(root / folder) for folder in ("bulletins", "toolkits", "content")
                   if (root / folder).is_dir()]
        self.watch.install(server, folders, os.path.abspath(config.docs_dir))
        serve_errors(server, self.preview)
        return server

