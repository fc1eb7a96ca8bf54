"""What a web host and search engines need beside the pages: `robots.txt`, a sitemap dated from the content, and
`_headers` (the Netlify / Cloudflare Pages format) with caching and security headers.

Fed by the rendered pages and the finished site folder, after MkDocs and Pagefind have written it.
"""

from __future__ import annotations

import base64
import gzip
import os
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from publisher.content.models import Bulletin, Toolkit
from publisher.site.render import OutputPage

SHORT_CACHE = "public, max-age=300"  # HTML, feeds and the manifest: a correction is live within five minutes
LONG_CACHE = "public, max-age=31536000, immutable"  # files whose name changes whenever their content does
# Material's bundles (main.57a0d79d.min.css) and Pagefind's chunks are named after their content.
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8}\.min\.(?:js|css)$")
PAGEFIND_HASHED_FOLDERS = ("fragment", "index", "filter")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.DOTALL | re.IGNORECASE)
SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module"}


def content_date(page: OutputPage) -> date | None:
    """When the page's content last changed, from the content itself; None for pages without a date."""
    meta = page.item.meta if page.item and page.kind != "home" else None
    if isinstance(meta, Bulletin):
        return meta.updated.date()
    if isinstance(meta, Toolkit):
        return meta.last_reviewed
    return None


def sitemap(pages: list[OutputPage], absolute) -> bytes:
    """Every page but the 404 (never among `pages`), with <lastmod> only where the content has a date."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for page in sorted(pages, key=lambda p: p.url):
        lastmod = content_date(page)
        stamp = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{xml_escape(absolute(page.url))}</loc>{stamp}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(absolute) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute('sitemap.xml')}\n"


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # the hash covers the script's text exactly as written
        self.scripts: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._open = tag == "script" and "src" not in found and (found.get("type") or "").lower() in SCRIPT_TYPES
        if self._open:
            self.scripts.append("")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._open = False


def script_hashes_in(html: str) -> set[str]:
    """CSP hashes of a page's inline scripts."""
    parser = _InlineScripts()
    # Only the script elements go to the parser: parsing whole pages cost seconds per thousand pages.
    for element in SCRIPT_ELEMENT.finditer(html):
        parser.feed(element.group(0))
    return {"'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"
            for script in parser.scripts}


def inline_script_hashes(site_dir: Path, known: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """CSP hashes of every inline script the theme writes (they differ by page depth, so there are a few).

    `known` gives the hashes of pages already hashed when they were written, by path in the site; the rest are read.
    """
    known = known or {}
    hashes: set[str] = set()
    for folder, _, names in os.walk(site_dir):  # pathlib's rglob took over a second for 6,000 pages
        prefix = Path(folder).relative_to(site_dir).as_posix() + "/"
        for name in names:
            if name.endswith(".html"):
                seen = known.get((prefix + name).removeprefix("./"))
                hashes.update(seen if seen is not None else script_hashes_in(
                    Path(folder, name).read_text(encoding="utf-8")))
    return sorted(hashes)


def content_security_policy(script_hashes: list[str], in_page: bool = False) -> str:
    """As strict as the pages allow: our own files only; Pagefind's search runs as WebAssembly.

    `in_page` gives the policy for a `<meta>` element, which browsers read without `frame-ancestors`.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", *script_hashes],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if in_page:
        del directives["frame-ancestors"]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@dataclass(frozen=True)
class Rule:
    path: str
    headers: dict[str, str]

    def as_text(self) -> str:
        return self.path + "\n" + "".join(f"  {name}: {value}\n" for name, value in self.headers.items())


def top_level_patterns(site_dir: Path, leave_out: tuple[str, ...] = ()) -> list[str]:
    """`/` and a pattern for each top-level file and folder: together they match every path on the site once."""
    return ["/"] + [f"/{entry.name}/*" if entry.is_dir() else f"/{entry.name}"
                    for entry in sorted(site_dir.iterdir()) if entry.name not in leave_out]


def cache_rules(site_dir: Path) -> list[Rule]:
    """One Cache-Control per path, never two: hosts join the values of every rule that matches a path."""
    rules = [Rule(pattern, {"Cache-Control": SHORT_CACHE})
             for pattern in top_level_patterns(site_dir, leave_out=("assets", "pagefind"))]
    for folder in ("assets", "pagefind"):
        rules += _file_rules(site_dir, site_dir / folder)
    return rules


def _file_rules(site_dir: Path, folder: Path) -> list[Rule]:
    if not folder.is_dir():
        return []
    rules = []
    for entry in sorted(folder.iterdir()):
        url = "/" + entry.relative_to(site_dir).as_posix()
        if entry.is_dir() and entry.parent.name == "pagefind" and entry.name in PAGEFIND_HASHED_FOLDERS:
            rules.append(Rule(url + "/*", {"Cache-Control": LONG_CACHE}))
        elif entry.is_dir():
            rules += _file_rules(site_dir, entry)
        else:
            fingerprinted = FINGERPRINTED.search(entry.name) or re.search(r"\.pf_meta$", entry.name)
            rules.append(Rule(url, {"Cache-Control": LONG_CACHE if fingerprinted else SHORT_CACHE}))
    return rules


def security_rules(site_dir: Path, sections: dict[str, dict[str, str]],
                   known_hashes: Mapping[str, Iterable[str]] | None = None) -> list[Rule]:
    """The shared security headers for every path, and a Content-Security-Policy per top-level path.

    A host sends the headers of every rule that matches a path, and a browser enforces every policy it gets, so the
    site's policy under `/*` would also bind a section with a policy of its own (the web editor at `/admin/*`).
    `sections` maps such a section's pattern to its own headers, which replace the site's policy there.
    """
    site_policy = {"Content-Security-Policy": content_security_policy(inline_script_hashes(site_dir, known_hashes))}
    return [Rule("/*", dict(SECURITY_HEADERS))] + [Rule(pattern, sections.get(pattern, site_policy))
                                                  for pattern in top_level_patterns(site_dir)]


def headers_file(site_dir: Path, sections: dict[str, dict[str, str]] | None = None,
                 known_hashes: Mapping[str, Iterable[str]] | None = None) -> str:
    header = "# Written by `publisher build`: the Netlify / Cloudflare Pages headers format; see the README.\n"
    rules = [*security_rules(site_dir, sections or {}, known_hashes), *cache_rules(site_dir)]
    return header + "\n".join(rule.as_text() for rule in rules)


def write_host_files(site_dir: Path, pages: list[OutputPage], absolute,
                     sections: dict[str, dict[str, str]] | None = None,
                     known_hashes: Mapping[str, Iterable[str]] | None = None, for_host: bool = True) -> None:
    """Replace MkDocs' sitemap (dated by the build) with ours, and add robots.txt and (`for_host`) _headers."""
    xml = sitemap(pages, absolute)
    (site_dir / "sitemap.xml").write_bytes(xml)
    (site_dir / "sitemap.xml.gz").write_bytes(gzip.compress(xml, mtime=0))
    (site_dir / "robots.txt").write_text(robots(absolute), encoding="utf-8")
    if for_host:
        (site_dir / "_headers").write_text(headers_file(site_dir, sections, known_hashes), encoding="utf-8")


def build_time(moment: datetime) -> str:
    """The build's "now", as the manifest records it for the scheduler (`publisher due --since`)."""
    return moment.isoformat(timespec="seconds")
