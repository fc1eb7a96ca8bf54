"""Warnings that help editors write for every reader: link text, heading order, acronyms, file links.

`publisher check --strict` turns them into errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from publisher.content.bodycheck import MARKDOWN_AUTOLINK, SPACES, Body, Link, Prose
from publisher.findings import Findings
from publisher.content.load import load_yaml_file
from publisher.content.models import Acronyms
from publisher.content.assets import file_size
from publisher.content.scaffold import PLACEHOLDER
from publisher.site.model import Item

ACRONYMS_FILE = "content/acronyms.yml"
# Everyone knows these; editors extend the list in content/acronyms.yml under `known:`.
DEFAULT_KNOWN_ACRONYMS = {"NHS", "GP", "UK", "COVID", "PDF", "DOCX", "XLSX", "RSS", "URL", "KB", "MB", "GOV", "GCSE",
                          "CV", "OK", "ID", "FAQ"}
DEFAULT_KNOWN_ACRONYMS.add(PLACEHOLDER)  # a leftover TODO is one error (validate.check_placeholders), not a warning too
VAGUE_LINK_TEXT = {"click here", "here", "read more", "more", "this page", "this link", "link", "find out more",
                   "click", "this", "more information", "learn more", "see here"}
HEADING = re.compile(r"^(#{1,6})\s+\S")
# A run of capitals, digits and ampersands; `acronym_in` finds the abbreviation in it ("AT&T", "ICSs", "HEE").
CAPITALS = re.compile(r"(?<![\w/.-])[A-Z][A-Z0-9&]++")
# What every abbreviation starts with; without CAPITALS' look-behind it is found several times faster.
TWO_CAPITALS = re.compile(r"[A-Z][A-Z0-9&]")
# Every byte but capitals, digits and "&" made a space: what is left of a body is its runs of them, found several
# times faster than by a pattern.
CAPITALS_ONLY = bytes(byte if byte in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&" else ord(" ") for byte in range(256))
WORD_AFTER = re.compile(r"[\w/-]")
EMPHASIS = re.compile(r"[*_`]")
ABBR_DEFINITION = re.compile(r"^\*\[([^\]]++)\]:")
FILE_SIZE_NOTE = re.compile(r"\((PDF|DOCX?|XLSX?|PPTX?|ODT|CSV), \d+(\.\d+)? ?[KM]B\)", re.IGNORECASE)
BARE_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
LONGEST_TEXT = 300  # link text longer than this is neither a vague phrase nor a bare address, and is not read again


def known_acronyms(root: Path, findings: Findings) -> set[str]:
    """The built-in abbreviations plus the `known:` list of content/acronyms.yml, reporting a malformed file."""
    from publisher.content.validate import validate_model  # imported here because validate imports this module

    path = root / ACRONYMS_FILE
    if not path.is_file():
        return set(DEFAULT_KNOWN_ACRONYMS)
    doc = load_yaml_file(path, ACRONYMS_FILE, findings)
    listed = validate_model(doc, Acronyms, findings) if doc else None
    return set(DEFAULT_KNOWN_ACRONYMS) | set(listed.known if isinstance(listed, Acronyms) else ())


class PdfLink(NamedTuple):
    """A link to a PDF whose text gives no size: the size in the advice is read once every source is loaded."""

    line: int
    path: str
    text: str


def check_link_text(item: Item, prose: Prose, findings: Findings, pdf_links: list[PdfLink]) -> None:
    line_number, line, links = prose
    for link in links:
        if link.image:
            continue
        short = link.text_end - link.text_start <= LONGEST_TEXT
        text = link.text(line).strip() if short else ""
        plain = EMPHASIS.sub("", text).strip(" .:!").lower()
        if short and plain in VAGUE_LINK_TEXT:
            findings.warning(item.rel, line_number, "link text",
                             f'"{text}" says nothing out of context; describe where the link goes, e.g. '
                             '"read the dental toolkit"')
        elif short and BARE_URL.match(text):
            findings.warning(item.rel, line_number, "link text",
                             "a bare web address is hard to read aloud; use words that say where the link goes")
        pdf = _unsized_pdf(line_number, line, link)
        if pdf:
            pdf_links.append(pdf)
    for autolink in MARKDOWN_AUTOLINK.finditer(line) if "<" in line else ():
        if autolink.group(1).lower().startswith(("http://", "https://")):
            findings.warning(item.rel, line_number, "link text",
                             "a bare web address is hard to read aloud; write [words that say where it goes](address)")


def _unsized_pdf(line_number: int, line: str, link: Link) -> PdfLink | None:
    path = link.target.split("#", 1)[0].split("?", 1)[0]
    if not path.lower().endswith(".pdf") or FILE_SIZE_NOTE.search(line, max(link.text_start, link.text_end - 60),
                                                                  link.text_end):
        return None
    text = link.text(line).strip() if link.text_end - link.text_start <= LONGEST_TEXT else "the link text"
    return PdfLink(line_number, path, text)


def check_pdf_links(item: Item, pdf_links: list[PdfLink], findings: Findings) -> None:
    """The advice quotes the file's real size when the PDF is beside the source."""
    for line_number, path, text in pdf_links:
        local = (item.source.path.parent / path)
        size = file_size(local.stat().st_size) if "://" not in path and local.is_file() else "240 KB"
        findings.warning(item.rel, line_number, "link text",
                         f'a link to a PDF must say so and give its size, e.g. "{text} (PDF, {size})"')


