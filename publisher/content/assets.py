"""Which non-Markdown files are published, and why.

A file beside the sources (a toolkit download, or an image or document beside a bulletin or page) is published
only when a published source lists it under `downloads` or links to it, and only if it is safe to serve from the
site's own address:

- links (symbolic links) are never followed, read or published, wherever they are: copy the file instead;
- only the types in ACCEPTED, and only when the content matches the name's ending: web pages, scripts, style
  sheets and the like would run on the site's own origin, so they are refused;
- SVG images only without script, event handlers, embedded HTML, DOCTYPEs or references to other files;
- at most MAX_BYTES;
- names that work in a web address (lower-case letters, digits, hyphens, dots, underscores), and never a name
  starting with a dot (.env, .DS_Store, .git…), not even when linked.

Files used only by draft or scheduled bulletins wait, unpublished, until a source using them is published.
Markdown with another ending (.markdown, .mkd…) is refused: MkDocs would render it itself, unchecked.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable

from publisher.findings import Findings
from publisher.content.models import Toolkit
from publisher.site.model import Item, Site
from publisher.content.sources import DATA_FILES, SOURCE_FOLDERS, SiteFile, asset_url, site_files

if TYPE_CHECKING:
    from lxml import etree

MAX_BYTES = 10 * 1024 * 1024
SAFE_NAME = re.compile(r"[a-z0-9_][a-z0-9._-]*")
HEAD_BYTES = 4096
LINK_ADVICE = "links are not published — copy the file here instead"


@dataclass(frozen=True)
class FileType:
    description: str  # "a PDF document"
    matches: Callable[[bytes], bool]  # does the start of the file fit the type?


def _starts(*signatures: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(signatures)


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _is_plain_text(head: bytes) -> bool:
    # No NUL bytes (binary), and no opening tag a browser might take for a web page.
    return b"\0" not in head and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


PDF = _starts(b"%PDF-")
ZIP = _starts(b"PK\x03\x04")  # Office Open XML and OpenDocument files are zip archives
OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # older Office files
RTF = _starts(b"{\\rtf")
PNG = _starts(b"\x89PNG\r\n\x1a\n")
JPEG = _starts(b"\xff\xd8\xff")
GIF = _starts(b"GIF87a", b"GIF89a")
ACCEPTED: dict[str, FileType] = {
    ".pdf": FileType("a PDF document", PDF),
    ".doc": FileType("a Word document", OLE),
    ".docx": FileType("a Word document", ZIP),
    ".xls": FileType("an Excel workbook", OLE),
    ".xlsx": FileType("an Excel workbook", ZIP),
    ".ppt": FileType("a PowerPoint presentation", OLE),
    ".pptx": FileType("a PowerPoint presentation", ZIP),
    ".odt": FileType("an OpenDocument text", ZIP),
    ".ods": FileType("an OpenDocument spreadsheet", ZIP),
    ".odp": FileType("an OpenDocument presentation", ZIP),
    ".rtf": FileType("a Rich Text document", RTF),
    ".csv": FileType("a CSV file", _is_plain_text),
    ".txt": FileType("a plain text file", _is_plain_text),
    ".png": FileType("a PNG image", PNG),
    ".jpg": FileType("a JPEG image", JPEG),
    ".jpeg": FileType("a JPEG image", JPEG),
    ".gif": FileType("a GIF image", GIF),
    ".webp": FileType("a WebP image", _is_webp),
    ".svg": FileType("an SVG image", lambda head: True),  # checked in full by svg_problem
}
ACCEPTED_LIST = ", ".join(suffix.lstrip(".") for suffix in ACCEPTED)
LOOKS_LIKE = [  # what a mismatched file seems to be, for the error message
    (lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"), "a web page, SVG or XML file"),
    (PDF, "a PDF document"), (ZIP, "a zip archive or an Office document"), (OLE, "an older Office document"),
    (RTF, "a Rich Text document"), (PNG, "a PNG image"), (JPEG, "a JPEG image"), (GIF, "a GIF image"),
    (_is_webp, "a WebP image"), (_starts(b"MZ", b"\x7fELF", b"#!"), "a program"), (_is_plain_text, "plain text"),
]


def file_size(size: int) -> str:
    """'3 KB', '1.2 MB': how a download's size is shown to readers and expected in link text."""
    kilobytes = size / 1024
    if kilobytes >= 1024:
        return f"{kilobytes / 1024:.1f} MB"
    return f"{max(1, round(kilobytes))} KB"


