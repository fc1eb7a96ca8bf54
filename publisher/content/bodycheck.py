"""Checks on Markdown bodies that need a line number: links, image alt text, raw HTML, note boxes and code fences.

Python-Markdown keeps no line numbers, so these checks read the source text, seeing it as Python-Markdown does:
fenced code exactly where its fenced_code extension finds it, code spans as its inline parser pairs backticks, and
raw HTML both where its inline pattern finds it and as a browser's tokenizer reads the whole body. Where the two
readings could disagree, the checker assumes HTML, so nothing it passes is later removed by the sanitiser
unannounced. Every scan is linear in the length of the body: hostile or broken text cannot stall a check.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.inlinepatterns import AUTOLINK_RE, AUTOMAIL_RE, HTML_RE
from markdown.util import BLOCK_LEVEL_ELEMENTS

from publisher.content import rawhtml
from publisher.findings import Findings
from publisher.content.links import LinkResolver
from publisher.site.model import Item

# Python-Markdown's fenced_code opener, read one line at a time: the fence starts the line, and what follows it is
# nothing, a language, or {attributes}. The closer is the same fence alone on a later line.
FENCE_OPENER = re.compile(r"(?P<fence>`{3,}+|~{3,}+)[ ]*+(?:\{(?P<attrs>.*)\}|(?:\.?[\w#.+-]*[ ]*+)?"
                          r"(?:hl_lines=(?P<quote>[\"']).*?(?P=quote)[ ]*+)?)")
FENCE_ALONE = re.compile(r"`{3,}+|~{3,}+")
INDENTED_FENCE = re.compile(r"[ ]{1,3}(?:`{3}|~{3})")
BACKTICKS = re.compile(r"`++")
# Markdown's own patterns, so the checker and the converter agree on what is a link and what is raw HTML.
MARKDOWN_AUTOLINK = re.compile(AUTOLINK_RE, re.DOTALL)
MARKDOWN_AUTOMAIL = re.compile(AUTOMAIL_RE, re.DOTALL)
MARKDOWN_HTML = re.compile(HTML_RE, re.DOTALL)
TAG_START = re.compile(r"<(?=[a-zA-Z])")
# A line where Python-Markdown may start a raw HTML block, inside which backticks are not code.
RAW_BLOCK_START = re.compile(r"[ ]{0,3}<(?:[!?]|/?(?:%s)(?![^\t\n\f\r />]))" % "|".join(BLOCK_LEVEL_ELEMENTS),
                             re.IGNORECASE)
REFERENCE = re.compile(r"[ ]{0,3}\[(?!\^)([^\]]++)\]:[ \t]*+<?(\S+?)>?(?:\s|$)")  # not a [^footnote]:
# Markdown turns links and code into HTML even inside a tag's attribute value, breaking the tag.
MARKDOWN_IN_VALUE = re.compile(r"`|\][(\[]")
LINK_TAIL = re.compile(r""">?(?:\s++(?:"[^"]*+"|'[^']*+'|\([^()]*+\)))?\s*+\)""")
LINK_ADDRESS = re.compile(r"[^)\s>]*+")
SPACES = re.compile(r"\s*+")
NEWLINE = re.compile("\n")
NON_SPACE = re.compile(r"\S")
NOTE_BOX = re.compile(r"[ ]*+!!! ?([\w\-]++(?: ++[\w\-]++)*+)(?: +\"(.*?)\")? *+$")
MARKDOWN_REMOVES = str.maketrans("", "", "\x02\x03")  # Python-Markdown deletes these before it parses


class Link(NamedTuple):  # a tuple, made several times faster than a frozen dataclass, for every link of every body
    """A Markdown link in a line; its text is kept as offsets, since nested links' texts overlap."""

    start: int  # of "[" or "!["
    end: int  # just after ")"
    image: bool
    text_start: int
    text_end: int
    target: str

    def text(self, line: str) -> str:
        return line[self.text_start:self.text_end]


class Prose(NamedTuple):
    """A body line outside fenced code, with its code spans blanked and its Markdown links found."""

    number: int  # the line's number in the file
    text: str
    links: list[Link]


