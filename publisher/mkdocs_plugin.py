"""The thin adapter between our pipeline and MkDocs.

MkDocs supplies the theme, navigation and output writing; every page's HTML comes from `render.py`.
Pages are handed over with empty Markdown so MkDocs converts nothing twice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from publisher.feeds import FeedWriter
from publisher.findings import Findings
from publisher.search import SearchIndexFailed, build_index
from publisher.render import OutputPage, Renderer, base_path
from publisher.site import Site
from publisher.sources import TAXONOMY, asset_url

log = logging.getLogger("mkdocs.plugins.publisher")
THEME_DIR = Path(__file__).parent / "theme"
MANIFEST = "manifest.json"


def findings_message(findings: Findings) -> str:
    lines = [finding.as_text() for finding in findings.sorted()]
    return "The content has errors; fix them and build again:\n" + "\n".join(lines)


class PublisherPlugin(BasePlugin):
    def __init__(self) -> None:
        self.site: Site | None = None
        self.renderer: Renderer | None = None
        self.pages: dict[str, OutputPage] = {}
        self.previewing = False
        # `publisher build` validates before MkDocs starts and hands the result over here.
        self.validated: Site | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.previewing = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if self.validated is not None:
            self.site = self.validated
        else:
            self.site = self._load(Path(config.config_file_path).resolve().parent)
        config.theme.dirs.insert(0, str(THEME_DIR))
        return config

    @staticmethod
    def _load(root: Path) -> Site:
        from publisher.validate import load_site

        site, findings = load_site(root)
        for warning in findings.warnings:
            log.warning(warning.as_text())
        if site is None or findings.has_errors():
            raise PluginError(findings_message(findings))
        return site

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.site is not None
        self.renderer = Renderer(self.site, config.site_url or "http://localhost/")
        pages = self.renderer.pages(parallel=not self.previewing)
        if self.previewing:
            previews = self.renderer.previews()
            for preview in previews:
                log.info(f"Previewing {preview.item.state} bulletin {preview.item.rel} at /{preview.url}")
            pages += previews
        self.pages = {page.src_uri: page for page in pages}
        kept = [f for f in files if not f.src_uri.endswith(".md") and f.src_uri != TAXONOMY.removeprefix("content/")]
        in_nav = self._nav_uris(config)
        # Only the hand-ordered nav pages count as "in nav"; the rest are reached through listings.
        generated = [File.generated(config, uri, content="",
                                    inclusion=InclusionLevel.UNDEFINED if uri in in_nav else InclusionLevel.NOT_IN_NAV)
                     for uri in self.pages]
        return Files(kept + generated + self._asset_files(config))

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
        """Toolkit downloads and files beside bulletins, copied as they are."""
        assert self.site is not None
        root = self.site.root
        assets = []
        for folder in ("toolkits", "bulletins"):
            for path in sorted((root / folder).rglob("*")):
                if path.is_file() and path.suffix != ".md" and not path.name.startswith("."):
                    uri = asset_url(path.relative_to(root).as_posix())
                    assets.append(File.generated(config, uri, abs_src_path=str(path)))
        return assets

    def on_page_markdown(self, markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        output = self.pages.get(page.file.src_uri)
        if output is not None:
            page.meta["title"] = output.title
            if output.description:
                page.meta["description"] = output.description
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        output = self.pages.get(page.file.src_uri)
        if output is None:
            return html
        page.toc = get_toc(output.toc)
        return output.html

    def on_page_context(self, context, page: Page, config: MkDocsConfig, nav):
        output = self.pages.get(page.file.src_uri)
        context["publisher_page"] = output
        return context

    def on_post_build(self, config: MkDocsConfig) -> None:
        assert self.renderer is not None
        site_dir = Path(config.site_dir)
        writer = FeedWriter(self.renderer, config.site_name, config.site_description or config.site_name)
        feeds = writer.files()
        for feed in feeds:
            (site_dir / feed.path).parent.mkdir(parents=True, exist_ok=True)
            (site_dir / feed.path).write_bytes(feed.content)
        root = base_path(config.site_url)
        manifest = {
            "pages": [{"url": root + page.url, "kind": page.kind,
                       "source": page.item.rel if page.item else None, "title": page.title}
                      for page in sorted(self.pages.values(), key=lambda p: p.url)],
            "feeds": sorted(root + feed.path for feed in feeds),
        }
        target = site_dir / MANIFEST
        target.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        try:
            build_index(site_dir)
        except SearchIndexFailed as exc:
            raise PluginError(str(exc)) from None

    def on_serve(self, server, config: MkDocsConfig, builder):
        root = Path(config.config_file_path).resolve().parent
        for folder in ("bulletins", "toolkits", "content"):
            if (root / folder).is_dir():
                server.watch(str(root / folder))
        return server
