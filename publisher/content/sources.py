"""Find the source files of a site and say what each one is and where it publishes.

A site is the folder holding `mkdocs.yml`, with `bulletins/`, `toolkits/` and `content/` beside it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from publisher.content.models import Bulletin, DirectoryEntry, Page, Strict, Toolkit

BULLETIN_NAME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")
TAXONOMY = "content/taxonomy.yml"
# The site's settings, read by the pipeline and never published (style.py reads the second as ACRONYMS_FILE).
DATA_FILES = (TAXONOMY, "content/acronyms.yml", "content/redirects.yml")
SOURCE_FOLDERS = ("bulletins", "toolkits", "content")

# Generated listings own these URLs; a page may not publish there.
RESERVED_URLS = {
    "bulletins/": "the bulletin archive",
    "topics/": "the topics index",
    "toolkits/": "the toolkits index",
    "directory/": "the directory index",
    "search/": "the search page",
}


@dataclass(frozen=True)
class Source:
    path: Path
    rel: str
    model: type[Strict]

    @property
    def folder(self) -> PurePosixPath:
        return PurePosixPath(self.rel).parent

    @property
    def root(self) -> Path:
        """The site folder (the one holding mkdocs.yml)."""
        return self.path.parents[len(PurePosixPath(self.rel).parts) - 1]


@dataclass(frozen=True)
class SiteFile:
    """A file, or a symbolic link, under one of the source folders."""

    path: Path
    rel: str
    link: bool  # links are never followed, read or published

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.rel).suffix.lower()


def site_files(root: Path) -> list[SiteFile]:
    """Every file and link under bulletins/, toolkits/ and content/, folder by folder, each in a stable order.

    Links are listed but never followed, not even links to folders, so nothing outside the site folder is ever read.
    Names starting with a dot (.git, .env, .DS_Store) are skipped: they are never sources and never published.
    """
    found: list[SiteFile] = []
    for folder in SOURCE_FOLDERS:
        top = root / folder
        if top.is_symlink():
            found.append(SiteFile(top, folder, link=True))
        elif top.is_dir():
            found += sorted(_walk(top, folder), key=lambda file: file.rel.split("/"))
    return found


def _walk(top: Path, top_rel: str) -> list[SiteFile]:
    """Every file and link below `top`, entering no link; names are joined as text, which is fast for thousands."""
    found = []
    folders = [(str(top), top_rel)]
    while folders:
        here, here_rel = folders.pop()
        try:
            entries = list(os.scandir(here))
        except OSError:
            continue  # a folder that cannot be listed holds nothing we can publish
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{here_rel}/{entry.name}"
            if entry.is_symlink():
                found.append(SiteFile(Path(entry.path), rel, link=True))
            elif entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, rel))
            elif entry.is_file(follow_symlinks=False):  # not a pipe or device, which would hang or mean nothing
                found.append(SiteFile(Path(entry.path), rel, link=False))
    return found


def find_sources(root: Path, files: list[SiteFile] | None = None) -> list[Source]:
    """Every Markdown source of the site, with the model that validates it. Links are never sources.

    `files` is `site_files(root)`, when the caller has it already.
    """
    found: list[Source] = []
    for file in site_files(root) if files is None else files:
        if file.link or not file.rel.endswith(".md"):
            continue
        parts = file.rel.split("/")
        if parts[0] == "bulletins":
            found.append(Source(file.path, file.rel, Bulletin))
        elif parts[0] == "toolkits" and len(parts) == 3 and parts[2] == "index.md":
            found.append(Source(file.path, file.rel, Toolkit))
        elif parts[0] == "content":
            model = DirectoryEntry if file.rel.startswith("content/directory/") else Page
            found.append(Source(file.path, file.rel, model))
    return found


def page_url(rel: str) -> str:
    """content/about.md -> about/; content/index.md -> '' (the home page)."""
    inner = PurePosixPath(rel).relative_to("content")
    parts = list(inner.with_suffix("").parts)
    if parts[-1] in ("index", "README"):
        parts.pop()
    return "".join(f"{part}/" for part in parts)


def entry_slug(rel: str) -> str:
    return PurePosixPath(rel).stem


def toolkit_slug(rel: str) -> str:
    return PurePosixPath(rel).parent.name


def asset_url(rel: str) -> str:
    """Where a non-Markdown file beside the sources is published."""
    if rel.startswith("content/"):
        return rel[len("content/"):]
    if rel.startswith("bulletins/"):
        return "bulletins/files/" + rel[len("bulletins/"):]
    return rel