def check_headings(item: Item, line_number: int, line: str, previous: int, findings: Findings) -> int:
    heading = HEADING.match(line) if line.startswith("#") else None
    if not heading:
        return previous
    level = len(heading.group(1))
    if level == 1:
        findings.warning(item.rel, line_number, "heading",
                         "the title is the page's only level-1 heading; start sections with ## instead of #")
    elif level > previous + 1:
        findings.warning(item.rel, line_number, "heading",
                         f"this level-{level} heading skips level {previous + 1}; use {'#' * (previous + 1)} "
                         "so screen-reader users can follow the structure")
    return level


def _outside_links(prose: Prose) -> str:
    """The line with link targets blanked, so acronyms in addresses are not counted."""
    line = prose.text
    if not prose.links and "<" not in line:
        return line
    ranges = sorted([(link.text_end, link.end) for link in prose.links] +
                    [match.span() for match in MARKDOWN_AUTOLINK.finditer(line)])
    parts, last = [], 0
    for start, end in ranges:
        start = max(start, last)
        if end > start:
            parts += [line[last:start], " " * (end - start)]
            last = end
    return "".join(parts) + line[last:]


def acronyms_in(line: str):
    """(start, end, word, plural "s" or "") of each abbreviation: two or more capitals, digits or "&", ending with a
    capital, maybe followed by a plural "s". Each run of capitals holds at most one, found in one pass over it.
    """
    for run in _capital_runs(line):
        start, stop = run.span()
        plural = "s" if line.startswith("s", stop) and not WORD_AFTER.match(line, stop + 1) else ""
        if line[stop - 1].isupper() and (plural or not WORD_AFTER.match(line, stop)):
            end = stop
        else:  # only a part ending just before an "&" can count: "AB&C1" holds "AB"
            plural = ""
            end = next((e for e in range(stop - 1, start + 1, -1) if line[e] == "&" and line[e - 1].isupper()), start)
        if end - start >= 2:
            yield start, end, line[start:end], plural


def _capital_runs(line: str):
    """CAPITALS.finditer(line), found several times faster: CAPITALS is tried only where TWO_CAPITALS, which every
    match starts with, finds a place, since scanning for its look-behind at every character is what costs."""
    position = 0
    while candidate := TWO_CAPITALS.search(line, position):
        run = CAPITALS.match(line, candidate.start())  # the look-behind still sees the character before
        if run:
            yield run
            position = run.end()
        else:
            position = candidate.start() + 1


def _bracketed(line: str, start: int, end: int) -> bool:
    """ "Health Education England (HEE)" or "HEE (Health Education England)"."""
    if line.startswith("(", SPACES.match(line, end).end()):
        return True
    before = start
    while before > 0 and line[before - 1].isspace():
        before -= 1
    return before > 0 and line[before - 1] == "("


def _only_known_capitals(body: Body, known: set[str]) -> bool:
    """Whether every run of capitals in the body, code and link addresses included, can hold no abbreviation but a
    known one, as in most bodies: then no line need be read. A run without "&" holds at most itself, and only when
    it ends with a capital (see `acronyms_in`)."""
    return all("&" not in run and (run in known or not run[-1].isupper()) for run in _runs_of_capitals(body.text))


def _runs_of_capitals(text: str) -> set[str]:
    """Every distinct run of capitals, digits and "&" from a capital on: what `[A-Z][A-Z0-9&]+` finds."""
    pieces = text.encode("utf-8", "surrogatepass").translate(CAPITALS_ONLY).split()
    return {run.decode() for run in {piece.lstrip(b"0123456789&") for piece in set(pieces)} if len(run) > 1}


def check_acronyms(item: Item, body: Body, known: set[str], findings: Findings) -> None:
    if _only_known_capitals(body, known):
        return
    seen: set[str] = set()
    defined = {m.group(1) for prose in body.prose if (m := ABBR_DEFINITION.match(prose.text))}
    for prose in body.prose:
        # Blanking link targets never makes an abbreviation, so a line with none as written has none to check.
        if not TWO_CAPITALS.search(prose.text) or ABBR_DEFINITION.match(prose.text):
            continue
        line = _outside_links(prose)
        for start, end, word, plural in acronyms_in(line):
            if word in seen or word in known or word + plural in known or word in defined:
                continue
            seen.add(word)
            if _bracketed(line, start, end + len(plural)):
                continue
            findings.warning(item.rel, prose.number, "acronym",
                             f'"{word}{plural}" is used before it is explained; the first time, write it out in full '
                             f'followed by the short form in brackets, e.g. "the full name ({word}{plural})", or add '
                             f"it to {ACRONYMS_FILE} if every reader knows it")


def check_item(item: Item, body: Body, known: set[str], findings: Findings) -> list[PdfLink]:
    """The style checks that need only this body; returns its unsized PDF links for `check_pdf_links`."""
    pdf_links: list[PdfLink] = []
    previous = 1
    for prose in body.prose:
        if prose.links or "<" in prose.text:  # the only lines with link text: most have none
            check_link_text(item, prose, findings, pdf_links)
        if prose.text.startswith("#"):
            previous = check_headings(item, prose.number, prose.text, previous, findings)
    check_acronyms(item, body, known, findings)
    return pdf_links
