"""Resolve links written between sources (relative paths to source files) to site URLs."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from publisher.site import Item
from publisher.sources import asset_url

SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
UNSAFE_SCHEMES = {"javascript", "vbscript", "data"}


@dataclass(frozen=True)
class Resolved:
    url: str | None  # site-relative URL without a leading slash, or None when the link is left as written
    target: Item | None = None
    problem: str | None = None


class LinkResolver:
    """Maps `[text](../toolkits/dental/index.md)` written in one source to the URL of the other."""

    def __init__(self, root: Path, items: list[Item]) -> None:
        self.root = root
        self.by_source = {item.rel: item for item in items}

    def resolve(self, from_rel: str, target: str) -> Resolved:
        scheme = SCHEME.match(target)
        if scheme:
            if scheme.group(1).lower() in UNSAFE_SCHEMES:
                return Resolved(None, problem=f'"{scheme.group(1)}:" links can run code or hide content and are not '
                                "allowed; link to a web page or a file instead")
            return Resolved(None)
        path, sep, fragment = target.partition("#")
        path = path.split("?", 1)[0]
        if not path or path.startswith("/"):
            return Resolved(None)
        rel = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), path))
        anchor = sep + fragment
        if rel.endswith(".md"):
            return self._to_source(from_rel, rel, path, anchor)
        if rel.startswith("..") or not (self.root / rel).is_file():
            return Resolved(None, problem=f'the file "{path}" does not exist; check the name and the folder '
                            f"(links are relative to {posixpath.dirname(from_rel) or 'the site folder'}/)")
        return Resolved(asset_url(rel) + anchor)

    def _to_source(self, from_rel: str, rel: str, written: str, anchor: str) -> Resolved:
        item = self.by_source.get(rel)
        if item is None:
            close = [r for r in self.by_source if posixpath.basename(r) == posixpath.basename(rel)]
            suggestion = posixpath.relpath(close[0], posixpath.dirname(from_rel) or ".") if close else ""
            hint = f'; did you mean "{suggestion}"?' if close else "; check the file name and the folder"
            return Resolved(None, problem=f'links to "{written}", which does not exist{hint}')
        return Resolved(item.url + anchor, target=item)
