"""The preview notices a save through file events and MkDocs' poller both, and rebuilds once for it.

The handler is fed real watchdog events about real files, as the two watchers would report them; the last test
runs the real `mkdocs serve` and counts its builds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from watchdog.events import (DirModifiedEvent, FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
                             FileMovedEvent, FileOpenedEvent)

from publisher.outputs.preview_watch import PreviewWatch, SaveHandler
from sitekit import bulletin, make_site
from test_preview import fetch, is_site, mkdocs_serve, wait_for

BULLETIN = "bulletins/2026-10-01-hello.md"
PAGE = "/bulletins/2026/10/01/hello/"


def counting_handler() -> tuple[SaveHandler, list[int]]:
    calls: list[int] = []
    return SaveHandler(lambda: calls.append(1)), calls


def save(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:  # a file system with a coarse clock: make the save visible
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_a_save_reported_by_both_watchers_rebuilds_once(tmp_path):
    handler, calls = counting_handler()
    source = tmp_path / "news.md"
    save(source, "first")
    handler.dispatch(FileModifiedEvent(str(source)))  # the file event, at once
    handler.dispatch(FileModifiedEvent(str(source)))  # the poller, a moment later
    assert len(calls) == 1
    save(source, "second, longer")
    handler.dispatch(FileModifiedEvent(str(source)))
    assert len(calls) == 2


def test_a_change_only_the_poller_saw_still_rebuilds(tmp_path):
    """On a mount that sends no file events, the poller's report is the first the handler hears of a change."""
    handler, calls = counting_handler()
    source = tmp_path / "news.md"
    save(source, "first")
    handler.dispatch(FileModifiedEvent(str(source)))
    save(source, "edited where no file event is sent")
    handler.dispatch(FileModifiedEvent(str(source)))
    assert len(calls) == 2


def test_an_editors_save_by_renaming_and_a_deletion_each_rebuild_once(tmp_path):
    handler, calls = counting_handler()
    source, temporary = tmp_path / "news.md", tmp_path / ".news.md.swp"
    save(source, "first")
    save(temporary, "saved by writing a copy and renaming it over the file")
    temporary.replace(source)
    handler.dispatch(FileMovedEvent(str(temporary), str(source)))
    handler.dispatch(FileModifiedEvent(str(source)))  # the poller sees a new inode at the same path
    assert len(calls) == 1
    source.unlink()
    handler.dispatch(FileDeletedEvent(str(source)))
    handler.dispatch(FileDeletedEvent(str(source)))
    assert len(calls) == 2


def test_reading_a_file_or_a_folders_change_starts_no_rebuild(tmp_path):
    """Every build opens every source; rebuilding for that would never stop."""
    handler, calls = counting_handler()
    source = tmp_path / "news.md"
    save(source, "text")
    handler.dispatch(FileOpenedEvent(str(source)))
    handler.dispatch(DirModifiedEvent(str(tmp_path)))
    assert calls == []
    handler.dispatch(FileCreatedEvent(str(source)))
    assert len(calls) == 1


def test_file_events_alone_ask_mkdocs_for_a_rebuild(tmp_path):
    """MkDocs' poller is never started here: only the file events can have noticed the save."""
    from mkdocs.livereload import LiveReloadServer

    folder = tmp_path / "bulletins"
    folder.mkdir()
    (folder / "news.md").write_text("first", encoding="utf-8")
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    watch = PreviewWatch()
    watch.install(server, [str(folder)], docs_dir=str(tmp_path / "content"))
    try:
        assert watch.observer is not None and not server.observer.is_alive()
        time.sleep(0.2)  # inotify watches are in place once the observer thread runs
        save(folder / "news.md", "saved by an editor")
        deadline = time.monotonic() + 10
        while not server._want_rebuild and time.monotonic() < deadline:  # what MkDocs' build loop waits on
            time.sleep(0.01)
        assert server._want_rebuild
    finally:
        watch.stop()


def builds(output: str) -> int:
    return output.count("Building documentation")


def test_mkdocs_serve_rebuilds_once_per_save(tmp_path):
    make_site(tmp_path, {BULLETIN: bulletin("Hello", "2026-10-01")})
    with mkdocs_serve(tmp_path, "--livereload") as (base, output):
        wait_for(base + PAGE, is_site, "the bulletin")
        assert builds(output()) == 1
        path = tmp_path / BULLETIN
        save(path, path.read_text(encoding="utf-8") + "\nA sentence added in the preview.\n")
        wait_for(base + PAGE, lambda status, body: "A sentence added in the preview." in body, "the edit")
        time.sleep(2)  # long enough for MkDocs' poller to report the same save
        assert builds(output()) == 2, output()
        assert "A sentence added" in fetch(base + PAGE)[1]
        (tmp_path / BULLETIN).unlink()
        wait_for(base + PAGE, lambda status, body: status == 404, "the deleted bulletin's 404")
        time.sleep(2)
        assert builds(output()) == 3, output()
