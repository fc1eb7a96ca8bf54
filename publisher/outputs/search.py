"""Build Pagefind's search index while the site is written, and make it reproducible.

What it indexes is marked on the pages by `site/indexing.py`: only elements with `data-pagefind-body`.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import cbor2

from publisher.site.indexing import SEARCH_BODY_END, SEARCH_BODY_START

PAGEFIND_SIGNATURE = b"pagefind_dcd"
BUNDLE = "pagefind"
ABORT_PATIENCE = 10.0  # seconds `abort` waits for the indexing thread; a preview must never hang on it
# The opening tag of an element Pagefind indexes; in text or attribute values the `<` would be escaped.
SEARCH_BODY = re.compile(r"<[a-zA-Z][^<>]*\sdata-pagefind-body[\s=>]")
SEARCH_START, SEARCH_END = SEARCH_BODY_START.encode(), SEARCH_BODY_END.encode()
PAGE_LANGUAGE = re.compile(rb'<html\s[^<>]*?\blang="([^"<>]*)"')


class SearchIndexFailed(Exception):
    pass


class PagefindStopped(Exception):
    pass


def has_search_body(html: str) -> bool:
    """Whether Pagefind would index this page: with `data-pagefind-body` on a site, pages without it are left out."""
    return SEARCH_BODY.search(html) is not None


def search_document(page: bytes) -> bytes:
    """What Pagefind needs of a finished page: its language and the element it indexes, without the theme around.

    Half the bytes to send and parse, and the same index but for one thing: on the whole page Pagefind takes the
    first picture after that element's start as the result's picture, which is the footer's licence logo on every
    page. A page not laid out by `site/indexing.searchable` is given whole.
    """
    start = page.find(SEARCH_START)
    end = page.find(SEARCH_END, start) if start >= 0 else -1
    language = PAGE_LANGUAGE.search(page, 0, start) if end >= 0 else None
    if language is None:
        return page
    return b'<html lang="' + language[1] + b'"><body>' + page[start:end] + b"</body></html>"


class FedPages:
    """A digest of the pages given to Pagefind, in order: the same pages give the same index.

    Each page is stood for by its address and something that changes whenever its HTML does: the HTML itself, or
    the digest of everything it is made from (`reuse.page_key`).
    """

    def __init__(self) -> None:
        self._digest = hashlib.blake2b(digest_size=16)

    def add(self, url: str, html: str | bytes) -> None:
        for part in (url, html):
            self._digest.update((part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")) + b"\0")

    def digest(self) -> bytes:
        return self._digest.digest()


class SearchIndexer:
    """Pagefind's index, fed page by page while the rest of the site is still being built.

    Pagefind runs as a service process, so it parses pages on another core while Python renders; `finish` then
    waits only for the last pages and the writing. Pages go over one at a time, each answered before the next:
    Pagefind numbers pages in the order it finishes them, and an index must not depend on timing.

        with SearchIndexer() as indexer:   # closing it stops Pagefind, whatever happened
            indexer.add("/bulletins/…/", html)
            indexer.finish(site_dir)
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        # Pages wait here; the loop is woken (a write to its socket) only when it has run out of pages, not for
        # each of thousands: Pagefind is slower than the rendering, so it seldom runs out.
        self._inbox: collections.deque[tuple[str, str] | Path | None] = collections.deque()
        self._idle = asyncio.Event()
        self._waiting = False
        self._failure: str | None = None
        self._ended = threading.Event()
        self._closed = False
        self._aborted = False
        self._writing: asyncio.Future | None = None  # Pagefind making the index's files
        self._process: asyncio.subprocess.Process | None = None
        self._thread = threading.Thread(target=self._run, name="pagefind", daemon=True)
        self._thread.start()

    def add(self, url: str, html: str) -> None:
        """Queue a page, addressed from the site root ("/about/"); pages without `data-pagefind-body` are skipped.

        `html` may be the whole page or just `<html lang="…"><body>` and the data-pagefind-body element.
        """
        if has_search_body(html):
            self.add_searchable(url, html)

    def add_searchable(self, url: str, html: str) -> None:
        """Queue a page already known to have `data-pagefind-body`."""
        self._post((url, html))

    def finish(self, site_dir: Path) -> None:
        """Wait for Pagefind, write the index to site_dir/pagefind/ and make it reproducible.

        Returns without writing anything if `abort` was called meanwhile.
        """
        self._post((site_dir / BUNDLE).resolve())
        self.close()
        if self._aborted:
            return
        if self._failure is not None:
            raise SearchIndexFailed(f"Pagefind could not index the site: {self._failure}")
        stabilise_index(site_dir / BUNDLE)

    def close(self) -> None:
        """Stop Pagefind without writing anything, unless `finish` asked for the index first."""
        if not self._closed:
            self._post(None)
            self._closed = True
            self._thread.join()

    def abort(self) -> None:
        """Stop Pagefind at once, dropping the pages it has not indexed yet and writing nothing.

        For a preview whose pages have changed again: its index would be out of date before it was written.
        """
        self._aborted = True
        with contextlib.suppress(RuntimeError):  # the loop has already ended
            self._inbox.append(None)
            self._loop.call_soon_threadsafe(self._idle.set)
            self._loop.call_soon_threadsafe(self._stop_pagefind)  # whatever it is doing: writing takes seconds
        self._closed = True
        self._thread.join(ABORT_PATIENCE)

    def _stop_pagefind(self) -> None:
        if self._writing is not None:
            self._writing.cancel()
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()  # every request still waiting on it then fails, and the loop ends

    def __enter__(self) -> SearchIndexer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _post(self, item: tuple[str, str] | Path | None) -> None:
        if self._closed or self._ended.is_set():  # a failed indexer drops pages; `finish` reports why
            return
        self._inbox.append(item)
        if self._waiting:
            with contextlib.suppress(RuntimeError):  # the loop closed between the check and here: it failed
                self._loop.call_soon_threadsafe(self._idle.set)

    async def _next(self) -> tuple[str, str] | Path | None:
        while not self._inbox:
            self._idle.clear()
            self._waiting = True
            if not self._inbox:  # a page posted before `_waiting` was set did not wake the loop
                await self._idle.wait()
            self._waiting = False
        return self._inbox.popleft()

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._index())
        except Exception as exc:  # reported by `finish`; the build's own traceback would say nothing useful
            self._failure = _plain_reason(exc)
        finally:
            self._ended.set()
            self._loop.close()

    async def _index(self) -> None:
        from pagefind.service import PagefindService

        service = await _prompt_service(PagefindService)().launch()
        self._process = service._backend
        try:
            index = await service.create_index({})
            while isinstance(item := await self._next(), tuple) and not self._aborted:
                url, html = item
                await index.add_html_file(url=url, content=html)
            if isinstance(item, Path) and not self._aborted:
                # Not `write_files`: Pagefind answers it before its last files are on disk, and stopping it then
                # can leave them empty.
                self._writing = asyncio.ensure_future(index.get_files())
                with contextlib.suppress(asyncio.CancelledError):  # by `abort`: nothing is written
                    _write_bundle(await self._writing, item)
        except (BrokenPipeError, ConnectionResetError):  # it stopped reading: its reader knows why
            raise PagefindStopped(await service.last_words()) from None
        finally:
            await service.stop()


