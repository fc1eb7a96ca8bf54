"""Validate loaded sources against their models and against each other.

Every problem becomes a `Finding` naming the file, the line of the field, what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ValidationError

from publisher import dates

from publisher.content import assets, bodycheck, checkcache, linkcache, style
from publisher.findings import Finding, Findings
from publisher.content.load import Document, FieldPath, field_name, load_document, load_yaml_file
from publisher.content.scaffold import PLACEHOLDER, slugify
from publisher.content.models import (
    REQUIRED_SETTINGS, REQUIRED_TOPICS, Bulletin, DirectoryEntry, Page, Strict, Taxonomy, Toolkit,
)
from publisher.site.model import Item, Site, bulletin_state
from publisher.site.redirects import check_redirects
from publisher.content.sources import (
    BULLETIN_NAME, RESERVED_URLS, TAXONOMY, Source, entry_slug, find_sources, page_url, site_files, toolkit_slug,
)


# What a folder or file name must look like to be part of a web address (bulletins: BULLETIN_NAME).
WEB_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    # Compare as slugs too, so "Mental Health" finds "mental-health".
    candidates = {option: option for option in options} | {slugify(option): option for option in options}
    close = difflib.get_close_matches(slugify(word), list(candidates), n=1, cutoff=0.6) or \
        difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f'; did you mean "{candidates[close[0]]}"?' if close else ""


def _describe(error: dict[str, Any], model: type[BaseModel], loc: FieldPath, written: str | None = None) -> str:
    """What is wrong and how to fix it; `written` is the value as the editor typed it, when YAML read it as
    something other than text (`Yes`, `1.50`)."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    leaf = str(loc[-1]) if loc else "field"
    key = "" if loc and isinstance(loc[-1], int) else f"{leaf}: "  # list items have no name to repeat
    if kind == "missing":
        return f"this field is required; add a line '{leaf}: ...'"
    if kind == "extra_forbidden":
        known = _fields_at(model, loc[:-1])
        hint = did_you_mean(leaf, known) or f"; the fields are: {', '.join(known)}"
        return f'"{leaf}" is not a field here{hint}'
    if kind in ("string_type", "int_type", "int_parsing") and isinstance(value, bool):
        return (f"YAML read this as the yes/no value {str(value).lower()}, not text; put the value in quotes, "
                f'e.g. {key}"{written or value}"')
    if kind == "string_type" and isinstance(value, (int, float)):
        return f'YAML read this as a number; put it in quotes, e.g. {key}"{written or value}"'
    if kind == "string_type" and value is None:
        return "is empty; write the text after the colon"
    if kind == "string_type":
        return "must be a single piece of text, not a list or a set of fields"
    if kind in ("int_type", "int_parsing"):
        return f'"{value}" is not a whole number; write a year such as 2019'
    if kind == "list_type":
        example = f"write it as [{value}] or " if isinstance(value, (str, int, float)) else ""
        return f"must be a list; {example}put each item on its own line starting with '- '"
    if kind == "too_short":
        return "needs at least one item"
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        return f"is {len(value)} characters long, over the limit of {ctx.get('max_length')}; shorten it"
    if kind == "literal_error":
        return f'"{value}" is not allowed; use one of {ctx.get("expected")}'
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        fields = _fields_at(model, loc)
        return ("must be a set of 'name: value' fields" + (f": {', '.join(fields)}" if fields else "") +
                (f", e.g. {{{', '.join(f'{f}: ...' for f in fields[:2])}}}" if fields else ""))
    if kind in ("greater_than_equal", "less_than_equal"):
        return f'"{value}" is out of range; {error["msg"].lower()}'
    return error["msg"]


@lru_cache(maxsize=None)  # asked for every field of every source
def _nested_model(model: type[BaseModel], name: str) -> type[Strict] | None:
    """The model of a field holding fields of its own (`contact`, `downloads[]`), if it has one."""
    annotation = model.model_fields[name].annotation if name in model.model_fields else None
    inner = getattr(annotation, "__args__", (annotation,))
    return next((arg for arg in inner if isinstance(arg, type) and issubclass(arg, Strict)), None)


