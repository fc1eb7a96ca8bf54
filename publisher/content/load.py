"""Read a source file and split it into front matter and body, keeping line numbers.

Line numbers refer to the file as the editor sees it: line 1 is the opening `---`.

Sources are written by people and sometimes pasted from anywhere, so nothing in them may make the publisher
crash or run for minutes: files are capped in size, and the YAML is screened event by event (no anchors or
aliases, no tags, limited nesting, field names that are words and appear once) before any Python object is
built from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from publisher.findings import Findings

FieldPath = tuple[str | int, ...]
FENCE = "---"
MAX_FILE_BYTES = 1024 * 1024  # the longest real bulletin is about 20 KB; more is pasted images or a runaway file
MAX_DEPTH = 10  # the deepest real field, downloads[0].title, is 3 levels down
MAX_NUMBER_LENGTH = 100  # Python refuses to read whole numbers over 4,300 digits; no real value comes near 100
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


# libyaml's parser is several times faster than PyYAML's; both keep marks for line numbers.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps dates as text so we can explain bad dates ourselves."""


class _PythonLoader(yaml.SafeLoader):
    """The same YAML read by PyYAML's own parser, for text whose nesting libyaml refuses before we see it.

    libyaml 0.2.6 and later (PyYAML 6.0.4's wheels) stop deep `[[[…` while scanning ahead, with their own message
    and before the parser gives out the events our depth check counts; PyYAML's parser gives them one by one.
    """


# Dates stay text so we can explain bad ones; a lone "=" (YAML 1.1's obscure "value" type) stays text too,
# since safe YAML has no way to build it and would fail with a message no editor could act on.
_KEPT_AS_TEXT = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"}
_Loader.yaml_implicit_resolvers = _PythonLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _KEPT_AS_TEXT]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
LIBYAML_DEPTH_LIMIT = "maximum nesting depth"  # in libyaml's message when its own limit stops the scanner


def field_name(loc: FieldPath) -> str:
    """A field as people count and name it: "title", "contact.email", "the 2nd topic" for ("topics", 1),
    "the 1st download's file" for ("downloads", 0, "file")."""
    name = ""
    for index, part in enumerate(loc):
        previous = loc[index - 1] if index else None
        if isinstance(part, int):
            if isinstance(previous, str) and _singular(previous) != previous:  # "topics": "the 2nd topic"
                outer = name[:-len(previous)].rstrip(".")
                name = f"the {ordinal(part + 1)} {_singular(previous)}" + (f" of {outer}" if outer else "")
            else:
                name = f"the {ordinal(part + 1)} item" + (f" of {name}" if name else "")
        elif isinstance(previous, int):
            name = f"{name}'s {part}"
        else:
            name = f"{name}.{part}" if name else part
    return name or "front matter"


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st..."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _singular(plural: str) -> str:
    """topics: topic, opportunities: opportunity, approaches: approach; other names are kept."""
    if plural.endswith("ies"):
        return plural[:-3] + "y"
    if plural.endswith(("ches", "shes", "sses", "xes")):
        return plural[:-2]
    return plural[:-1] if plural.endswith("s") and not plural.endswith("ss") else plural


class _Body:
    """A document's body, which may be kept as the source's bytes and decoded when first asked for (`defer_body`)."""

    def __get__(self, document: Document | None, owner: type | None = None) -> str:
        if document is None:
            return ""  # the field's default
        body = document.__dict__["_body"]
        if isinstance(body, bytes):
            try:
                body = body_at(decode(body), document.body_line)
            except UnicodeDecodeError:
                body = ""  # not text, which the source's own findings say
            document.__dict__["_body"] = body
        return body

    def __set__(self, document: Document, body: str) -> None:
        document.__dict__["_body"] = body


