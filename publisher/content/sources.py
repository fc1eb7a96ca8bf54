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
            found += sorted(_walk(root, top), key=lambda file: PurePosixPath(file.rel).parts)
    return found


def _walk(root: Path, top: Path) -> list[SiteFile]:
    found = []
    for here, folders, names in os.walk(top):  # followlinks=False: a link to a folder is listed, never entered
        base = Path(here)
        linked_folders = [name for name in folders if (base / name).is_symlink()]
        for name in names + linked_folders:
            path = base / name
            if name.startswith("."):
                continue
            if path.is_symlink():
                found.append(SiteFile(path, _rel(root, path), link=True))
            elif path.is_file():  # not a pipe or device, which would hang or mean nothing on a web site
                found.append(SiteFile(path, _rel(root, path), link=False))
        folders[:] = [name for name in folders if not name.startswith(".") and name not in linked_folders]
    return found


def find_sources(root: Path) -> list[Source]:
    """Every Markdown source of the site, with the model that validates it. Links are never sources."""
    found: list[Source] = []
    for file in site_files(root):
        if file.link or not file.rel.endswith(".md"):
            continue
        parts = PurePosixPath(file.rel).parts
        if parts[0] == "bulletins":
            found.append(Source(file.path, file.rel, Bulletin))
        elif parts[0] == "toolkits" and len(parts) == 3 and parts[2] == "index.md":
            found.append(Source(file.path, file.rel, Toolkit))
        elif parts[0] == "content":
            model = DirectoryEntry if file.rel.startswith("content/directory/") else Page
            found.append(Source(file.path, file.rel, model))
    return found


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


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
