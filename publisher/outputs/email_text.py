"""The HTML email read back as blocks, then written as plain text or in GOV.UK Notify's formatting.

Both text editions are derived from the finished HTML email, never from the Markdown, so they hold exactly the
same words and links as the HTML part. Layout tables (role="presentation") are read as plain containers and
hidden preview text is skipped; data tables, lists, headings, quotations and code keep their meaning.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Union

import lxml.html

WIDTH = 78
INDENT = "    "
UNDERLINES = "=-."  # the title, sections, and smaller headings, each underlined so it stands apart
HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Elements whose children are read as blocks of their own; anything else is inline text.
CONTAINERS = {"html", "body", "div", "section", "article", "header", "footer", "main", "nav", "center", "figure",
              "details", "tbody", "thead", "tfoot", "tr", "td", "th", "dl", "dd", "li", "blockquote"}
PARAGRAPHS = {"p", "dt", "figcaption", "summary", "caption"}
SKIPPED = {"head", "script", "style", "title", "template"}
INSETS = ("admonition", "banner")  # classes that mark a note box or the preview banner: shown as inset text
# The organisation's name band above the title: the text versions start with the title and date, and name the
# organisation in their footer.
OMITTED = ("masthead",)


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    text: str


@dataclass
class Inset:
    blocks: list[Block]


@dataclass
class ListBlock:
    ordered: bool
    items: list[list[Block]]


@dataclass
class Code:
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Rule:
    pass


Block = Union[Heading, Paragraph, Inset, ListBlock, Code, Table, Rule]
LinkStyle = Callable[[str, str], str]


def plain_link(text: str, url: str) -> str:
    return url if text in ("", url) else f"{text} ({url})"


def notify_link(text: str, url: str) -> str:
    """Notify turns bare addresses into links but shows `[text](url)` as typed."""
    return url if text in ("", url) else f"{text}: {url}"


@dataclass
class Reader:
    """Turns an element tree into blocks; `link` writes each link's text and address as words."""

    link: LinkStyle
    _words: list[str] = field(default_factory=list)

    def blocks(self, element) -> list[Block]:
        found: list[Block] = []
        pending: list[str] = []

        def flush() -> None:
            text = _squeeze("".join(pending))
            if text:
                found.append(Paragraph(text))
            pending.clear()

        pending.append(element.text or "")
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if _is_block(child):
                flush()
                found += self._block(child)
            elif tag and not _hidden(child):
                pending.append(self.inline(child))
            pending.append(child.tail or "")
        flush()
        return found

    def _block(self, element) -> list[Block]:
        tag = element.tag
        if _hidden(element) or tag in SKIPPED:
            return []
        if tag in HEADING_TAGS:
            return [Heading(HEADING_TAGS[tag], _squeeze(self.inline(element)))]
        if tag in ("ul", "ol"):
            items = [self.blocks(item) for item in element if item.tag == "li"]
            return [ListBlock(tag == "ol", items)]
        if tag == "pre":
            return [Code(element.text_content().rstrip("\n"))]
        if tag == "hr":
            return [Rule()]
        if tag == "table" and element.get("role") != "presentation":
            return [self._table(element)]
        if tag in PARAGRAPHS:
            text = _squeeze(self.inline(element))
            return [Paragraph(text)] if text else []
        inner = self.blocks(element)
        classes = (element.get("class") or "").split()
        if tag == "blockquote" or any(name in classes for name in INSETS):
            return [Inset(inner)] if inner else []
        if tag == "dd":
            return [Inset(inner)] if inner else []
        return inner

    def _table(self, table) -> Table:
        rows = [row for row in table.iter("tr")]
        cells = [[_squeeze(self.inline(cell)) for cell in row if cell.tag in ("td", "th")] for row in rows]
        has_header = bool(rows) and all(cell.tag == "th" for cell in rows[0] if isinstance(cell.tag, str))
        return Table(cells[0], cells[1:]) if has_header else Table([], cells)

    def inline(self, element) -> str:
        """The element's text with its links and images written out as words."""
        tag = element.tag if isinstance(element.tag, str) else ""
        if _hidden(element) or tag in SKIPPED:
            return ""
        if tag == "br":
            return "\n"
        if tag == "img":
            alt = _squeeze(element.get("alt") or "")
            return f"(Image: {alt})" if alt else ""
        parts = [element.text or ""]
        for child in element:
            parts.append(self.inline(child) if isinstance(child.tag, str) else "")
            parts.append(child.tail or "")
        text = "".join(parts)
        if tag == "a" and element.get("href"):
            return self.link(_squeeze(text), element.get("href"))
        if tag == "sup" and (element.get("id") or "").startswith("fnref"):
            return f"[{_squeeze(text)}]"
        return text


def _is_block(element) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    return (tag in CONTAINERS or tag in PARAGRAPHS or tag in HEADING_TAGS or tag in SKIPPED
            or tag in ("ul", "ol", "pre", "hr", "table"))