@dataclass
class Document:
    """One source: its front matter as data, the line of every field, and its Markdown body."""

    path: Path
    rel: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[FieldPath, int] = field(default_factory=dict)
    body: str = _Body()  # type: ignore[assignment]
    body_line: int = 1
    # Values YAML read as something other than text (`Yes`, `1.50`), as written, so advice can quote them.
    written: dict[FieldPath, str] = field(default_factory=dict)

    def defer_body(self, raw: bytes) -> None:
        """Take the body from the source's bytes only when it is first used. A document restored from the cache
        gets its body this way: a warm `publisher check` uses few bodies, and decoding them all took a twentieth
        of its time."""
        self.__dict__["_body"] = raw

    def line_of(self, loc: FieldPath) -> int:
        """The line of a field, or of its nearest parent that has one."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def read_text(path: Path, rel: str, findings: Findings, raw: bytes | None = None) -> str | None:
    """Decode a file as UTF-8 (with or without BOM), normalising line endings; None if it is unusable.

    `raw` is the file's bytes when the caller has already read them (at most MAX_FILE_BYTES of them).
    """
    raw = raw if raw is not None else _read_capped(path, rel, findings)
    if raw is None:
        return None
    if not raw.strip():
        findings.error(rel, 1, "file", "the file is empty; add front matter and content, or delete the file")
        return None
    try:
        return decode(raw)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        findings.error(
            rel, line, "file",
            f"the file is not saved as UTF-8 (byte 0x{raw[exc.start]:02x} on this line); "
            "save it again choosing the UTF-8 encoding",
        )
        return None


def decode(raw: bytes) -> str:
    """The text of a source as every check reads it: UTF-8 with or without BOM, with \\n line endings."""
    text = raw.decode("utf-8-sig")
    # Looking for a carriage return is several times faster than two replacements that find none, as in most files.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def body_at(text: str, body_line: int) -> str:
    """The body of a decoded source: everything from line `body_line` (the one after the closing fence) on."""
    parts = text.split("\n", body_line - 1)
    return parts[-1] if len(parts) == body_line else ""


def _read_capped(path: Path, rel: str, findings: Findings) -> bytes | None:
    """The file's bytes, reading at most one byte past the limit so a huge file is never loaded."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            size = max(len(raw), path.stat().st_size)
    except OSError as exc:
        findings.error(rel, 1, "file", f"the file could not be read ({exc.strerror or exc}); check that it is an "
                       "ordinary file you can open")
        return None
    if len(raw) > MAX_FILE_BYTES:
        findings.error(rel, 1, "file",
                       f"the file is {_megabytes(size)} MB, over the limit of {_megabytes(MAX_FILE_BYTES)} MB "
                       "for a source file; put pictures and documents in "
                       "files of their own and link to them, or split the text into several pages")
        return None
    return raw


def _megabytes(size: int) -> str:
    # Rounded up, so a file just over the limit never reads as "1.0 MB, over the limit of 1 MB".
    tenths = math.ceil(size * 10 / (1024 * 1024))
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths / 10:.1f}"


def parse_yaml(text: str, rel: str, first_line: int, findings: Findings,
               place: str = "front matter") -> tuple[Any, dict[FieldPath, int], dict[FieldPath, str]] | None:
    """Parse YAML text whose first line is `first_line` of the file; None on a syntax error.

    `place` names the YAML in messages: "front matter", or "this file" for a YAML data file.
    """
    try:
        data, lines, written = _read_yaml(text, first_line, place)
    except _Refused as refused:
        findings.error(rel, refused.line, field_name(refused.loc), refused.message)
        return None
    except yaml.MarkedYAMLError as exc:
        findings.error(rel, *_syntax_error(exc, text, first_line, place == "front matter"))
        return None
    except yaml.reader.ReaderError as exc:
        line = first_line + text.encode("utf-8")[:exc.position].count(b"\n")  # libyaml counts bytes
        findings.error(rel, line, "front matter",
                       f"this line holds an invisible control character (code {exc.character:#x}) that YAML cannot "
                       "read; delete it, for example by typing the line again")
        return None
    except yaml.YAMLError as exc:
        findings.error(rel, first_line, "front matter", f"YAML could not be read: {exc}")
        return None
    return data, lines, written