def _fields_at(model: type[BaseModel], loc: FieldPath) -> list[str]:
    """The field names allowed at a nested location, for 'did you mean' suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        current = _nested_model(current, part)
        if current is None:
            return []
    return list(current.model_fields)


def validate_model(doc: Document, model: type[Strict], findings: Findings) -> Strict | None:
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            # A check across fields (status and its withdrawn block) names in ctx the field it is reported at.
            loc = tuple(error["loc"]) or ((error.get("ctx") or {}).get("field") or "front matter",)
            if loc[-1:] == ("[key]",):  # pydantic's marker for a bad mapping key: name the mapping, point at the key
                loc = loc[:-1]
                findings.error(doc.rel, doc.line_of(loc), field_name(loc[:-1]), _describe(error, model, loc))
                continue
            findings.error(doc.rel, doc.line_of(loc), field_name(loc),
                           _describe(error, model, loc, doc.written.get(loc)))
        return None


def load_taxonomy(root: Path, findings: Findings) -> Taxonomy | None:
    path = root / TAXONOMY
    if not path.is_file():
        findings.error(TAXONOMY, 1, "file", "the taxonomy file is missing; it lists the topics, regions and "
                       "other terms the content may use (see the README)")
        return None
    doc = load_yaml_file(path, TAXONOMY, findings)
    if doc is None:
        return None
    taxonomy = validate_model(doc, Taxonomy, findings)
    if taxonomy is None:
        return None
    for vocabulary, required in (("topics", REQUIRED_TOPICS), ("settings", REQUIRED_SETTINGS)):
        for slug in required:
            if slug not in getattr(taxonomy, vocabulary):
                findings.error(TAXONOMY, doc.line_of((vocabulary,)), vocabulary,
                               f'the required term "{slug}" is missing; add it back with a label and description')
    return taxonomy


def build_item(source: Source, doc: Document, meta: Strict, findings: Findings) -> Item | None:
    """The item a valid source becomes; a bulletin's state, which depends on "now", is set by `load_site`."""
    if isinstance(meta, Bulletin):
        return _bulletin_item(source, doc, meta, findings)
    check_address_names(source, meta, findings)
    if isinstance(meta, Toolkit):
        slug = toolkit_slug(source.rel)
        return Item(source, doc, meta, f"toolkits/{slug}/", slug)
    if isinstance(meta, DirectoryEntry):
        slug = entry_slug(source.rel)
        return Item(source, doc, meta, f"directory/{slug}/", slug)
    return Item(source, doc, meta, page_url(source.rel), entry_slug(source.rel))


def check_address_names(source: Source, meta: Strict, findings: Findings) -> None:
    """Folder and file names become web addresses: upper case, spaces, accents, '?' or '#' would break links.

    The item is still built, so links to it are checked as usual; the error stops the build.
    """
    for name, is_folder in _address_names(source, meta):
        if WEB_NAME.fullmatch(name):
            continue
        what, ending = ("folder", "") if is_folder else ("file", ".md")
        suggestion = slugify(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode())  # café: cafe
        findings.error(source.rel, 1, "file name",
                       f'the {what} name "{name}{ending}" would make a broken web address; use lower case words and '
                       f'digits joined by hyphens, e.g. "{suggestion}{ending}", and rename the {what}')


def _address_names(source: Source, meta: Strict) -> list[tuple[str, bool]]:
    """The folder and file names (without .md) in the source's web address, each with whether it is a folder."""
    path = PurePosixPath(source.rel)
    if isinstance(meta, Toolkit):
        return [(path.parent.name, True)]
    if isinstance(meta, DirectoryEntry):
        return [(path.stem, False)]
    folders = [(folder, True) for folder in path.relative_to("content").parent.parts]
    return folders if path.name in ("index.md", "README.md") else folders + [(path.stem, False)]


def _bulletin_item(source: Source, doc: Document, meta: Bulletin, findings: Findings) -> Item | None:
    name = source.rel.rpartition("/")[2]
    match = BULLETIN_NAME.fullmatch(name)
    day = meta.date.date().isoformat()
    if not match:
        findings.error(source.rel, 1, "file name",
                       f'"{name}" does not follow the pattern YYYY-MM-DD-short-title.md, lower case words joined by '
                       f"hyphens, e.g. {day}-{slugify(meta.title)}.md; rename the file")
        return None
    if match["date"] != day:
        findings.warning(source.rel, doc.line_of(("date",)), "date",
                         f"the date {day} differs from the date in the file name "
                         f"({match['date']}); the page uses the front-matter date, so rename the file to match")
    url = f"bulletins/{meta.date:%Y/%m/%d}/{match['slug']}/"
    return Item(source, doc, meta, url, match["slug"])


def check_taxonomy_terms(doc: Document, model: type[Strict], taxonomy: Taxonomy, findings: Findings) -> None:
    """Checked on the raw front matter, so a slug typo is reported even when other fields are wrong."""
    for loc, vocabulary, slug in _taxonomy_references(doc.data, model, ()):
        terms = getattr(taxonomy, vocabulary)
        if slug not in terms:
            hint = did_you_mean(slug, list(terms)) or " (add it there first if it is new)"
            findings.error(doc.rel, doc.line_of(loc), field_name(loc),
                           f'"{slug}" is not one of the {vocabulary} in {TAXONOMY}{hint}')


