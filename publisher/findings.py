"""Problems found in sources, reported as `path:line: severity: field: message`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # for the editor's information (what is scheduled); never fails a check


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    severity: Severity
    field: str
    message: str

    def as_text(self) -> str:
        return f"{self.path}:{self.line}: {self.severity.value}: {self.field}: {self.message}"

    def as_github(self) -> str:
        # GitHub annotations end the message at a newline and treat '%' specially; GitHub calls info "notice".
        message = f"{self.field}: {self.message}".replace("%", "%25").replace("\n", "%0A")
        command = "notice" if self.severity is Severity.INFO else self.severity.value
        return f"::{command} file={self.path},line={self.line}::{message}"


class Findings:
    """Collects findings from every stage so one run reports all problems in all files."""

    def __init__(self) -> None:
        self._items: list[Finding] = []

    def error(self, path: str, line: int, field: str, message: str) -> None:
        self._items.append(Finding(path, max(line, 1), Severity.ERROR, field, message))

    def warning(self, path: str, line: int, field: str, message: str) -> None:
        self._items.append(Finding(path, max(line, 1), Severity.WARNING, field, message))

    def info(self, path: str, line: int, field: str, message: str) -> None:
        self._items.append(Finding(path, max(line, 1), Severity.INFO, field, message))

    def extend(self, found: Iterable[Finding]) -> None:
        self._items.extend(found)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def strict(self) -> "Findings":
        """Every warning becomes an error, for `publisher check --strict`; information stays information."""
        hardened = Findings()
        hardened._items = [f if f.severity is Severity.INFO else Finding(f.path, f.line, Severity.ERROR, f.field,
                                                                         f.message) for f in self._items]
        return hardened

    def sorted(self) -> list[Finding]:
        return sorted(set(self._items), key=lambda f: (f.path, f.line, f.severity.value, f.field, f.message))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.sorted() if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.sorted() if f.severity is Severity.WARNING]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.sorted() if f.severity is Severity.INFO]

    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self._items)

    def __len__(self) -> int:
        return len(self._items)


class ContentError(Exception):
    """Raised when sources have errors; carries the findings so callers can print them."""

    def __init__(self, findings: Findings) -> None:
        super().__init__(f"{len(findings.errors)} error(s) in the content")
        self.findings = findings
