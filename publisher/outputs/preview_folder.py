"""Keep the preview's folder from one `mkdocs serve` rebuild to the next, so a rebuild writes only what changed.

MkDocs empties its output folder before every build. With thousands of pages, writing them all again (and
creating their folders) was most of a rebuild, although one edit changes a handful. So before MkDocs starts, the
last preview's folder is moved aside whole; MkDocs builds its few files into the empty folder; the plugin moves
them into the kept folder and moves that back. Pages whose inputs did not change are then left where they are
(`reuse.PageMemory`), and what this rebuild did not write or keep is deleted at the end.

"This rebuild wrote it" is told by modification time against a marker file the rebuild touches first: the file
system's own clock, so a file written afterwards can never look older than the marker.

Files MkDocs copies as they are (the theme's scripts, styles and fonts; attachments) are left out of a rebuild when
the kept folder still holds the copy an earlier rebuild made of the same file (`still_copied`).

MkDocs' server answers no request while a build runs, so a reader never sees the folder half moved.
"""

from __future__ import annotations

import os
import secrets
import shutil
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

MARKER = ".publisher-preview-rebuild"
log = logging.getLogger("mkdocs.plugins.publisher")
UNSWEPT = ("pagefind",)  # the search index is replaced whole, in the background, by `mkdocs_plugin`


class PreviewFolder:
    def __init__(self) -> None:
        self.kept: Path | None = None  # the last preview's folder while MkDocs builds into an empty one
        self.marked_ns: int | None = None
        self.sweeping: threading.Thread | None = None
        # For each file MkDocs copied, by its place in the site: its source's and its copy's state just after.
        self.copies: dict[str, tuple[FileState, FileState]] = {}

    def still_copied(self, dest: str, source: str) -> bool:
        """Whether the kept folder still holds, at `dest`, the copy an earlier rebuild made of `source` as it is."""
        record = self.copies.get(dest)
        return self.kept is not None and record is not None \
            and record == (file_state(source), file_state(self.kept / dest))

    def record_copies(self, site_dir: Path, copied: Iterable[tuple[str, str]]) -> None:
        """After `take_back`: each (dest, source) MkDocs copied in this rebuild, as it is now."""
        for dest, source in copied:
            self.copies[dest] = (file_state(source), file_state(site_dir / dest))

    def set_aside(self, site_dir: Path) -> None:
        """Before MkDocs empties `site_dir`: move its contents aside whole, and mark the time."""
        self.settle()
        self.kept = self.marked_ns = None
        if not site_dir.is_dir() or not any(site_dir.iterdir()):
            return
        aside = site_dir.with_name(f"{site_dir.name}.kept-{secrets.token_hex(6)}")
        try:
            site_dir.rename(aside)
            site_dir.mkdir()
            marker = aside / MARKER
            marker.write_bytes(b"")
            self.marked_ns = marker.stat().st_mtime_ns
        except OSError:
            if aside.is_dir() and not site_dir.exists():
                aside.rename(site_dir)
            return  # MkDocs empties it as usual and every page is written
        self.kept = aside

    def discard(self) -> None:
        """At shutdown: a rebuild stopped between `set_aside` and `take_back` leaves the kept folder behind."""
        self.settle()
        if self.kept is not None:
            shutil.rmtree(self.kept, ignore_errors=True)
            self.kept = None

    def take_back(self, site_dir: Path) -> None:
        """After MkDocs has written its files: move them into the kept folder, and that back to `site_dir`."""
        aside, self.kept = self.kept, None
        if aside is None:
            return
        try:
            for folder, _, names in os.walk(site_dir):
                relative = Path(folder).relative_to(site_dir)
                if names:
                    _make_folder(aside, relative)
                for name in names:
                    _replace(Path(folder) / name, aside / relative / name)
            shutil.rmtree(site_dir)
            aside.rename(site_dir)
        except OSError:
            # What MkDocs wrote stays; every page is then written again, since none is where it was (`reuse.py`).
            self.marked_ns = None
            shutil.rmtree(aside, ignore_errors=True)

    def sweep(self, site_dir: Path, reused: Iterable[str]) -> None:
        """Delete what this rebuild neither wrote nor reused: the pages of deleted bulletins, old feeds and so on.

        In the background, so the browser reloads without waiting for it; the next rebuild waits (`settle`).
        """
        if self.marked_ns is None:
            return
        self.sweeping = threading.Thread(target=self._sweep, args=(site_dir, set(reused), self.marked_ns),
                                         name="preview-sweep", daemon=True)
        self.sweeping.start()
        self.marked_ns = None

    def settle(self) -> None:
        if self.sweeping is not None:
            self.sweeping.join()
            self.sweeping = None

    @staticmethod
    def _sweep(site_dir: Path, keep: set[str], marked_ns: int) -> None:
        try:
            _delete_older(site_dir, keep, marked_ns)
        except OSError as exc:  # the preview stopped, or someone is in the folder: the next rebuild sweeps again
            log.debug(f"preview folder not swept: {exc}")


def _delete_older(site_dir: Path, keep: set[str], marked_ns: int) -> None:
    for folder, _, names in os.walk(site_dir, topdown=False):
        relative = Path(folder).relative_to(site_dir)
        if relative.parts[:1] and relative.parts[0] in UNSWEPT:
            continue
        for name in names:
            path = Path(folder) / name
            if (relative / name).as_posix() not in keep and path.lstat().st_mtime_ns < marked_ns:
                path.unlink(missing_ok=True)
        if relative.parts and not os.listdir(folder):
            os.rmdir(folder)
    (site_dir / MARKER).unlink(missing_ok=True)


FileState = tuple[int, int, int] | None


def file_state(path: str | Path) -> FileState:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _make_folder(root: Path, relative: Path) -> None:
    path = root
    for part in relative.parts:
        path = path / part
        if path.is_symlink() or path.is_file():
            path.unlink()  # a file where MkDocs now writes a folder of the same name
    path.mkdir(parents=True, exist_ok=True)


def _replace(source: Path, target: Path) -> None:
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)  # a page's folder where MkDocs now writes a file of the same name
    os.replace(source, target)