# A line at the left margin that starts a field: `title: ...`, `topics:`.
_FIELD_LINE = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]|$)")
# A field whose whole value is quoted: `title: "We said "yes""` (the key, the quote, what is inside the outer quotes).
_QUOTED_VALUE = re.compile(r"""\s*(?:-\s+)?([\w-]+):\s+(["'])(.*)\2\s*""")


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, first_line: int,
                  in_front_matter: bool = True) -> tuple[int, str, str]:
    """The line, field and message of a YAML syntax error, with advice for the usual causes.

    YAML's own words ("could not find expected ':'") tell an editor nothing, and its line is often where the parser
    gave up rather than where the mistake is, so the usual mistakes are recognised from the text itself first.
    """
    mark = exc.problem_mark or exc.context_mark
    at = mark.line if mark else 0
    lines = text.split("\n")
    explained = _tab_indent(lines) or _quotes_inside_quotes(lines, at) or \
        (_text_outside_fields(lines, at, first_line) if in_front_matter else None)
    if explained is not None:
        index, field, advice = explained
        return first_line + index, field, advice
    problem = exc.problem or "the YAML could not be read"
    offending = lines[at] if at < len(lines) else ""
    if "mapping values are not allowed" in problem and ": " in offending.partition(": ")[2]:
        advice = ("this line has a second ': ' in its value; put the whole value in quotes, "
                  'e.g. title: "Key messages: February"')
    else:
        advice = (f"YAML syntax error: {problem}; check the indentation, and put text containing ': ' or "
                  "starting with a quote, '[' or '*' in quotes")
    return first_line + at, "front matter", advice


def _tab_indent(lines: list[str]) -> tuple[int, str, str] | None:
    """The first line indented with a tab: YAML refuses tabs there, wherever the parser then stops."""
    for index, line in enumerate(lines):
        if line.lstrip(" ").startswith("\t"):
            return index, "front matter", ("this line is indented with a tab; YAML needs spaces, not a tab, so "
                                           "replace the tab with spaces")
    return None


def _quotes_inside_quotes(lines: list[str], at: int) -> tuple[int, str, str] | None:
    """`title: "We said "yes""`: the inner quote ends the value early. Suggest the other kind of quote outside."""
    for index in (at, at - 1):
        match = _QUOTED_VALUE.fullmatch(lines[index]) if 0 <= index < len(lines) else None
        if match is None or match[2] not in match[3]:
            continue
        key, quote, inner = match.groups()
        if quote == '"':
            fixed, outer = "'" + inner.replace("'", "''") + "'", "single quotes"
        else:
            fixed, outer = ('"' + inner + '"', "double quotes") if '"' not in inner else \
                ("'" + inner.replace("'", "''") + "'", "single quotes, with each ' inside written twice")
        kind = "double" if quote == '"' else "single"
        return index, key, (f"the value is in {kind} quotes and has {kind} quotes inside it, which end it early; "
                            f"put {outer} around the whole value instead: {key}: {fixed}")
    return None


def _text_outside_fields(lines: list[str], at: int, first_line: int) -> tuple[int, str, str] | None:
    """Text at the left margin that belongs to no field: a second paragraph, or the body before a `---` rule.

    Followed by more fields, it is a value that ran on to another paragraph: reported at that field, which must be
    one line. Followed by no field, the front matter was never closed and the body's `---` rule closed it instead:
    reported at the opening `---`, the line above the front matter.
    """
    stray = next((index for index, line in enumerate(lines[:at + 1]) if _is_stray(line)), None)
    if stray is None:
        return None
    fields = [(index, match[1]) for index, line in enumerate(lines) if (match := _FIELD_LINE.match(line))]
    before = [(index, key) for index, key in fields if index < stray]
    if not before:
        return None
    last_line, last_key = before[-1]
    if any(index > stray for index, _key in fields):
        return last_line, last_key, (f"must be one line, but its text goes on in another paragraph (line "
                                     f"{first_line + stray}); join the paragraphs into one line")
    return -1, "front matter", ("the front matter is not closed, so it runs on into the text until the line of three "
                                f"dashes on line {first_line + len(lines)}; add a line of three dashes (---) after "
                                "the last field")


def _is_stray(line: str) -> bool:
    """Text at the left margin that is not a field, a list item, a comment or a document marker."""
    return bool(line) and not line[0].isspace() and not line.startswith(("-", "#", "...")) \
        and not _FIELD_LINE.match(line)


class _Refused(Exception):
    """YAML we will not build objects from: the file line, the field and the editor-facing message."""

    def __init__(self, line: int, loc: FieldPath, message: str) -> None:
        super().__init__(message)
        self.line, self.loc, self.message = line, loc, message


