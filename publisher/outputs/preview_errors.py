"""While `mkdocs serve` previews content with errors, every address shows the errors instead of hanging.

MkDocs' development server answers a request only once the latest build has succeeded, so a failed build leaves
every browser tab waiting with the reason only in the terminal. In serve mode the plugin therefore never fails a
build: it hands the problems to a `PreviewState`, and a WSGI layer in front of MkDocs' server answers every address
with a page listing them. That page's script (a file: the CSP allows no inline script) waits for the next build to
finish and reloads, so the site comes back as soon as the errors are fixed.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape

from publisher.outputs.hosting import SECURITY_HEADERS, content_security_policy

FILES_DIR = Path(__file__).parent / "preview_files"
# Outside any page address, so the error page's own files are served whatever the site's mount path.
PREFIX = "/_publisher-preview/"
STATE_URL = PREFIX + "state"
STATIC = {PREFIX + "errors.js": "text/javascript", PREFIX + "errors.css": "text/css"}
LONG_POLL_SECONDS = 20.0
log = logging.getLogger("mkdocs.plugins.publisher")

_templates = Environment(loader=FileSystemLoader(FILES_DIR), autoescape=select_autoescape(["html"]))


class PreviewState:
    """The outcome of the latest preview build: the problem lines (none when it succeeded) and a build counter."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.generation = 0
        self.problems: list[str] = []

    def finished(self, problems: list[str]) -> None:
        with self._changed:
            self.problems = list(problems)
            self.generation += 1
            self._changed.notify_all()

    def snapshot(self) -> tuple[list[str], int]:
        with self._changed:
            return self.problems, self.generation

    def wait_for_build(self, seen: int, timeout: float) -> int:
        """The build counter once it differs from `seen`, or after `timeout` seconds at the latest."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def error_page(problems: list[str], generation: int) -> bytes:
    return _templates.get_template("errors.html").render(problems=problems, generation=generation).encode("utf-8")


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def with_error_page(app: WsgiApp, state: PreviewState) -> WsgiApp:
    """Wrap MkDocs' server: while the latest build has problems, every address answers with the error page."""

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == STATE_URL:
            return _answer_state(environ, start_response, state)
        if path in STATIC:
            return _answer(start_response, "200 OK", STATIC[path], (FILES_DIR / path[len(PREFIX):]).read_bytes())
        problems, generation = state.snapshot()
        if not problems or path.startswith("/livereload/"):  # MkDocs' own reload requests keep working
            return app(environ, start_response)
        return _answer(start_response, "500 Internal Server Error", "text/html; charset=utf-8",
                       error_page(problems, generation))

    return serve


def _answer_state(environ: dict, start_response: Callable, state: PreviewState) -> Iterable[bytes]:
    seen = parse_qs(environ.get("QUERY_STRING", "")).get("seen", [""])[0]
    current = state.wait_for_build(int(seen), LONG_POLL_SECONDS) if seen.isdigit() else state.snapshot()[1]
    return _answer(start_response, "200 OK", "text/plain; charset=utf-8", str(current).encode())


def _answer(start_response: Callable, status: str, content_type: str, body: bytes) -> list[bytes]:
    headers = {**SECURITY_HEADERS, "Content-Type": content_type, "Content-Length": str(len(body)),
               "Cache-Control": "no-store", "Content-Security-Policy": content_security_policy([])}
    start_response(status, list(headers.items()))
    return [body]


def serve_errors(server, state: PreviewState) -> None:
    """Put the error page in front of MkDocs' development server, and keep any failed rebuild from hanging it.

    Content problems never fail a preview build (the plugin reports them through `state`); anything else that
    stops a rebuild, such as a broken mkdocs.yml, is caught here, since MkDocs would otherwise leave every
    request waiting for a build that never comes. MkDocs has already logged the details.
    """
    server.set_app(with_error_page(server.get_app(), state))
    rebuild = server.builder

    def guarded_rebuild(*args, **kwargs) -> None:
        try:
            rebuild(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure must reach the page, not hang the server
            problem = (f"error: the site could not be rebuilt ({exc}); the messages above this one in the terminal "
                       "say why, often a mistake in mkdocs.yml")
            log.error(problem)
            state.finished([problem])

    server.builder = guarded_rebuild