@dataclass(frozen=True)
class Attachment:
    """A file that a source lists or links to, checked and ready to copy into the site as it is."""

    path: Path
    rel: str
    used_by: tuple[str, ...]  # the sources that list or link to it
    published: bool  # at least one of them is published, so the file is too

    @property
    def url(self) -> str:
        return asset_url(self.rel)


def choose_attachments(site: Site, linked: Mapping[str, Iterable[str]], findings: Findings,
                       files: list[SiteFile] | None = None) -> list[Attachment]:
    """Check every file under the source folders; return those that sources use, reporting the rest.

    `linked` maps each source to the files its body links to (see `LinkResolver.files_linked`); `files` is
    `site_files(site.root)`, when the caller has it already.
    """
    usable: dict[str, SiteFile] = {}
    for file in site_files(site.root) if files is None else files:
        if file.link:
            findings.error(file.rel, 1, "file", link_problem(site.root, file.path))
        elif not (file.rel.endswith(".md") or file.rel in DATA_FILES):
            problem = file_problem(file)
            if problem:
                findings.error(file.rel, problem[0], "file", problem[1])
            else:
                usable[file.rel] = file
    users = _users(site, linked)
    attachments = []
    for rel, file in usable.items():
        using = users.get(rel, [])
        if not using:
            findings.warning(rel, 1, "file", "not used by any published page, so it is not published; link to it "
                             "or delete it")
            continue
        attachments.append(Attachment(file.path, rel, tuple(item.rel for item in using),
                                      any(item.published for item in using)))
    _check_unique_urls(attachments, findings)
    return attachments


def _users(site: Site, linked: Mapping[str, Iterable[str]]) -> dict[str, list[Item]]:
    """Each file's users: the sources linking to it and the toolkits listing it under `downloads`."""
    by_rel = {item.rel: item for item in site.items}
    users: dict[str, list[Item]] = defaultdict(list)
    for source, files in linked.items():
        for rel in files:
            if source in by_rel:
                users[rel].append(by_rel[source])
    for item in site.items:
        if isinstance(item.meta, Toolkit):
            for download in item.meta.downloads:
                users[posixpath.normpath(f"{item.source.folder}/{download.file}")].append(item)
    return users


# Written by the build itself (hosting.py, search.py, the theme); an attachment there would be overwritten or win.
GENERATED_ADDRESSES = ("robots.txt", "sitemap.xml", "manifest.json", "feed.xml", "atom.xml", "404.html")
GENERATED_FOLDERS = ("assets/", "pagefind/", "search/")


def _check_unique_urls(attachments: list[Attachment], findings: Findings) -> None:
    owners: dict[str, list[Attachment]] = defaultdict(list)
    for attachment in attachments:
        owners[attachment.url].append(attachment)
        if attachment.url in GENERATED_ADDRESSES or attachment.url.startswith(GENERATED_FOLDERS):
            findings.error(attachment.rel, 1, "file", f"this would publish at /{attachment.url}, which the site "
                           "itself writes; rename or move the file")
    for url, same in owners.items():
        for attachment in same if len(same) > 1 else []:
            others = ", ".join(other.rel for other in same if other is not attachment)
            findings.error(attachment.rel, 1, "file", f"this publishes at /{url}, the same address as {others}; "
                           "rename or move one of them")