@dataclass
class _Open:
    """A mapping (with the keys seen so far, and their lines) or a list that the event stream is inside."""

    loc: FieldPath
    keys: dict[str, int] | None
    value: dict[str, Any] | list[Any]  # as built so far
    key: str | None = None  # in a mapping, the key whose value is being read
    items: int = 0  # in a list, how many items have been read

    @property
    def wants_key(self) -> bool:
        return self.keys is not None and self.key is None

    def child(self) -> FieldPath:
        return self.loc + ((self.key,) if self.keys is not None else (self.items,))

    def add(self, value: Any) -> None:
        if self.keys is not None:
            self.value[self.key] = value  # type: ignore[index]
            self.key = None
        else:
            self.value.append(value)  # type: ignore[union-attr]
            self.items += 1


@dataclass
class _Built:
    """What one walk over the events makes: the value of each document, the line of every field and item, the
    values YAML read as something other than text as written, and the first error building a value."""

    loader: Any
    documents: list[Any] = field(default_factory=list)
    lines: dict[FieldPath, int] = field(default_factory=dict)
    written: dict[FieldPath, str] = field(default_factory=dict)
    root_mark: Any = None
    second_document: Any = None  # the mark of a second document, which front matter may not have
    error: yaml.YAMLError | None = None

    def scalar(self, event: yaml.ScalarEvent, loc: FieldPath) -> Any:
        tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return event.value
        if event.value:
            self.written[loc] = event.value
        try:
            return self.loader.construct_object(yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                                                event.style))
        except yaml.YAMLError as exc:  # e.g. a lone "<<": raised once the whole text is screened, as before
            self.error = self.error or exc
            return None

    def finish(self) -> tuple[Any, dict[FieldPath, int], dict[FieldPath, str]]:
        if self.second_document is not None:
            raise yaml.composer.ComposerError("expected a single document in the stream", self.root_mark,
                                              "but found another document", self.second_document)
        if self.error is not None:
            raise self.error
        return (self.documents[0] if self.documents else None), self.lines, self.written


def _read_yaml(text: str, first_line: int, place: str) -> tuple[Any, dict[FieldPath, int], dict[FieldPath, str]]:
    """Walk the YAML's parse events once, in constant stack space, raising _Refused at the first problem, and
    build the data from the events that pass: (data, line of each field, values as written).

    Nothing is built from a refused event: ten lines of nested aliases expand to billions of values, and nesting
    thousands deep slows libyaml quadratically and overflows a recursive composer, so both are stopped here, where
    they still cost nothing. Errors YAML itself finds in building a value, and a second document, are raised only
    once the whole text has been screened, so a refusal anywhere is reported first.
    """
    try:
        return _screen_events(_Loader(text), first_line, place)
    except yaml.MarkedYAMLError as exc:
        if LIBYAML_DEPTH_LIMIT not in (exc.problem or ""):
            raise
    return _screen_events(_PythonLoader(text), first_line, place)  # refuses at MAX_DEPTH, long before its limit


def _screen_events(loader: Any, first_line: int, place: str) -> tuple[Any, dict[FieldPath, int], dict[FieldPath, str]]:
    built = _Built(loader)
    try:
        inside: list[_Open] = []
        while (event := loader.get_event()) is not None:  # None after the last: no check_event for each one
            if isinstance(event, yaml.CollectionEndEvent):
                finished = inside.pop()
                _place(finished.value, inside, built)
            elif isinstance(event, yaml.NodeEvent):
                _screen_node(event, inside, loader, first_line, place, built)
            elif isinstance(event, yaml.DocumentStartEvent) and built.documents and built.second_document is None:
                built.second_document = event.start_mark
    finally:
        loader.dispose()
    return built.finish()


def _place(value: Any, inside: list[_Open], built: _Built) -> None:
    if inside:
        inside[-1].add(value)
    else:
        built.documents.append(value)


