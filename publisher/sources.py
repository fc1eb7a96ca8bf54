"""Find the source files of a site and say what each one is and where it publishes.

A site is the folder holding `mkdocs.yml`, with `bulletins/`, `toolkits/` and `content/` beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from publisher.models import Bulletin, DirectoryEntry, Page, Strict, Toolkit

BULLETIN_NAME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")
TAXONOMY = "content/taxonomy.yml"

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


def find_sources(root: Path) -> list[Source]:
    """Every Markdown source of the site, with the model that validates it."""
    found: list[Source] = []
    for path in _markdown_files(root / "bulletins"):
        found.append(Source(path, _rel(root, path), Bulletin))
    for path in sorted((root / "toolkits").glob("*/index.md")):
        found.append(Source(path, _rel(root, path), Toolkit))
    for path in _markdown_files(root / "content"):
        rel = _rel(root, path)
        model = DirectoryEntry if rel.startswith("content/directory/") else Page
        found.append(Source(path, rel, model))
    return found


def _markdown_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md") if p.is_file() and not p.name.startswith("."))


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