def link_problem(root: Path, path: Path) -> str:
    """Why a symbolic link is refused, naming where it points."""
    target = Path(os.path.realpath(path))
    kind = "folder" if target.is_dir() else "file"
    if not target.exists():
        return f"is a link to {os.readlink(path)}, which does not exist; links are not published — delete it"
    if not target.is_relative_to(Path(os.path.realpath(root))):
        return f"is a link to a {kind} outside the site folder ({target}); {LINK_ADVICE}"
    return f"is a link to the {kind} {target.relative_to(os.path.realpath(root)).as_posix()}; {LINK_ADVICE}"


def reference_problem(root: Path, rel: str) -> str | None:
    """Why a source may not list or link to the file at `rel` (relative to the site folder), or None.

    The text follows the name as written, e.g. '"photo.jpg" ' + problem.
    """
    parts = PurePosixPath(rel).parts
    if rel.startswith("..") or len(parts) < 2 or parts[0] not in SOURCE_FOLDERS:
        return ("is not in bulletins/, toolkits/ or content/, so it cannot be published; put the file next to the "
                "page that uses it")
    if any(part.startswith(".") for part in parts):
        return ("starts with a dot or is in a folder whose name does; such files (.env, .DS_Store, .git…) are never "
                "published, not even when linked; rename the file or remove the link")
    if rel in DATA_FILES:
        return "holds the site's settings and is not published; remove the link"
    for prefix in accumulate(parts, lambda path, part: f"{path}/{part}"):
        if (root / prefix).is_symlink():
            return f"is a link ({prefix}), not a file; {LINK_ADVICE}"
    for part in parts:
        if not SAFE_NAME.fullmatch(part):
            return (f'has "{part}" in its name, which breaks web addresses; names may hold only lower-case letters, '
                    f'digits, hyphens, dots and underscores, so rename it "{safe_name(part)}" and write that name')
    return None


