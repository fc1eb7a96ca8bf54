"""Warnings that help editors write for every reader: link text, heading order, acronyms, file links.

`publisher check --strict` turns them into errors.
"""

from __future__ import annotations

import re
from pathlib import Path

from publisher.bodycheck import INLINE_LINK, body_lines
from publisher.findings import Findings
from publisher.load import load_yaml_file
from publisher.render import file_size
from publisher.site import Item, Site

ACRONYMS_FILE = "content/acronyms.yml"
# Everyone knows these; editors extend the list in content/acronyms.yml under `known:`.
DEFAULT_KNOWN_ACRONYMS = {"NHS", "GP", "UK", "COVID", "PDF", "DOCX", "XLSX", "RSS", "URL", "KB", "MB", "GOV", "GCSE",
                          "CV", "OK", "ID", "FAQ"}
VAGUE_LINK_TEXT = {"click here", "here", "read more", "more", "this page", "this link", "link", "find out more",
                   "click", "this", "more information", "learn more", "see here"}
HEADING = re.compile(r"^(#{1,6})\s+\S")
ACRONYM = re.compile(r"(?<![\w/.-])([A-Z][A-Z0-9&]*[A-Z])(s?)(?![\w/-])")
ABBR_DEFINITION = re.compile(r"^\*\[([^\]]+)\]:")
FILE_SIZE_NOTE = re.compile(r"\((PDF|DOCX?|XLSX?|PPTX?|ODT|CSV), \d+(\.\d+)? ?[KM]B\)", re.IGNORECASE)
BARE_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")


def known_acronyms(root: Path, findings: Findings) -> set[str]:
    path = root / ACRONYMS_FILE
    if not path.is_file():
        return set(DEFAULT_KNOWN_ACRONYMS)
    doc = load_yaml_file(path, ACRONYMS_FILE, findings)
    listed = doc.data.get("known", []) if doc else []
    return set(DEFAULT_KNOWN_ACRONYMS) | {str(word) for word in listed or []}


def check_link_text(item: Item, line_number: int, line: str, findings: Findings) -> None:
    for match in INLINE_LINK.finditer(line):
        if match.group(1):
            continue
        text, target = match.group(2).strip(), match.group(3)
        plain = re.sub(r"[*_`]", "", text).strip(" .:!").lower()
        if plain in VAGUE_LINK_TEXT:
            findings.warning(item.rel, line_number, "link text",
                             f'"{text}" says nothing out of context; describe where the link goes, e.g. '
                             '"read the dental toolkit"')
        elif BARE_URL.match(text):
            findings.warning(item.rel, line_number, "link text",
                             "a bare web address is hard to read aloud; use words that say where the link goes")
        _check_file_link(item, line_number, text, target, findings)
    for _autolink in AUTOLINK.finditer(line):
        findings.warning(item.rel, line_number, "link text",
                         "a bare web address is hard to read aloud; write [words that say where it goes](address)")


def _check_file_link(item: Item, line_number: int, text: str, target: str, findings: Findings) -> None:
    path = target.split("#", 1)[0].split("?", 1)[0]
    if not path.lower().endswith(".pdf") or FILE_SIZE_NOTE.search(text):
        return
    local = (item.source.path.parent / path)
    size = file_size(local.stat().st_size) if "://" not in path and local.is_file() else "240 KB"
    findings.warning(item.rel, line_number, "link text",
                     f'a link to a PDF must say so and give its size, e.g. "{text} (PDF, {size})"')


def check_headings(item: Item, line_number: int, line: str, previous: int, findings: Findings) -> int:
    heading = HEADING.match(line)
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


def _outside_links(line: str) -> str:
    """The line with link targets removed, so acronyms in addresses are not counted."""
    return INLINE_LINK.sub(lambda m: " " + m.group(2) + " ", AUTOLINK.sub(" ", line))


def check_acronyms(item: Item, known: set[str], findings: Findings) -> None:
    seen: set[str] = set()
    defined = {m.group(1) for _n, line in body_lines(item) if (m := ABBR_DEFINITION.match(line))}
    for line_number, raw in body_lines(item):
        if ABBR_DEFINITION.match(raw):
            continue
        line = _outside_links(raw)
        for match in ACRONYM.finditer(line):
            word, plural = match.group(1), match.group(2)
            if word in seen or word in known or word + plural in known or word in defined:
                continue
            seen.add(word)
            before, after = line[:match.start()], line[match.end():]
            if before.rstrip().endswith("(") or after.lstrip().startswith("("):
                continue  # "Health Education England (HEE)" or "HEE (Health Education England)"
            findings.warning(item.rel, line_number, "acronym",
                             f'"{word}{plural}" is used before it is explained; the first time, write it out in full '
                             f'followed by the short form in brackets, e.g. "the full name ({word}{plural})", or add '
                             f"it to {ACRONYMS_FILE} if every reader knows it")


def check_style(site: Site, findings: Findings) -> None:
    known = known_acronyms(site.root, findings)
    for item in site.items:
        previous = 1
        for line_number, line in body_lines(item):
            check_link_text(item, line_number, line, findings)
            previous = check_headings(item, line_number, line, previous, findings)
        check_acronyms(item, known, findings)