@dataclass
class Body:
    """One source's body as the checks see it, split into lines once."""

    first_line: int
    prose: list[Prose] = field(default_factory=list)  # blank lines left out: no check finds anything in them
    markup: str = ""  # the body as raw HTML is looked for in it: fenced code, sure code spans and autolinks blanked
    line_starts: list[int] = field(default_factory=list)  # where each body line starts in `markup`, once asked for
    fences: list[tuple[int, str | None]] = field(default_factory=list)  # (file line, {attributes}) of each opener
    loose_fences: list[int] = field(default_factory=list)  # file lines of ``` that are indented, so open no code
    brackets: int = 0  # how many "[" the body holds, at least as many as its prose
    text: str = ""  # the whole body as Markdown reads it, for checks that can tell from it they have nothing to do

    def line_of(self, offset: int) -> int:
        if not self.line_starts:  # only bodies with raw HTML need them: found when first needed
            self.line_starts = [0] + [newline.end() for newline in NEWLINE.finditer(self.markup)]
        return self.first_line + bisect_right(self.line_starts, offset) - 1


def read_body(item: Item) -> Body:
    """The body split into lines once, with what Markdown reads as code blanked out.

    Most bodies have no code, no raw HTML and no control characters: each step is skipped where the whole body
    shows it has nothing to do, which makes checking thousands of sources several times faster.
    """
    text = item.doc.body
    if "\x02" in text or "\x03" in text:
        text = text.translate(MARKDOWN_REMOVES)
    lines = text.split("\n")
    body = Body(item.doc.body_line, brackets=text.count("["), text=text)
    if "`" not in text and "~~~" not in text:  # no code and no fences: the text is its own markup and prose
        first, make = body.first_line, tuple.__new__  # a Prose made without its Python __new__: half the time
        body.prose = [make(Prose, (first + index, line, inline_links(line) if "](" in line else []))
                      for index, line in enumerate(lines) if line and not line.isspace()]
        body.markup = _blank_autolinks(text) if "<" in text else text
        return body
    _read_code(lines, text, body)
    return body


def _read_code(lines: list[str], text: str, body: Body) -> None:
    """`read_body` for a body with backticks or fences: blanks the code Markdown surely reads as code."""
    fenced = _fenced_code(lines, body) if "```" in text or "~~~" in text else set()
    ticks = "`" in text
    # Only backticks need to know about raw HTML blocks (in which they are not code).
    raw_blocks = ticks and "<" in text and any(RAW_BLOCK_START.match(line) for index, line in enumerate(lines)
                                               if "<" in line[:4] and index not in fenced)
    sure = not raw_blocks  # code spans hide HTML only where Markdown surely reads them as code
    markup: list[str] = []
    for index, line in enumerate(lines):
        if index in fenced:
            markup.append("")
            continue
        if not line.strip():
            sure = not raw_blocks  # a blank line ends the paragraph, and any backtick left open in it
            markup.append(line)
            continue
        if line.startswith(" ") and INDENTED_FENCE.match(line):
            body.loose_fences.append(body.first_line + index)
        prose = line
        if ticks and "`" in line:
            spans, open_at = code_spans(line)
            prose = _blank(line, spans)
            markup.append(_blank(line, [s for s in spans if open_at is None or s[1] <= open_at]) if sure else line)
            sure = sure and open_at is None
        else:
            markup.append(line)
        body.prose.append(Prose(body.first_line + index, prose, inline_links(prose) if "](" in prose else []))
    joined = "\n".join(markup)
    body.markup = _blank_autolinks(joined) if "<" in joined else joined


def _fenced_code(lines: list[str], body: Body) -> set[int]:
    """Indexes of the lines fenced_code turns into code blocks, fences included; records each opener."""
    openers: list[tuple[int, str, str | None]] = []
    closers: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        if not line.startswith(("```", "~~~")):
            continue
        expanded = line.expandtabs(4)  # as Markdown does before looking for fences
        opener = FENCE_OPENER.fullmatch(expanded)
        if opener:
            openers.append((index, opener["fence"], opener["attrs"]))
        alone = expanded.rstrip(" ")
        if FENCE_ALONE.fullmatch(alone):
            closers.setdefault(alone, []).append(index)
    fenced: set[int] = set()
    after = -1
    for index, fence, attrs in openers:
        if index <= after:
            continue
        candidates = closers.get(fence, [])
        position = bisect_right(candidates, index)
        if position == len(candidates) or (attrs is not None and get_attrs_and_remainder(attrs)[1]):
            continue  # never closed, or broken {attributes}: Markdown leaves these lines as text
        after = candidates[position]
        fenced.update(range(index, after + 1))
        body.fences.append((body.first_line + index, attrs))
    return fenced