def safe_name(name: str) -> str:
    """A file or folder name that works in a web address: 'Café Menu (v2).PDF' -> 'cafe-menu-v2.pdf'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    stem, dot, suffix = ascii_name.rpartition(".") if "." in ascii_name.lstrip(".") else (ascii_name, "", "")
    stem = re.sub(r"[^a-z0-9_]+", "-", stem).strip("-") or "file"
    return stem + dot + re.sub(r"[^a-z0-9]+", "", suffix)


@cache
def markdown_suffixes() -> set[str]:
    """Endings MkDocs takes for Markdown besides .md. MkDocs is imported when first needed, and lxml only for SVG
    files: `publisher check` has no other use for either."""
    from mkdocs.utils import markdown_extensions

    return {*markdown_extensions, ".mdwn", ".mdtxt", ".mdtext"} - {".md"}


def file_problem(file: SiteFile) -> tuple[int, str] | None:
    """(line, message) saying why a file may never be published, whether or not anything uses it; else None."""
    if file.suffix in markdown_suffixes() or (file.suffix == ".md" and not file.rel.endswith(".md")):
        return 1, (f'Markdown files must end in .md; rename it to "{PurePosixPath(file.rel).stem}.md" so it is '
                   "checked and published like every other page")
    file_type = ACCEPTED.get(file.suffix)
    if file_type is None:
        ending = f"ending {file.suffix}" if file.suffix else "without an ending such as .pdf"
        return 1, (f"files {ending} are not published, because web pages, scripts and unknown files could run code "
                   f"on the site or mislead readers; the accepted types are {ACCEPTED_LIST}; convert the file to "
                   "one of them")
    size = file.path.stat().st_size
    if size > MAX_BYTES:
        return 1, (f"the file is {size / 1024 / 1024:.1f} MB, over the limit of {MAX_BYTES // 1024 // 1024} MB; "
                   "make it smaller (compress the images, or split the document) or publish it elsewhere and link "
                   "to it")
    if size == 0:
        return 1, "the file is empty; export it again or delete it"
    if file.suffix == ".svg":
        return svg_problem(file.path.read_bytes())
    with file.path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if not file_type.matches(head):
        guess = next((description for matches, description in LOOKS_LIKE if matches(head)), "something else")
        return 1, (f"the file is not really {file_type.description}, although its name ends {file.suffix}: it looks "
                   f"like {guess}; save or export it again as {file_type.description}")
    return None


# --- SVG: an SVG opened on its own is a document, and may run script on the site's origin -----------------------

XHTML = "http://www.w3.org/1999/xhtml"
DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# CSS that fetches another file: @import, image-set("…"), url(…) pointing anywhere but inside the image, and
# backslash escapes, which can spell either of those in a way no pattern catches (\75rl(…) is url(…)).
OUTSIDE_CSS = re.compile(r"@import|image-set\(|url\(\s*+(?!['\"]?\s*#)|expression\(|\\", re.IGNORECASE)
ANIMATIONS = {"set", "animate", "animatemotion", "animatetransform", "animatecolor"}
SVG_ADVICE = "export the image again as a plain, static SVG (in Inkscape: Save As › Plain SVG)"


def svg_problem(data: bytes) -> tuple[int, str] | None:
    """(line, message) for the first thing in an SVG that could run script or fetch another file, else None."""
    declaration = DECLARATION.search(data)
    if declaration:
        line = data.count(b"\n", 0, declaration.start()) + 1
        kind = declaration.group(1).decode().upper()
        return line, f"the SVG has a <!{kind}>, which can pull in other files; {SVG_ADVICE}"
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return exc.lineno or 1, f"the SVG could not be read ({exc.msg}); {SVG_ADVICE}"
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        return 1, f"the SVG has a <!DOCTYPE>, which can pull in other files; {SVG_ADVICE}"
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        return root.sourceline or 1, f"the file is not an SVG image (it does not start with <svg>); {SVG_ADVICE}"
    for node in [*root.itersiblings(preceding=True), *root.iter(), *root.itersiblings()]:
        problem = _svg_node_problem(node)
        if problem:
            return node.sourceline or 1, f"{problem}; {SVG_ADVICE}"
    return None


def _svg_node_problem(node: etree._Element) -> str | None:
    from lxml import etree

    if node.tag is etree.Comment:
        return None
    if node.tag is etree.ProcessingInstruction:
        return f"the SVG has a processing instruction (<?{node.target} …?>), which can load a style sheet"
    if node.tag is etree.Entity or not isinstance(node.tag, str):
        return "the SVG uses an entity (&name;), which can pull in other files"
    name = etree.QName(node)
    local = name.localname.lower()
    if name.namespace == XHTML:
        return f"the SVG contains HTML (<{name.localname}>), which can run script"
    if local == "script":
        return "the SVG contains a <script>, which would run on the site"
    if local == "foreignobject":
        return "the SVG contains a <foreignObject>, which embeds web content that can run script"
    if local == "style" and OUTSIDE_CSS.search(node.text or ""):
        return "the SVG's <style> loads other files (@import, url(…) or a backslash escape)"
    if local in ANIMATIONS and _is_active_attribute(node.get("attributeName") or ""):
        return f"the SVG animates the {node.get('attributeName')} attribute, which can run script"
    for attribute, value in node.attrib.items():
        problem = _svg_attribute_problem(etree.QName(attribute).localname.lower(), value)
        if problem:
            return problem
    return None


def _is_active_attribute(name: str) -> bool:
    local = name.rpartition(":")[2].strip().lower()
    return local.startswith("on") or local == "href"


def _svg_attribute_problem(local: str, value: str) -> str | None:
    if local.startswith("on"):
        return f"the SVG has an {local} attribute, which runs script"
    if local == "href" and not value.strip().startswith("#"):
        return (f'the SVG refers to "{value.strip()[:60]}", outside the image; an SVG may only refer to its own parts '
                '(href="#…")')
    if OUTSIDE_CSS.search(value):
        return f"the SVG's {local} attribute loads another file (url(…), @import or a backslash escape)"
    return None