def _screen_node(event: yaml.NodeEvent, inside: list[_Open], loader: Any, first_line: int, place: str,
                 built: _Built) -> None:
    line = first_line + event.start_mark.line
    parent = inside[-1] if inside else None
    if parent is not None and parent.wants_key:
        _refuse_references(event, parent.loc, line, place)
        parent.key = _field_key(event, parent, loader, line)
        built.lines[parent.loc + (parent.key,)] = line
        return
    loc = parent.child() if parent is not None else ()
    _refuse_references(event, loc, line, place)
    if parent is None:
        built.root_mark = built.root_mark or event.start_mark
    elif parent.keys is None:
        built.lines[loc] = line
    if isinstance(event, yaml.CollectionStartEvent):
        if len(inside) >= MAX_DEPTH:
            raise _Refused(line, loc, f"this is nested more than {MAX_DEPTH} levels deep (no field needs more than "
                                      "3); check the brackets [ ] { } and the indentation")
        mapping = isinstance(event, yaml.MappingStartEvent)
        inside.append(_Open(loc, {} if mapping else None, {} if mapping else []))
        return
    _refuse_long_number(event, loc, loader, line)
    _place(built.scalar(event, loc), inside, built)


def _refuse_references(event: yaml.NodeEvent, loc: FieldPath, line: int, place: str) -> None:
    if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
        raise _Refused(line, loc, f"anchors (&name) and aliases (*name) are not allowed in {place}; "
                                  "write the value out in full")
    tag = getattr(event, "tag", None)
    if tag is not None:
        shown = tag.replace("tag:yaml.org,2002:", "!!", 1)
        raise _Refused(line, loc, f'YAML tags such as "{shown}" are not allowed in {place}; remove the tag, or put '
                                  "the whole value in quotes if it is text")


def _field_key(event: yaml.NodeEvent, parent: _Open, loader: Any, line: int) -> str:
    """The key as text, refusing keys YAML would read as numbers, yes/no, nothing or lists, and repeated keys."""
    if not isinstance(event, yaml.ScalarEvent):
        raise _Refused(line, parent.loc, "a list or a set of fields cannot be a field name; field names must be "
                                         'words, e.g. "title: ..."')
    key = event.value
    if loader.resolve(yaml.ScalarNode, key, event.implicit) != _STR_TAG:
        shown = f'"{key}" cannot be a field name' if key.strip() else "the field name is missing"
        raise _Refused(line, parent.loc, f'{shown}; field names must be words, e.g. "title: ..."')
    assert parent.keys is not None
    if key in parent.keys:
        raise _Refused(line, parent.loc + (key,),
                       f'"{key}" appears twice (first on line {parent.keys[key]}); keep one')
    parent.keys[key] = line
    return key


def _refuse_long_number(event: yaml.NodeEvent, loc: FieldPath, loader: Any, line: int) -> None:
    if not isinstance(event, yaml.ScalarEvent) or len(event.value) <= MAX_NUMBER_LENGTH or not event.implicit[0]:
        return
    if loader.resolve(yaml.ScalarNode, event.value, event.implicit) == _INT_TAG:
        raise _Refused(line, loc, f"this number is too long ({len(event.value)} characters); check it, or put it "
                                  "in quotes if it is text")


def load_document(path: Path, rel: str, findings: Findings, raw: bytes | None = None) -> Document | None:
    """Load a Markdown source with YAML front matter. Reports problems and returns None if unusable."""
    text = read_text(path, rel, findings, raw)
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        findings.error(rel, 1, "front matter",
                       "the file has no front matter; start it with a line of three dashes (---), "
                       "then the fields such as 'title: ...', then another line of three dashes")
        return None
    closing = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() in (FENCE, "...")), None)
    if closing is None:
        findings.error(rel, 1, "front matter",
                       "the front matter is never closed; add a line of three dashes (---) after the last field")
        return None
    parsed = parse_yaml("\n".join(lines[1:closing]), rel, 2, findings)
    if parsed is None:
        return None
    data, field_lines, written = parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        findings.error(rel, 2, "front matter",
                       "the front matter must be a list of 'field: value' lines, one field per line")
        return None
    return Document(path=path, rel=rel, data=data, lines=field_lines, body=body_at(text, closing + 2),
                    body_line=closing + 2, written=written)


def load_yaml_file(path: Path, rel: str, findings: Findings) -> Document | None:
    """Load a plain YAML data file (such as the taxonomy) with line numbers."""
    text = read_text(path, rel, findings)
    if text is None:
        return None
    parsed = parse_yaml(text, rel, 1, findings, place="this file")
    if parsed is None:
        return None
    data, field_lines, written = parsed
    if not isinstance(data, dict):
        findings.error(rel, 1, "file", "this file must be a set of 'name:' sections; see the README for its layout")
        return None
    return Document(path=path, rel=rel, data=data, lines=field_lines, written=written)
