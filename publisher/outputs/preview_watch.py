"""Start a preview rebuild as soon as an editor saves, not at MkDocs' next look at the disk.

MkDocs finds changes by polling: it compares every watched file's details twice a second, then waits a tenth of
a second more, so a save waited a quarter to over half a second before a rebuild began. Here the content
folders are watched twice over, by one handler:

- through the operating system's file events (inotify, FSEvents or ReadDirectoryChangesW, via watchdog), which
  report a save at once;
- through MkDocs' own poller, which stays as the safety net: file events never arrive from some network and
  container mounts.

The handler starts a rebuild only for a file whose inode, size and modification time it has not already acted on,
so a save that both watchers report rebuilds once, not twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from watchdog.events import (FileClosedEvent, FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent,
                             FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

log = logging.getLogger("mkdocs.plugins.publisher")

# Saves, new files, renames and deletions; not a file being opened or read, which every build does to every source.
CHANGES = frozenset({"created", "modified", "moved", "deleted", "closed"})
# The same, for the operating system: reports of each build opening and reading every source would otherwise take
# the watcher's thread, and Python's interpreter lock, away from the build.
CHANGE_EVENTS = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileDeletedEvent, FileClosedEvent]
GONE = None


def file_state(path: str) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return GONE
    return found.st_ino, found.st_size, found.st_mtime_ns


class SaveHandler(FileSystemEventHandler):
    """Calls `rebuild` once for each change to a file, however many watchers report it."""

    def __init__(self, rebuild: Callable[[], None]) -> None:
        super().__init__()
        self.rebuild = rebuild
        self.acted_on: dict[str, tuple[int, int, int] | None] = {}
        self.lock = threading.Lock()  # the two watchers call from threads of their own

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in CHANGES:
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if self._news(os.fsdecode(path) for path in paths if path):
            self.rebuild()

    def _news(self, paths: Iterable[str]) -> bool:
        news = False
        with self.lock:
            for path in paths:
                state = file_state(path)
                # A path never seen: a change the other watcher has not reported, or a new file.
                if path not in self.acted_on or self.acted_on[path] != state:
                    self.acted_on[path] = state
                    news = True
        return news


def rebuild_starter(server: Any) -> Callable[[], None] | None:
    """What MkDocs' own watch callback does to ask its build loop for a rebuild (`LiveReloadServer.watch`);
    None if this MkDocs does it some other way, and the preview then relies on MkDocs' watching alone."""
    condition = getattr(server, "_rebuild_cond", None)
    if condition is None or not hasattr(server, "_want_rebuild"):
        return None

    def start() -> None:
        with condition:
            server._want_rebuild = True
            condition.notify_all()

    return start


class PreviewWatch:
    """The content folders, watched by file events and by MkDocs' poller through one `SaveHandler`."""

    def __init__(self) -> None:
        self.observer: Any = None

    def install(self, server: Any, folders: list[str], docs_dir: str) -> None:
        start = rebuild_starter(server)
        if start is None:
            for folder in folders:
                server.watch(folder)
            return
        handler = SaveHandler(start)
        if docs_dir in folders:
            try:  # MkDocs watches it itself; the handler below now does, so that a save rebuilds once
                server.unwatch(docs_dir)
            except KeyError:
                pass
        for folder in folders:
            server.observer.schedule(handler, folder, recursive=True)
        self.observer = self._events_observer(handler, folders)
        log.info(f"Watching {', '.join(os.path.basename(folder) for folder in folders)} for saves"
                 + (" (file events, and polling in case they do not arrive)" if self.observer else " (polling)"))

    @staticmethod
    def _events_observer(handler: SaveHandler, folders: list[str]) -> Any:
        observer = Observer()
        try:
            for folder in folders:
                observer.schedule(handler, folder, recursive=True, event_filter=CHANGE_EVENTS)
            observer.start()
        except OSError as exc:  # e.g. the system's limit on watched folders reached: polling still works
            log.info(f"File events are not available ({exc}); the preview notices saves by polling instead.")
            return None
        return observer

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None