def code_spans(line: str) -> tuple[list[tuple[int, int]], int | None]:
    """Code spans in one line, paired as Python-Markdown pairs backticks, and where the first backtick run that
    finds no partner in this line starts (None if there is none): what Markdown does with it depends on the lines
    that follow.
    """
    runs = [(m.start(), m.end()) for m in BACKTICKS.finditer(line)]
    by_width: dict[int, list[int]] = {}
    for number, (start, end) in enumerate(runs):
        by_width.setdefault(end - start, []).append(number)
    spans: list[tuple[int, int]] = []
    unpaired: int | None = None
    number = 0
    while number < len(runs):
        start, end = runs[number]
        if _escaped(line, start):
            start += 1  # `\`` is a literal backtick; the rest of the run may still open a span
        partners = by_width.get(end - start, [])
        position = bisect_right(partners, number)
        if start == end or position == len(partners):
            if start < end and unpaired is None:
                unpaired = start
            number += 1  # read as literal backticks here; the lines after may give Markdown another reading
            continue
        closer = partners[position]
        spans.append((start, runs[closer][1]))
        number = closer + 1
    return spans, unpaired


def _escaped(line: str, position: int) -> bool:
    """Is line[position] preceded by an odd number of backslashes?"""
    count = 0
    while position - count > 0 and line[position - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _blank(line: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return line
    parts, last = [], 0
    for start, end in spans:
        parts += [line[last:start], " " * (end - start)]
        last = end
    parts.append(line[last:])
    return "".join(parts)


def _blank_autolinks(markup: str) -> str:
    """Autolinks (<https://…>, <name@example.org>) are links, not tags; blank them so the tag scan skips them."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group())

    return MARKDOWN_AUTOMAIL.sub(blank, MARKDOWN_AUTOLINK.sub(blank, markup))


def inline_links(line: str) -> list[Link]:
    """`[text](target)` and `![alt](target)` links in one line, nested brackets allowed, found in linear time.

    A link whose `](` lies inside an earlier link's address or title is not a link (as in Markdown), which also
    keeps the addresses found from overlapping.
    """
    links: list[Link] = []
    openers: list[int] = []
    address_run = (0, 0)  # the last run of address characters read, shared by links whose addresses end alike
    tails: dict[int, int] = {}  # where a link ends, by where its address ends (-1: not a link)
    for position, opening in _brackets(line):
        if opening:
            openers.append(position)
            continue
        if not openers:
            continue
        opened = openers.pop()
        if not line.startswith("(", position + 1) or (links and position < links[-1].end):
            continue
        start = SPACES.match(line, position + 2).end()
        if line.startswith("<", start):
            start += 1
        if not address_run[0] <= start < address_run[1]:
            address_run = (start, LINK_ADDRESS.match(line, start).end())
        end = address_run[1]
        if end not in tails:
            tail = LINK_TAIL.match(line, end)
            tails[end] = tail.end() if tail else -1
        if tails[end] >= 0:
            image = opened > 0 and line[opened - 1] == "!"
            links.append(Link(opened - image, tails[end], image, opened + 1, position, line[start:end]))
    return links


def _brackets(line: str):
    """(position, is it "[") of every square bracket in the line, in order. `str.find` skips the text between
    brackets several times faster than a pattern, which tries each character in turn."""
    opener, closer = line.find("["), line.find("]")
    while opener >= 0 or closer >= 0:
        if closer < 0 or 0 <= opener < closer:
            yield opener, True
            opener = line.find("[", opener + 1)
        else:
            yield closer, False
            closer = line.find("]", closer + 1)


class Address(NamedTuple):
    """An address in a body, kept to be checked against the rest of the site once every source is loaded."""

    line: int
    value: str
    written: bool  # written as <address>, which Markdown passes on as a tag rather than a link


def check_item(item: Item, body: Body, findings: Findings) -> list[Address]:
    """The checks that need only this body; returns its addresses, in order, for `check_addresses`."""
    check = _BodyCheck(item, body, findings)
    check.run()
    check_converter_load(item, body, findings)
    return check.addresses


def check_addresses(item: Item, addresses: list[Address], resolver: LinkResolver, findings: Findings) -> None:
    """Where each address leads: another source, a file, or a page this site does not have."""
    for line, value, written in addresses:
        problem = _written_problem(item, value, resolver) if written else _target_problem(item, value, resolver)
        if problem:
            findings.error(item.rel, line, "link", problem)


def _target_problem(item: Item, target: str, resolver: LinkResolver) -> str | None:
    resolved = resolver.resolve(item.rel, target)
    if resolved.problem:
        return resolved.problem
    if resolved.target is not None and item.published and not resolved.target.published:
        return (f'links to "{target}", which is a {resolved.target.state} bulletin and not on the site; remove the '
                "link or publish that bulletin first")
    if resolved.url is None and not rawhtml.address_kept(target):
        return f'"{target[:60]}" is not a valid web address, so the link would be removed from the page; correct it'
    return None


def _written_problem(item: Item, address: str, resolver: LinkResolver) -> str:
    """`<javascript:alert(1)>` or `<tel:0123>`: Markdown passes these on as tags, which the sanitiser drops."""
    return resolver.resolve(item.rel, address).problem or \
        (f'Markdown does not make "<{address[:60]}>" a link, so it would vanish from the page; write '
         f"[words that say where it goes]({address[:60]})")


# Python-Markdown's link patterns take time in the square of the `[` in one paragraph (800 take 0.2 s, 10,000
# take half a minute), so text made of brackets could stall a build. Real paragraphs hold a few dozen.
PARAGRAPH_BRACKETS = 400
FILE_BRACKET_LOAD = 4_000_000  # the sum over paragraphs of brackets squared: about 2 s of conversion


def check_converter_load(item: Item, body: Body, findings: Findings) -> None:
    paragraphs = _bracket_counts(body)
    for line, count in paragraphs:
        if count > PARAGRAPH_BRACKETS:
            findings.error(item.rel, line, "body", f"this paragraph has {count} square brackets, more than the "
                           f"{PARAGRAPH_BRACKETS} the site can convert quickly; split it into several paragraphs "
                           "or remove brackets")
    load = sum(count * count for _, count in paragraphs)
    if load > FILE_BRACKET_LOAD and all(count <= PARAGRAPH_BRACKETS for _, count in paragraphs):
        line = max(paragraphs, key=lambda paragraph: paragraph[1])[0]
        findings.error(item.rel, line, "body", "this file has so many square brackets in its paragraphs that it "
                       "would take too long to convert; split it into several files or remove brackets")


def _bracket_counts(body: Body) -> list[tuple[int, int]]:
    if body.brackets <= PARAGRAPH_BRACKETS:  # no paragraph, nor the sum of their squares, can be over the limit
        return []
    """(first line, number of `[`) for each paragraph: runs of prose lines between blank lines."""
    paragraphs: list[tuple[int, int]] = []
    previous = None
    for number, text, _links in body.prose:
        if not text.strip():
            previous = None
            continue
        if previous is None or number != previous + 1:
            paragraphs.append((number, 0))
        paragraphs[-1] = (paragraphs[-1][0], paragraphs[-1][1] + text.count("["))
        previous = number
    return paragraphs


class _BodyCheck:
    """The checks on one body; each address is kept once per line, so a repeated mistake is reported once."""

    def __init__(self, item: Item, body: Body, findings: Findings) -> None:
        self.item, self.body, self.findings = item, body, findings
        self.checked: set[tuple[int, str]] = set()
        self.addresses: list[Address] = []

    def error(self, line: int, field: str, message: str) -> None:
        self.findings.error(self.item.rel, line, field, message)

    def run(self) -> None:
        for line_number, line, links in self.body.prose:
            for link in links:
                if link.image and not NON_SPACE.search(line, link.text_start, link.text_end):
                    self.error(line_number, "image", "this image has no alt text; describe it inside the square "
                               "brackets, e.g. ![Students on a ward visit](photo.jpg)")
                self.target(line_number, link.target)
            reference = REFERENCE.match(line) if "[" in line[:4] else None
            if reference:
                self.target(line_number, reference.group(2))
            for autolink in MARKDOWN_AUTOLINK.finditer(line) if "<" in line else ():
                self.target(line_number, autolink.group(1))
            if "!!!" in line:
                self.note_box(line_number, line)
        self.fences()
        self.markup()

    def target(self, line: int, target: str) -> None:
        if (line, target) in self.checked:
            return
        self.checked.add((line, target))
        self.addresses.append(Address(line, target, False))

    def note_box(self, line_number: int, line: str) -> None:
        note = NOTE_BOX.match(line)
        for kind in note.group(1).lower().split() if note else ():
            if kind not in rawhtml.NOTE_KINDS:
                self.error(line_number, "note box", f'"{kind}" is not a kind of note box the site has; use one of '
                           f'{", ".join(rawhtml.NOTE_KINDS)} (e.g. !!! note "Title")')

    def fences(self) -> None:
        for line_number in self.body.loose_fences:
            self.findings.warning(self.item.rel, line_number, "code",
                                  "this fence is indented, so it does not start a code block and the lines after it "
                                  "are read as ordinary text; move it to the start of the line")
        for line_number, attrs in self.body.fences:
            pairs = get_attrs_and_remainder(attrs)[0] if attrs else []
            written = "{" + (attrs or "") + "}"
            for key, value in pairs:
                if key == "id" and value and rawhtml.reserved_id(value):
                    self.error(line_number, "code", f'the id "{value}" {rawhtml.RESERVED_ID}; remove #{value} from '
                               f"{written}")
            for value in [value for key, value in pairs if key == "."][1:]:  # the first class names the language
                if value and not rawhtml.class_allowed(value):
                    self.error(line_number, "code", f'the class "{value}" {rawhtml.BORROWED_CLASS}; remove .{value} '
                               f"from {written}")

    def markup(self) -> None:
        tags, unclosed_comment = raw_tags(self.body.markup)
        line_of = self.body.line_of
        if unclosed_comment is not None:
            self.error(line_of(unclosed_comment), "html", "this comment (<!--) is never closed, so everything after "
                       "it would vanish from the page; end it with -->")
        for tag in tags:
            if ":" in tag.name:
                self.written_address(tag)
                continue
            removals = rawhtml.dropped(tag)
            for removal in removals:
                self.error(line_of(removal.offset), "html", removal.message)
            for attribute in tag.attributes:
                if MARKDOWN_IN_VALUE.search(attribute.value):
                    self.error(line_of(attribute.offset), "html", f"the {attribute.name} value of this <{tag.name}> "
                               "tag holds a Markdown link or `code`, which Markdown would turn into HTML inside the "
                               "tag and break it; write it as plain text")
            if tag.name == "img" and not (tag.get("alt") or "").strip():
                self.error(line_of(tag.offset), "image",
                           'this image has no alt text; add alt="a short description of the image"')
            refused = {removal.offset for removal in removals}
            for attribute in tag.attributes if tag.name in rawhtml.ALLOWED_TAGS else ():
                if attribute.name in rawhtml.URL_ATTRIBUTES and attribute.offset not in refused:
                    self.target(line_of(attribute.offset), attribute.value)

    def written_address(self, tag: rawhtml.Tag) -> None:
        address = self.body.markup[tag.offset + 1:tag.end - 1].strip()
        self.addresses.append(Address(self.body.line_of(tag.offset), address, True))


def raw_tags(markup: str) -> tuple[list[rawhtml.Tag], int | None]:
    """Every tag in the body, read both ways: as a browser reads the whole body (raw HTML blocks), and wherever
    Markdown's inline pattern would pass a tag through (which a comment or a stray quote could hide from the
    first reading). Also the offset of a comment that is never closed.
    """
    scanned = rawhtml.scan(markup)
    tags = {tag.offset: tag for tag in scanned.tags}
    inline = ((start.start(), match.end()) for start in TAG_START.finditer(markup)
              if start.start() not in tags and (match := MARKDOWN_HTML.match(markup, start.start())))
    for tag in rawhtml.tags_at(markup, inline):
        tags[tag.offset] = tag
    return sorted(tags.values(), key=lambda tag: tag.offset), scanned.unclosed_comment



