"""Checks on Markdown bodies that need a line number: links, image alt text and unsafe raw HTML.

Python-Markdown keeps no line numbers, so these checks read the source text directly.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Iterator

import nh3

from publisher.findings import Findings
from publisher.links import LinkResolver
from publisher.site import Item, Site

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
INLINE_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "background"}
TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?/?>")

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"details", "summary", "figure", "figcaption", "mark"}
ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
ALLOWED_ATTRIBUTES["*"] = {"id", "class", "title", "lang", "dir"}
for cell in ("th", "td"):
    ALLOWED_ATTRIBUTES.setdefault(cell, set()).update({"align", "colspan", "rowspan", "scope"})


def sanitise(html: str) -> str:
    """The same allowlist the checker enforces, applied to rendered HTML as a second line of defence."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None,
                     url_schemes={"http", "https", "mailto", "tel"})


def body_lines(item: Item) -> Iterator[tuple[int, str]]:
    """(file line number, text) for each body line outside fenced code, with code spans blanked."""
    fence: str | None = None
    for offset, line in enumerate(item.doc.body.split("\n")):
        opener = FENCE.match(line)
        if opener:
            marker = opener.group(1)[0]
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None:
            yield item.doc.body_line + offset, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _parse_tag(html: str) -> tuple[str, dict[str, str | None]] | None:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags[0] if parser.tags else None


def unsafe_parts(tag_html: str) -> list[str]:
    """What nh3 would strip from one opening tag, described for an editor."""
    original = _parse_tag(tag_html)
    if original is None:
        return []
    name, attrs = original
    kept = _parse_tag(sanitise(tag_html + f"x</{name}>"))
    if kept is None or kept[0] != name:
        return [f"the <{name}> tag is not allowed; remove it (paste as plain text, or write it in Markdown)"]
    problems = []
    for attribute, value in attrs.items():
        if attribute not in kept[1]:
            if attribute.startswith("on"):
                problems.append(f"the {attribute} attribute runs script and is not allowed; remove it")
            elif attribute in URL_ATTRIBUTES and value and re.match(r"\s*[a-z]+:", value, re.I):
                problems.append(f'the address "{value[:40]}" in {attribute} is not allowed; use an https:// link')
            else:
                problems.append(f"the {attribute} attribute on <{name}> is not allowed; remove it")
    return problems


def check_item(item: Item, resolver: LinkResolver, findings: Findings) -> None:
    for line_number, line in body_lines(item):
        for match in INLINE_LINK.finditer(line):
            is_image, text, target = match.group(1), match.group(2), match.group(3)
            if is_image and not text.strip():
                findings.error(item.rel, line_number, "image",
                               "this image has no alt text; describe it inside the square brackets, "
                               "e.g. ![Students on a ward visit](photo.jpg)")
            _check_target(item, resolver, line_number, target, findings)
        reference = REFERENCE.match(line)
        if reference:
            _check_target(item, resolver, line_number, reference.group(2), findings)
        for tag in TAG.finditer(line):
            for problem in unsafe_parts(tag.group(0)):
                findings.error(item.rel, line_number, "html", problem)
            parsed = _parse_tag(tag.group(0))
            if parsed and parsed[0] == "img" and not (parsed[1].get("alt") or "").strip():
                findings.error(item.rel, line_number, "image",
                               'this image has no alt text; add alt="a short description of the image"')


def _check_target(item: Item, resolver: LinkResolver, line: int, target: str, findings: Findings) -> None:
    resolved = resolver.resolve(item.rel, target)
    if resolved.problem:
        findings.error(item.rel, line, "link", resolved.problem)
    elif resolved.target is not None and item.published and not resolved.target.published:
        findings.error(item.rel, line, "link",
                       f'links to "{target}", which is a {resolved.target.state} bulletin and not on the site; '
                       "remove the link or publish that bulletin first")


def check_bodies(site: Site, findings: Findings) -> None:
    resolver = LinkResolver(site.root, site.items)
    for item in site.items:
        check_item(item, resolver, findings)