def _taxonomy_references(data: Any, model: type[Strict], loc: FieldPath):
    if not isinstance(data, dict):
        return
    for name, vocabulary in model.taxonomy_fields.items():
        value = data.get(name)
        values = value if isinstance(value, list) else [value]
        for index, slug in enumerate(values):
            if isinstance(slug, str):
                yield (loc + (name, index) if isinstance(value, list) else loc + (name,)), vocabulary, slug
    for name in model.model_fields:
        child_model = _nested_model(model, name)
        value = data.get(name)
        if child_model is None or value is None:
            continue
        if isinstance(value, list):
            for index, child in enumerate(value):
                yield from _taxonomy_references(child, child_model, loc + (name, index))
        else:
            yield from _taxonomy_references(value, child_model, loc + (name,))


def check_unique_urls(items: list[Item], findings: Findings) -> None:
    owners: dict[str, list[Item]] = {}
    for item in items:
        owners.setdefault(item.url, []).append(item)
    for url, same in owners.items():
        if url in RESERVED_URLS and all(isinstance(i.meta, Page) for i in same):
            for item in same:
                findings.error(item.rel, 1, "file", f"this page would publish at /{url}, which {RESERVED_URLS[url]} "
                               "uses; rename or move the file")
        if len(same) > 1:
            for item in same:
                others = ", ".join(o.rel for o in same if o is not item)
                findings.error(item.rel, 1, "file",
                               f"this publishes at /{url}, the same address as {others}; rename one of them")


def check_toolkit(item: Item, today, findings: Findings) -> None:
    meta: Toolkit = item.meta  # type: ignore[assignment]
    for index, download in enumerate(meta.downloads):
        loc = ("downloads", index, "file")
        problem = download_problem(item, download.file)
        if problem:
            findings.error(item.rel, item.doc.line_of(loc), field_name(loc), problem)
    for index, opportunity in enumerate(meta.opportunities):
        if opportunity.closes < today:
            loc = ("opportunities", index, "closes")
            findings.warning(item.rel, item.doc.line_of(loc), field_name(loc),
                             f"this opportunity closed on {dates.long_date(opportunity.closes)} and is no longer "
                             "shown; remove it or give its new closing date")
    if meta.review_due < today:
        findings.warning(item.rel, item.doc.line_of(("review_due",)), "review_due",
                         f"the review was due on {dates.long_date(meta.review_due)}; review the toolkit, then "
                         "update last_reviewed and review_due")


def download_problem(item: Item, name: str) -> str | None:
    """What is wrong with a toolkit's `downloads[].file`, judged on the name as written: links are never followed."""
    folder = item.source.folder
    rel = posixpath.normpath(f"{folder}/{name}")
    if PurePosixPath(name).is_absolute() or not PurePosixPath(rel).is_relative_to(folder):
        return f'"{name}" is outside the toolkit folder; put the file in toolkits/{item.slug}/ and give just its name'
    if not os.path.lexists(item.source.root / rel):
        present = sorted(p.name for p in item.source.path.parent.iterdir()
                         if p.is_file() and p.name != "index.md" and not p.name.startswith("."))
        hint = did_you_mean(name, present) or "; add the file or correct its name"
        return f'the file "{name}" is not in toolkits/{item.slug}/{hint}'
    problem = assets.reference_problem(item.source.root, rel)
    if problem:
        return f'"{name}" {problem}'
    if not (item.source.root / rel).is_file():
        return f'"{name}" is a folder, not a file; give the name of one file in it'
    return None


# The placeholder as a word of its own, wherever it is left: "TODO: write...", "TODO-choose-a-setting", "see TODO".
PLACEHOLDER_WORD = re.compile(rf"\b{PLACEHOLDER}\b")


def check_placeholders(doc: Document, findings: Findings) -> None:
    """Text left over from `publisher new` (or a note to self) must not reach readers."""
    for loc, line in doc.lines.items():
        value = _value_at(doc.data, loc)
        if isinstance(value, str) and PLACEHOLDER in value and PLACEHOLDER_WORD.search(value):
            findings.error(doc.rel, line, field_name(loc), "still holds the placeholder from 'publisher new'; "
                           "replace it with the real value")
    if PLACEHOLDER not in doc.body:  # the usual case, seen without splitting the body into lines
        return
    for offset, text in enumerate(doc.body.split("\n")):
        if PLACEHOLDER_WORD.search(text):
            findings.error(doc.rel, doc.body_line + offset, "body", "still holds placeholder text from "
                           "'publisher new'; write the real text")


def _value_at(data: Any, loc: FieldPath) -> Any:
    """The value at a field path, or None where the path does not lead to one."""
    for part in loc:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


