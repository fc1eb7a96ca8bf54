"""Read a source file and split it into front matter and body, keeping line numbers.

Line numbers refer to the file as the editor sees it: line 1 is the opening `---`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from publisher.findings import Findings

FieldPath = tuple[str | int, ...]
FENCE = "---"


# libyaml's parser is several times faster than PyYAML's; both keep marks for line numbers.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe YAML that keeps dates as text so we can explain bad dates ourselves."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Document:
    """One source: its front matter as data, the line of every field, and its Markdown body."""

    path: Path
    rel: str
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[FieldPath, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1

    def line_of(self, loc: FieldPath) -> int:
        """The line of a field, or of its nearest parent that has one."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def read_text(path: Path, rel: str, findings: Findings) -> str | None:
    """Decode a file as UTF-8 (with or without BOM), normalising line endings."""
    raw = path.read_bytes()
    if not raw.strip():
        findings.error(rel, 1, "file", "the file is empty; add front matter and content, or delete the file")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        findings.error(
            rel, line, "file",
            f"the file is not saved as UTF-8 (byte 0x{raw[exc.start]:02x} on this line); "
            "save it again choosing the UTF-8 encoding",
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_yaml(text: str, rel: str, first_line: int, findings: Findings) -> tuple[Any, dict[FieldPath, int]] | None:
    """Parse YAML text whose first line is `first_line` of the file; None on a syntax error."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or "the YAML could not be read"
        offending = text.split("\n")[mark.line] if mark and mark.line < text.count("\n") + 1 else ""
        if "mapping values are not allowed" in problem and ": " in offending.partition(": ")[2]:
            advice = ("this line has a second ': ' in its value; put the whole value in quotes, "
                      'e.g. title: "Key messages: February"')
        else:
            advice = (f"YAML syntax error: {problem}; check the indentation, and put text containing ': ' or "
                      "starting with a quote, '[' or '*' in quotes")
        findings.error(rel, line, "front matter", advice)
        return None
    except yaml.YAMLError as exc:
        findings.error(rel, first_line, "front matter", f"YAML could not be read: {exc}")
        return None
    finally:
        loader.dispose()
    lines: dict[FieldPath, int] = {}
    if node is not None:
        _record_lines(node, (), first_line, lines)
    return data, lines


def _record_lines(node: yaml.Node, loc: FieldPath, first_line: int, lines: dict[FieldPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            child = loc + (key,)
            lines[child] = first_line + key_node.start_mark.line
            _record_lines(value_node, child, first_line, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = loc + (index,)
            lines[child] = first_line + item.start_mark.line
            _record_lines(item, child, first_line, lines)


def load_document(path: Path, rel: str, findings: Findings) -> Document | None:
    """Load a Markdown source with YAML front matter. Reports problems and returns None if unusable."""
    text = read_text(path, rel, findings)
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
    data, field_lines = parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        findings.error(rel, 2, "front matter",
                       "the front matter must be a list of 'field: value' lines, one field per line")
        return None
    body = "\n".join(lines[closing + 1:])
    return Document(path=path, rel=rel, data=data, lines=field_lines, body=body, body_line=closing + 2)


def load_yaml_file(path: Path, rel: str, findings: Findings) -> Document | None:
    """Load a plain YAML data file (such as the taxonomy) with line numbers."""
    text = read_text(path, rel, findings)
    if text is None:
        return None
    parsed = parse_yaml(text, rel, 1, findings)
    if parsed is None:
        return None
    data, field_lines = parsed
    if not isinstance(data, dict):
        findings.error(rel, 1, "file", "this file must be a set of 'name:' sections; see the README for its layout")
        return None
    return Document(path=path, rel=rel, data=data, lines=field_lines)