def _write_bundle(files: list, bundle: Path) -> None:
    for file in files:
        path = bundle / file["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file["content"])


def _plain_reason(exc: Exception) -> str:
    if isinstance(exc, (ImportError, FileNotFoundError)):
        return (f"Pagefind is not installed ({exc}); install the publisher again with its dependencies "
                "(pip install .)")
    return str(exc) or type(exc).__name__


def _prompt_service(base: type) -> type:
    """Pagefind's Python service class, reading each reply as it arrives.

    Pagefind 1.3-1.5's reader sleeps 0.1 s before each reply, capping it at ten pages a second (500 s for 5,000
    bulletins), and a request waits for ever if the process dies. This reader has neither problem.
    """

    class PromptService(base):
        gone: str | None = None  # why Pagefind stopped answering

        async def send(self, payload):
            if self.gone is not None:
                raise PagefindStopped(self.gone)
            return await super().send(payload)

        async def _wait_for_responses(self) -> None:
            # Split on commas ourselves: the stream's readuntil stops at 2 MiB, and the index comes back as one reply.
            stdout, buffer, said = self._backend.stdout, bytearray(), []
            try:
                while chunk := await stdout.read(1 << 20):
                    scanned = len(buffer)
                    buffer += chunk
                    while (end := buffer.find(b",", scanned)) >= 0:
                        text, _, reply = bytes(buffer[:end]).rpartition(b"\n")
                        del buffer[:end + 1]
                        scanned = 0
                        said += [text.decode(errors="replace").strip()] if text.strip() else []
                        self._answer(json.loads(base64.b64decode(reply)))
                said.append(buffer.decode(errors="replace").strip())
                status = await self._backend.wait()
                message = " ".join(filter(None, said)) or f"Pagefind stopped unexpectedly (exit status {status})"
            except ValueError as exc:  # not base64 or not JSON: the conversation cannot continue
                message = f"Pagefind sent a reply this publisher cannot read ({exc})"
            self.gone = message
            for future in self._responses.values():
                if not future.done():
                    future.set_exception(PagefindStopped(message))
                    future.exception()  # a request still waiting gets it; one nobody waits for is not logged at exit

        def _answer(self, response: dict) -> None:
            payload = response.get("payload") or {}
            future = self._responses.pop(response.get("message_id"), None)
            if future is None or future.done():
                return
            if payload.get("type") == "Error":
                future.set_exception(PagefindStopped(payload.get("message") or "Pagefind reported an error"))
            else:
                future.set_result(payload)

        async def launch(self):
            # Pagefind reads pagefind.yml and PAGEFIND_* settings from where it runs; a stray one must not change
            # (or break) the index, so it runs in an empty folder without them.
            self.folder = tempfile.TemporaryDirectory(prefix="pagefind-")
            self._backend = await asyncio.create_subprocess_exec(
                self._bin, "--service", cwd=self.folder.name, env=_without_pagefind_settings(),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            self._poll_task = self._loop.create_task(self._wait_for_responses())
            return self

        async def last_words(self) -> str:
            await asyncio.wait([self._poll_task], timeout=5)
            return self.gone or "Pagefind stopped unexpectedly"

        async def stop(self) -> None:
            self._poll_task.cancel()
            if self._backend.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self._backend.terminate()
            await self._backend.wait()
            self.folder.cleanup()

    return PromptService


def _without_pagefind_settings() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("PAGEFIND_")}


def _read_pagefind(path: Path) -> object:
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(PAGEFIND_SIGNATURE):
        raise SearchIndexFailed(f"{path.name} is not in the Pagefind format this publisher knows")
    return cbor2.loads(raw[len(PAGEFIND_SIGNATURE):])


def _write_pagefind(folder: Path, prefix: str, stem: str, suffix: str, value: object, digits: int) -> str:
    """Write a Pagefind file named after its content, as Pagefind does, and return the new hash."""
    raw = PAGEFIND_SIGNATURE + cbor2.dumps(value)
    digest = f"{prefix}_{hashlib.sha256(raw).hexdigest()[:digits]}"
    (folder / f"{stem}{digest}{suffix}").write_bytes(gzip.compress(raw, mtime=0))
    return digest


def stabilise_index(bundle: Path) -> None:
    """Sort Pagefind's filter indexes so identical sites give identical files.

    Pagefind writes filter values and the filter list in hash-map order, which changes from run to run
    (Pagefind issue #638: fragments were made stable in 1.3, filter and meta files were not).
    """
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, details in entry["languages"].items():
        meta_path = bundle / f"pagefind.{details['hash']}.pf_meta"
        meta = _read_pagefind(meta_path)
        if not (isinstance(meta, list) and len(meta) > 3 and all(isinstance(pair, list) and len(pair) == 2
                                                                  for pair in meta[3])):
            raise SearchIndexFailed(f"{meta_path.name} is laid out differently from Pagefind 1.3-1.5; "
                                    "check the installed Pagefind version")
        renamed = []
        for name, old_hash in sorted(meta[3]):
            filter_path = bundle / "filter" / f"{old_hash}.pf_filter"
            filter_name, values = _read_pagefind(filter_path)
            filter_path.unlink()
            new_hash = _write_pagefind(bundle / "filter", language, "", ".pf_filter",
                                       [filter_name, sorted(values)], 7)
            renamed.append([name, new_hash])
        meta[3] = renamed
        meta_path.unlink()
        details["hash"] = _write_pagefind(bundle, language, "pagefind.", ".pf_meta", meta, 10)
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def bundle_files(site_dir: Path) -> dict[str, tuple[int, int, int]]:
    """The index's files by path, with (inode, size, mtime_ns): what `link_bundle` checks before reusing them."""
    found = {}
    for folder, _, names in os.walk(site_dir / BUNDLE):
        for name in names:
            path = Path(folder, name)
            stat = path.stat()
            found[path.relative_to(site_dir).as_posix()] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


def link_bundle(earlier_site: Path, site_dir: Path, files: dict[str, tuple[int, int, int]]) -> bool:
    """Hard-link the index the last build wrote into the new site, if every file is still the one it wrote."""
    if files and all(_linked(earlier_site / relative, site_dir / relative, written)
                     for relative, written in files.items()):
        return True
    shutil.rmtree(site_dir / BUNDLE, ignore_errors=True)
    return False


def _linked(source: Path, target: Path, written: tuple[int, int, int]) -> bool:
    try:
        found = source.stat()
        if (found.st_ino, found.st_size, found.st_mtime_ns) != written:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
    except OSError:
        return False
    return True