@dataclass
class Examined:
    """What the checks found in one source on its own: a pure function of its path and bytes, the taxonomy, the
    acronyms file and the publisher's code, so `checkcache` can keep it between runs.

    Everything that depends on other sources, on files beside the sources or on "now" is left to `load_site`:
    the addresses in the body and the unsized PDF links are kept here to be checked there.
    """

    findings: list[Finding]
    doc: Document | None = None
    meta: Strict | None = None
    url: str | None = None  # None: the source is not an item (its front matter or its name is wrong)
    slug: str = ""
    # bodycheck.Address and style.PdfLink, which become plain tuples when kept
    addresses: list[tuple[int, str, bool]] = field(default_factory=list)
    pdf_links: list[tuple[int, str, str]] = field(default_factory=list)

    def __getstate__(self) -> tuple:
        # Plain tuples, and no body or path (`attach` takes them from the file itself): a cache of thousands of
        # sources stays small, and is written and read in half the time.
        doc = self.doc
        kept = None if doc is None else (doc.rel, doc.data, doc.lines, doc.body_line, doc.written)
        return (self.findings, kept, self.meta, self.url, self.slug, [tuple(address) for address in self.addresses],
                [tuple(link) for link in self.pdf_links])

    def __setstate__(self, state: tuple) -> None:
        self.findings, kept, self.meta, self.url, self.slug, self.addresses, self.pdf_links = state
        self.doc = None if kept is None else Document(None, kept[0], kept[1], kept[2], "", kept[3],  # type: ignore
                                                      kept[4])

    def attach(self, source: Source, raw: bytes) -> None:
        """Give the document back its path and body, from the source's bytes as read in this run."""
        if self.doc is not None:
            self.doc.path = source.path
            self.doc.defer_body(raw)

    def item(self, source: Source, now: datetime) -> Item | None:
        if self.url is None or self.doc is None or self.meta is None:
            return None
        state = bulletin_state(self.meta, now) if isinstance(self.meta, Bulletin) else "published"
        return Item(source, self.doc, self.meta, self.url, self.slug, state)


def examine(source: Source, raw: bytes | None, taxonomy: Taxonomy | None, known: set[str]) -> Examined:
    """Every check on one source that needs nothing else from the site. `raw` is its bytes, if already read.

    Without a taxonomy the site cannot be built, so only the front matter is checked, as before a fix.
    """
    findings = Findings()
    doc = load_document(source.path, source.rel, findings, raw)
    if doc is None:
        return Examined(list(findings))
    check_placeholders(doc, findings)
    if taxonomy is not None:
        check_taxonomy_terms(doc, source.model, taxonomy, findings)
    meta = validate_model(doc, source.model, findings)
    item = build_item(source, doc, meta, findings) if meta is not None else None
    if item is None:
        return Examined(list(findings), doc, meta)
    result = Examined([], doc, meta, item.url, item.slug)
    if taxonomy is not None:
        body = bodycheck.read_body(item)  # split into lines once, for both kinds of check
        result.addresses = bodycheck.check_item(item, body, findings)
        result.pdf_links = style.check_item(item, body, known, findings)
    result.findings = list(findings)
    return result


def load_site(root: Path, now: datetime | None = None,
              memory: checkcache.SourceMemory | None = None) -> tuple[Site | None, Findings]:
    """Load and validate every source. Returns the site (None if unusable) and all findings.

    What each source's own checks find is kept in `<root>/.cache/` (see `checkcache`), so a second run reads and
    checks again only the sources that changed; so is where each source's links lead (see `linkcache`), resolved
    again only for sources that changed or when they may lead elsewhere. The other checks across sources run
    every time.
    """
    findings = Findings()
    now = now or dates.now()
    taxonomy = load_taxonomy(root, findings)
    known = style.known_acronyms(root, findings) if taxonomy is not None else set()
    files = site_files(root)
    sources = find_sources(root, files)
    examined = checkcache.examine_all(root, sources, partial(examine, taxonomy=taxonomy, known=known), memory)
    items: list[Item] = []
    checked: list[tuple[Item, Examined, bytes | None]] = []
    for source, result, digest in zip(sources, examined.results, examined.digests):
        findings.extend(result.findings)
        item = result.item(source, now)
        if item is not None:
            items.append(item)
            checked.append((item, result, digest))
    check_unique_urls(items, findings)
    for item in items:
        if isinstance(item.meta, Toolkit):
            check_toolkit(item, now.date(), findings)
    if taxonomy is None:
        return None, findings
    site = Site(root=root, taxonomy=taxonomy, now=now, items=items)
    rels = [source.rel for source in sources]
    resolver = linkcache.RecordingResolver(root, items, sources=rels)
    linkcache.check_links(root, examined.inputs, resolver, items, rels,
                          [linkcache.ToCheck(item, result.addresses, digest) for item, result, digest in checked],
                          findings)
    for item, result, _digest in checked:
        style.check_pdf_links(item, result.pdf_links, findings)
    site.attachments = assets.choose_attachments(site, resolver.files_linked, findings, files)
    site.redirects = check_redirects(site, findings)
    return site, findings