def _hidden(element) -> bool:
    """Preview text and anything else the HTML hides from readers, and the parts the text versions leave out."""
    style = (element.get("style") or "").replace(" ", "").lower()
    classes = (element.get("class") or "").split()
    return (element.get("aria-hidden") == "true" or "display:none" in style or element.get("hidden") is not None
            or any(name in classes for name in OMITTED))


def _squeeze(text: str) -> str:
    """Collapse runs of spaces as a browser does, keeping the line breaks `<br>` asked for."""
    lines = [re.sub(r"[ \t\r\n\f]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def read(html: str, link: LinkStyle) -> list[Block]:
    document = lxml.html.document_fromstring(html)
    return Reader(link).blocks(document.body)


# ---- plain text ---------------------------------------------------------------------------------------------


def _wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
    """Lines of at most WIDTH characters; an address longer than that gets a line of its own, unbroken."""
    wrapper = textwrap.TextWrapper(width=WIDTH, initial_indent=indent if first is None else first,
                                   subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            wrapper.initial_indent = indent
        lines += wrapper.wrap(line) or [indent.rstrip()]
    return lines


def _plain(blocks: list[Block], indent: str = "") -> list[list[str]]:
    """Each block as its lines; blocks are later joined with a blank line between them."""
    out: list[list[str]] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines = _wrap(block.text, indent)
            underline = UNDERLINES[min(block.level, 3) - 1]
            lines.append(indent + underline * max(len(line) - len(indent) for line in lines))
            out.append(lines)
        elif isinstance(block, Paragraph):
            out.append(_wrap(block.text, indent))
        elif isinstance(block, Inset):
            out += _plain(block.blocks, indent + INDENT)
        elif isinstance(block, ListBlock):
            out.append(_plain_list(block, indent))
        elif isinstance(block, Code):
            out.append([(indent + INDENT + line).rstrip() for line in block.text.split("\n")])
        elif isinstance(block, Table):
            out += _plain_table(block, indent)
        elif isinstance(block, Rule):
            out.append([indent + "-" * (WIDTH - len(indent))])
    return out


def _plain_list(block: ListBlock, indent: str) -> list[str]:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}. " if block.ordered else "- "
        inner = indent + " " * len(marker)
        parts = _plain(item, inner)
        if not parts:
            continue
        first = parts[0]
        first[0] = indent + marker + first[0][len(inner):]
        for part_number, part in enumerate(parts):
            # A nested list follows its item directly; further paragraphs of an item get a blank line.
            if part_number and not _is_list_lines(part, inner):
                lines.append("")
            lines += part
    return lines


def _is_list_lines(lines: list[str], indent: str) -> bool:
    return bool(lines) and re.match(re.escape(indent) + r"(- |\d+\. )", lines[0]) is not None


def _plain_table(table: Table, indent: str) -> list[list[str]]:
    """One paragraph per row: each cell after its column heading, which reads well at any width."""
    rows = []
    for row in table.rows:
        lines: list[str] = []
        for column, cell in enumerate(row):
            heading = table.headers[column] if column < len(table.headers) else ""
            text = f"{heading}: {cell}" if heading else cell
            lines += _wrap(text, indent + "  ", first=indent)
        rows.append(lines)
    return rows


def to_plain_text(html: str) -> str:
    blocks = _plain(read(html, plain_link))
    return "\n\n".join("\n".join(lines) for lines in blocks if lines) + "\n"


# ---- GOV.UK Notify ------------------------------------------------------------------------------------------


def _notify(blocks: list[Block], inset: bool = False) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            # Notify has a heading and a subheading; deeper levels become subheadings too.
            out.append(("# " if block.level == 1 else "## ") + block.text.replace("\n", " "))
        elif isinstance(block, Paragraph):
            out.append(("^ " if inset else "") + block.text)
        elif isinstance(block, Inset):
            out += _notify(block.blocks, inset=True)
        elif isinstance(block, ListBlock):
            out.append("\n".join(_notify_list(block, "")))
        elif isinstance(block, Code):
            out.append("^ " + block.text)
        elif isinstance(block, Table):
            out += _notify_table(block, inset)
        elif isinstance(block, Rule):
            out.append("---")
    return out


def _notify_list(block: ListBlock, indent: str) -> list[str]:
    """Notify's items are one line each, with sub-items indented by 2 spaces."""
    lines = []
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}. " if block.ordered else "* "
        words = [part.text.replace("\n", " ") for part in item if isinstance(part, (Paragraph, Heading))]
        lines.append(indent + marker + " ".join(words))
        for nested in (part for part in item if isinstance(part, ListBlock)):
            lines += _notify_list(nested, indent + "  ")
    return lines


def _notify_table(table: Table, inset: bool) -> list[str]:
    rows = []
    for row in table.rows:
        cells = [f"{table.headers[i]}: {cell}" if i < len(table.headers) and table.headers[i] else cell
                 for i, cell in enumerate(row)]
        rows.append(("^ " if inset else "") + "\n".join(cells))
    return rows


def to_notify(html: str) -> str:
    return "\n\n".join(part for part in _notify(read(html, notify_link)) if part.strip()) + "\n"
