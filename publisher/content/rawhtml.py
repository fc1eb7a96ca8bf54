"""Raw HTML in content: the one allowlist the checker and the sanitiser share, and a tokenizer that keeps offsets.

The sanitiser (nh3) removes whatever the allowlist does not name. `dropped` says, for one tag, what that would be,
so the checker can report it at its line before anything disappears from a page unannounced.

The tokenizer reads tags as the HTML standard (and so nh3's parser and every browser) does: a tag may span lines,
a quoted value may hold `>`, `/` separates attributes, the first of two same-named attributes wins, and a comment
ends at the first `-->` or `--!>`. Every pattern is possessive or bounded, so scanning is linear in the text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import nh3

URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Attributes holding an address: checked like Markdown links, and rewritten from source paths to site URLs.
URL_ATTRIBUTES = {"href", "src", "cite"}

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"details", "summary", "figure", "figcaption", "mark"}
ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
ALLOWED_ATTRIBUTES["*"] = {"id", "class", "title", "lang", "dir"}
for _cell in ("th", "td"):
    ALLOWED_ATTRIBUTES.setdefault(_cell, set()).update({"align", "colspan", "rowspan", "scope"})

# Content may use only the classes Markdown itself writes (note boxes, footnotes, a [TOC], code languages), so it
# cannot dress up as the site's own buttons, banners or navigation.
NOTE_KINDS = ("note", "abstract", "summary", "tldr", "info", "todo", "tip", "hint", "important", "success", "check",
              "done", "question", "help", "faq", "warning", "caution", "attention", "failure", "fail", "missing",
              "danger", "error", "bug", "example", "quote", "cite")
ALLOWED_CLASSES = {"admonition", "admonition-title", "footnote", "footnote-ref", "footnote-backref", "toc",
                   *NOTE_KINDS}
LANGUAGE_CLASS = re.compile(r"language-.++")  # what a fenced block's language becomes on its <code>

# Ids the site's own pages use: the skip link's target, Material's drawer and search, our templates' headings.
RESERVED_ID_PREFIXES = ("pub-", "md-", "__")
RESERVED_ID = "belongs to the site's own layout (as do all ids starting with pub-, md- or __)"
BORROWED_CLASS = "is not allowed: content may not borrow the site's own styles"
TEMPLATE_FOLDERS = (Path(__file__).parent.parent / "templates", Path(__file__).parent.parent / "theme")
_LITERAL_ID = re.compile(r'\bid="([\w-]+)"')


@lru_cache(maxsize=1)
def theme_ids() -> frozenset[str]:
    """Every fixed id our templates write (`id="history"`, `id="search-form"`…)."""
    found: set[str] = set()
    for folder in TEMPLATE_FOLDERS:
        for template in folder.rglob("*.html"):
            found.update(_LITERAL_ID.findall(template.read_text(encoding="utf-8")))
    return frozenset(found)


def reserved_id(value: str) -> bool:
    name = value.strip().lower()
    return name.startswith(RESERVED_ID_PREFIXES) or name in theme_ids()


def class_allowed(name: str) -> bool:
    return name in ALLOWED_CLASSES or LANGUAGE_CLASS.fullmatch(name) is not None


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """The sanitiser's half of the id and class rules; `dropped` is the checker's half."""
    if attribute == "id":
        return None if reserved_id(value) else value
    if attribute == "class":
        return " ".join(name for name in value.split() if class_allowed(name)) or None
    return value


def cleaner(rewrite_url: Callable[[str], str] | None = None) -> nh3.Cleaner:
    """A sanitiser enforcing the allowlist; `rewrite_url` turns each kept address into the one to publish.

    nh3 checks an address's scheme before calling the filter, so a rewrite must only ever return site paths.
    """
    def keep(tag: str, attribute: str, value: str) -> str | None:
        kept = _keep(tag, attribute, value)
        if kept is not None and rewrite_url is not None and attribute in URL_ATTRIBUTES:
            return rewrite_url(kept)
        return kept

    return nh3.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, link_rel=None, url_schemes=URL_SCHEMES,
                       attribute_filter=keep)


_SANITISER = cleaner()
_ADDRESS_CHECK = nh3.Cleaner(tags={"a"}, attributes={"a": {"href"}}, link_rel=None, url_schemes=URL_SCHEMES)


def sanitise(markup: str) -> str:
    """The allowlist the checker enforces, applied to rendered HTML as a second line of defence."""
    return _SANITISER.clean(markup)


SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*+):")
# Browsers (and the sanitiser) ignore spaces and control characters around an address, and tabs or newlines in it.
_AROUND_ADDRESS = "".join(map(chr, range(0x21)))
_INSIDE_ADDRESS = str.maketrans("", "", "\t\n\r")


def clean_address(value: str) -> str:
    """An address as a browser reads it: " java\nscript:x" is a javascript: link."""
    value = value.strip(_AROUND_ADDRESS)
    # Most addresses hold none of these, and testing for them is much faster than translating.
    return value.translate(_INSIDE_ADDRESS) if "\t" in value or "\n" in value or "\r" in value else value


def address_kept(value: str) -> bool:
    """Would the sanitiser keep this address? nh3 passes relative ones through as written; absolute ones it also
    drops when it cannot parse them (https://exa mple.org), so those are put to nh3 itself.
    """
    return not SCHEME.match(clean_address(value)) or _absolute_address_kept(value)


@lru_cache(maxsize=4096)
def _absolute_address_kept(value: str) -> bool:
    return "href=" in _ADDRESS_CHECK.clean(f'<a href="{html.escape(value, quote=True)}"></a>')


# --- Tokenizer -----------------------------------------------------------------------------------------------------

_TAG_NAME = re.compile(r"[a-zA-Z][^\t\n\f\r />]*+")
_BETWEEN_ATTRIBUTES = re.compile(r"[\t\n\f\r /]*+")
_ATTRIBUTE_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r /=>]*+")
_EQUALS = re.compile(r"[\t\n\f\r ]*+=[\t\n\f\r ]*+")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*+")
_COMMENT_END = re.compile(r"--!?>")
_PLAIN_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*+)>")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Attribute:
    name: str
    value: str
    offset: int  # where the attribute's name starts


@dataclass
class Tag:
    name: str
    offset: int  # of the "<"
    end: int  # just after the ">"
    closing: bool = False
    attributes: list[Attribute] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return next((a.value for a in self.attributes if a.name == name), None)


def read_tag(text: str, start: int, stop: int) -> Tag | None:
    """The start or end tag whose "<" is at `start`, or None if it does not end before `stop`."""
    closing = text.startswith("</", start)
    name = _TAG_NAME.match(text, start + 2 if closing else start + 1, stop)
    if name is None:
        return None
    tag = Tag(name.group().translate(_ASCII_LOWER), start, 0, closing)
    seen: set[str] = set()
    pos = name.end()
    while True:
        pos = _BETWEEN_ATTRIBUTES.match(text, pos, stop).end()
        if pos >= stop:
            return None
        if text[pos] == ">":
            tag.end = pos + 1
            return tag
        attribute = _ATTRIBUTE_NAME.match(text, pos, stop)
        assert attribute is not None  # text[pos] is neither a separator nor ">"
        offset, pos = pos, attribute.end()
        value, pos = _read_value(text, pos, stop)
        if pos < 0:
            return None
        key = attribute.group().translate(_ASCII_LOWER)
        if key not in seen:  # as in browsers, a repeated attribute is ignored
            seen.add(key)
            tag.attributes.append(Attribute(key, html.unescape(value), offset))


def _read_value(text: str, pos: int, stop: int) -> tuple[str, int]:
    """An attribute's value (empty when it has none) and where reading goes on; -1 if the text ends first."""
    equals = _EQUALS.match(text, pos, stop)
    if equals is None:
        return "", pos
    pos = equals.end()
    if pos >= stop:
        return "", -1
    quote = text[pos]
    if quote in "\"'":
        close = text.find(quote, pos + 1, stop)
        return (text[pos + 1:close], close + 1) if close >= 0 else ("", -1)
    unquoted = _UNQUOTED.match(text, pos, stop)
    return unquoted.group(), unquoted.end()


@dataclass
class Scan:
    tags: list[Tag] = field(default_factory=list)
    unclosed_comment: int | None = None  # offset of a "<!--" that never ends


def scan(text: str) -> Scan:
    """Every start tag in `text`, read from the top as a browser reads a page, skipping comments."""
    found = Scan()
    pos = 0
    while (start := text.find("<", pos)) >= 0:
        pos = _after_markup(text, start, found)
        if pos < 0:
            break
    return found


def _after_markup(text: str, start: int, found: Scan) -> int:
    """Read the markup starting at text[start] == "<"; where reading goes on, or -1 if it runs to the end."""
    plain = _PLAIN_TAG.match(text, start)  # most tags in Markdown's output: <p>, </li>…
    if plain:
        if not plain.group(1):
            found.tags.append(Tag(plain.group(2).translate(_ASCII_LOWER), start, plain.end()))
        return plain.end()
    following = text[start + 1:start + 2]
    if text.startswith("<!--", start):
        end = _comment_end(text, start + 4)
        if end < 0:
            found.unclosed_comment = start
        return end
    if (following.isascii() and following.isalpha()) or (following == "/" and _TAG_NAME.match(text, start + 2)):
        tag = read_tag(text, start, len(text))
        if tag is None:
            return -1
        if not tag.closing:
            found.tags.append(tag)
        return tag.end
    if following in ("!", "?", "/"):  # a declaration, processing instruction or broken end tag: skipped to ">"
        close = text.find(">", start + 2)
        return close + 1 if close >= 0 else -1
    return start + 1


def _comment_end(text: str, pos: int) -> int:
    if text.startswith(">", pos):
        return pos + 1  # "<!-->" is an empty comment
    if text.startswith("->", pos):
        return pos + 2
    end = _COMMENT_END.search(text, pos)
    return end.end() if end else -1


def tags_at(text: str, starts: Iterator[tuple[int, int]]) -> Iterator[Tag]:
    """Tags read from given (start, stop) stretches of `text`, e.g. where Markdown's own pattern saw raw HTML."""
    for start, stop in starts:
        tag = read_tag(text, start, stop)
        if tag is not None and not tag.closing:
            yield tag


# --- What the sanitiser would remove -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Removal:
    """Part of a tag the sanitiser would remove."""

    offset: int  # of the tag, or of the attribute
    message: str  # in the voice of `publisher check`
    clue: str  # text likely to appear in the Markdown source too, to find the line when only HTML is at hand


def dropped(tag: Tag) -> list[Removal]:
    """Every part of the tag the sanitiser would remove."""
    if tag.name not in ALLOWED_TAGS:
        return [Removal(tag.offset, f"the <{tag.name}> tag is not allowed; remove it (paste as plain text, or write "
                        "it in Markdown)", f"<{tag.name}")]
    allowed = _allowed_attributes(tag.name)
    removals = []
    for attribute in tag.attributes:
        problem = _attribute_problem(tag.name, attribute, allowed)
        if problem:
            removals.append(Removal(attribute.offset, *problem))
    return removals


@lru_cache(maxsize=None)
def _allowed_attributes(tag: str) -> frozenset[str]:
    return frozenset(ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"])


def _attribute_problem(tag: str, attribute: Attribute, allowed: frozenset[str]) -> tuple[str, str] | None:
    """What is wrong with one attribute, and a clue to find it in the source; None if the sanitiser keeps it."""
    name, value = attribute.name, attribute.value
    if name not in allowed:
        if name.startswith("on"):
            return f"the {name} attribute runs script and is not allowed; remove it", name
        return f"the {name} attribute on <{tag}> is not allowed; remove it", name
    if name in ("href", "src") and not address_kept(value):
        if SCHEME.match(clean_address(value)):
            return f'the address "{value[:40]}" in {name} is not allowed; use an https:// link', value
        return f'the address "{value[:40]}" in {name} is not a valid web address; correct it or remove it', value
    if name == "id" and reserved_id(value):
        return f'the id "{value}" {RESERVED_ID}; remove id="{value}" or choose another name', value
    if name == "class":
        refused = [part for part in value.split() if not class_allowed(part)]
        if refused:
            listed = ", ".join(f'"{part}"' for part in refused)
            return f'the class {listed} {BORROWED_CLASS}; remove it from class="{value}"', refused[0]
    return None
