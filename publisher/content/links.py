"""Resolve links written in sources to site URLs.

Editors link to source files by relative path (`../toolkits/dental/index.md`); links to the site's own addresses
(`/bulletins/2022/02/02/key-messages/`, or the same with `https://` and the site's host in front) are checked
against the same site model, so a draft's address cannot leak into a published page by either route.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

import yaml

from publisher.content.assets import reference_problem
from publisher.content.rawhtml import SCHEME, URL_SCHEMES, clean_address
from publisher.site.model import Item
from publisher.content.sources import BULLETIN_NAME, asset_url, page_url

UNSAFE_SCHEMES = {"javascript", "vbscript", "data"}
# Addresses the build writes besides the sources' pages: listings, search, feeds.
GENERATED = re.compile(r"""(?x)
    (?:bulletins/(?:\d{4}/)?|topics/(?:[a-z0-9-]+/)?)(?:page/\d+/)?
  | (?:topics/[a-z0-9-]+/)?(?:feed|atom)\.xml
  | (?:toolkits|directory|search)/
  | sitemap\.xml(?:\.gz)?
""")
EXAMPLE_SOURCE = "bulletins/2022-02-02-key-messages.md"
MAX_SUGGESTIONS = 20


class Resolved(NamedTuple):  # a tuple: made for every address of every source, on every run
    url: str | None  # site-relative URL without a leading slash, or None when the link is left as written
    target: Item | None = None
    problem: str | None = None


def configured_site_url(root: Path) -> str | None:
    """`site_url` from the site's mkdocs.yml, read leniently: MkDocs' own tags (!ENV…) are ignored."""
    class Lenient(yaml.SafeLoader):
        pass

    Lenient.add_multi_constructor("", lambda loader, suffix, node: None)
    try:
        config: Any = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Lenient)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    value = config.get("site_url") if isinstance(config, dict) else None
    return value if isinstance(value, str) else None


def expected_url(rel: str) -> str | None:
    """The address a source would publish at, judged from its path alone (a bulletin's date from its name).

    Used for sources whose front matter failed, so links to them are not reported on top of their own errors.
    """
    parts = PurePosixPath(rel).parts
    if parts[0] == "bulletins":
        name = BULLETIN_NAME.fullmatch(parts[-1])
        return f"bulletins/{name['date'].replace('-', '/')}/{name['slug']}/" if name else None
    if parts[0] == "toolkits":
        return f"toolkits/{parts[1]}/"
    if rel.startswith("content/directory/"):
        return f"directory/{PurePosixPath(rel).stem}/"
    return page_url(rel)


@lru_cache(maxsize=1024)
def _folder(rel: str) -> str:
    return posixpath.dirname(rel)


def _join(folder: str, path: str) -> str:
    """The site path of `path` written in a source in `folder`; a name alone (most links) needs no normalising."""
    if "/" not in path and not path.startswith("."):
        return f"{folder}/{path}" if folder else path
    return posixpath.normpath(posixpath.join(folder, path))


@lru_cache(maxsize=1024)
def _relative(rel: str, folder: str) -> str:
    return posixpath.relpath(rel, folder or ".")


class LinkResolver:
    """Maps `[text](../toolkits/dental/index.md)` written in one source to the URL of the other.

    `sources` lists every source found, including those that failed validation and so have no item: links to
    them resolve to nothing and report nothing, since the source's own errors already say what is wrong.
    """

    def __init__(self, root: Path, items: list[Item], site_url: str | None = None,
                 sources: Iterable[str] = ()) -> None:
        self.root = root
        self._root = str(root)
        self.by_source = {item.rel: item for item in items}
        self.by_url = {item.url: item for item in items}
        self.by_slug = {item.slug: item for item in reversed(items)}  # the first of several with the same slug
        self.failed = set(sources) - set(self.by_source)
        self.failed_urls = {url for rel in self.failed if (url := expected_url(rel)) is not None}
        self.by_name: dict[str, str] = {}  # file name -> the first source with it, for "did you mean"
        for rel in [*self.by_source, *sorted(self.failed)]:
            self.by_name.setdefault(posixpath.basename(rel), rel)
        site = urlsplit(site_url if site_url is not None else configured_site_url(root) or "/")
        self.host = (site.hostname or "").lower()
        path = site.path or "/"
        self.base_path = path if path.endswith("/") else path + "/"
        # "Did you mean" costs a comparison with every source; a file with hundreds of broken links (pasted or
        # hostile) gets suggestions for the first few only, so checking it stays fast.
        self._suggestions_left = MAX_SUGGESTIONS
        # Source -> the files its links point to; assets.py publishes a file only if a published source uses it.
        self.files_linked: dict[str, set[str]] = defaultdict(set)

    def _is_file(self, rel: str) -> bool:
        # os.path.isfile, unlike Path.is_file, also answers False for names too long or holding a NUL character.
        return os.path.isfile(os.path.join(self._root, rel))

    def _reference_problem(self, rel: str) -> str | None:
        return reference_problem(self.root, rel)

    def resolve(self, from_rel: str, target: str) -> Resolved:
        cleaned = clean_address(target)
        scheme = SCHEME.match(cleaned)
        if scheme:
            return self._with_scheme(from_rel, scheme.group(1).lower(), cleaned, target)
        if cleaned.startswith("//"):
            return self._on_host(from_rel, "https:" + cleaned, target)
        if cleaned.startswith("/"):
            return self._site_path(from_rel, urlsplit(cleaned), target)
        path, sep, fragment = cleaned.partition("#")
        path = path.split("?", 1)[0]
        if not path:
            return Resolved(None)
        rel = _join(_folder(from_rel), path)
        if rel.endswith(".md"):
            return self._to_source(from_rel, rel, path, sep + fragment)
        if rel.startswith("..") or not self._is_file(rel):
            nearest = self._nearest_file(rel, path)
            folder = posixpath.dirname(from_rel) or "the site folder"
            hint = f'; did you mean "{nearest}"?' if nearest else \
                f"; check the name and the folder (links are relative to {folder}/)"
            return Resolved(None, problem=f'the file "{path}" does not exist{hint}')
        return self._to_file(from_rel, rel, path, sep + fragment)

    def _with_scheme(self, from_rel: str, scheme: str, cleaned: str, written: str) -> Resolved:
        if scheme in UNSAFE_SCHEMES:
            return Resolved(None, problem=f'"{scheme}:" links can run code or hide content and are not allowed; '
                            "link to a web page or a file instead")
        if scheme not in URL_SCHEMES:
            return Resolved(None, problem=f'"{scheme}:" links are not allowed on the site and would be removed; link '
                            "to a web page (https://…), an email address (mailto:…) or a phone number (tel:…)")
        if scheme in ("http", "https"):
            return self._on_host(from_rel, cleaned, written)
        return Resolved(None)

    def _on_host(self, from_rel: str, url: str, written: str) -> Resolved:
        """An absolute address: checked like a path when it points into this site, else left as written."""
        if not self.host or self.host not in url.lower():  # the host is part of the address, in any case
            return Resolved(None)
        try:
            parts = urlsplit(url)
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError:
            return Resolved(None)  # not an address at all; bodycheck asks the sanitiser whether it keeps it
        inside = parts.path.startswith(self.base_path) or parts.path + "/" == self.base_path
        if not self.host or host != self.host or port not in (None, 80, 443) or not inside:
            return Resolved(None)
        return self._site_path(from_rel, parts, written)

    def _site_path(self, from_rel: str, parts: SplitResult, written: str) -> Resolved:
        """A link to one of the site's own addresses, such as /bulletins/2022/02/02/key-messages/."""
        path = unquote(parts.path)
        if path.startswith(self.base_path):
            url = path[len(self.base_path):]
        else:
            url = path.lstrip("/")  # written from the site's root, as in the README's table of addresses
        url = url.removesuffix("index.html")
        rest = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        item = self.by_url.get(url) or (self.by_url.get(url + "/") if url and not url.endswith("/") else None)
        if item is not None:
            return Resolved(item.url + rest, target=item)
        if GENERATED.fullmatch(url) or url == "":
            return Resolved(url + rest)
        if url in self.failed_urls or url + "/" in self.failed_urls:
            return Resolved(None)
        source = self._published_file(url)
        if source is not None:
            return self._to_file(from_rel, source, written, rest)
        return Resolved(None, problem=f'there is no page at "{written}"; link to the source file instead, e.g. '
                        f'"{self._example(from_rel, url)}"')

    def _published_file(self, url: str) -> str | None:
        """The file beside the sources that publishes at `url` (the reverse of `asset_url`), if there is one."""
        url = posixpath.normpath(url)
        if url.startswith(("..", "/")) or url.endswith(".md"):
            return None
        if url.startswith("bulletins/files/"):
            rel = "bulletins/" + url.removeprefix("bulletins/files/")
        else:
            rel = url if url.startswith("toolkits/") else f"content/{url}"
        return rel if self._is_file(rel) else None

    def _example(self, from_rel: str, url: str) -> str:
        """The source a broken site address most likely meant (same last part), else a sample bulletin path."""
        guess = self.by_slug.get(url.rstrip("/").rpartition("/")[2])
        return _relative(guess.rel if guess else EXAMPLE_SOURCE, posixpath.dirname(from_rel))

    def _to_file(self, from_rel: str, rel: str, written: str, rest: str) -> Resolved:
        problem = self._reference_problem(rel)
        if problem:
            return Resolved(None, problem=f'"{written}" {problem}')
        self.files_linked[from_rel].add(rel)
        return Resolved(asset_url(rel) + rest)

    def _nearest_source(self, from_rel: str, rel: str, written: str) -> str | None:
        """The source a broken link most likely meant, written as a link from `from_rel`: the same file name in
        another folder, else the closest path."""
        folder = posixpath.dirname(from_rel)
        same_name = self.by_name.get(posixpath.basename(rel))
        if same_name:
            return _relative(same_name, folder)
        if not self._may_suggest():
            return None
        return _closest(written, [_relative(source, folder) for source in [*self.by_source, *self.failed]])

    def _may_suggest(self) -> bool:
        self._suggestions_left -= 1
        return self._suggestions_left >= 0

    def _nearest_file(self, rel: str, written: str) -> str | None:
        """The file beside the one a broken link names with the closest name, written as the link was."""
        folder = os.path.join(self._root, posixpath.dirname(rel))
        if not self._may_suggest():
            return None
        try:
            names = [name for name in os.listdir(folder) if not name.startswith(".") and not name.endswith(".md")]
        except OSError:
            return None
        close = _closest(posixpath.basename(written), names)
        return posixpath.join(posixpath.dirname(written), close) if close else None

    def _to_source(self, from_rel: str, rel: str, written: str, anchor: str) -> Resolved:
        item = self.by_source.get(rel)
        if item is None:
            if rel in self.failed:
                return Resolved(None)  # it exists; its own errors are reported against it
            suggestion = self._nearest_source(from_rel, rel, written)
            hint = f'; did you mean "{suggestion}"?' if suggestion else "; check the file name and the folder"
            return Resolved(None, problem=f'links to "{written}", which does not exist{hint}')
        return Resolved(item.url + anchor, target=item)


def _closest(written: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(written, candidates, n=1, cutoff=0.6)
    return close[0] if close else None
