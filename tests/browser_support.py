"""A real headless Chromium (Debian's) driven by Playwright, and the built site served on loopback."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]
INSTALL_HINT = ("headless Chromium is not installed; install it with 'sudo apt-get install chromium' "
                "(Debian's package, /usr/bin/chromium) and run the tests again")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def require_chromium() -> str:
    """Skip locally without Chromium; in CI (CI set) a missing browser is a failure, never a skip."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the playwright package is missing; run 'make test', which installs the test extras")
        pytest.skip("the playwright package is missing; run 'make test', which installs the test extras")
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      ".pdf": "application/pdf", ".xml": "application/xml", ".js": "text/javascript",
                      ".json": "application/json", ".wasm": "application/wasm"}

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


def header_rules(site: Path) -> list[tuple[str, dict[str, str]]]:
    """The site's `_headers` file (Netlify / Cloudflare Pages format) as (path pattern, headers) pairs."""
    rules: list[tuple[str, dict[str, str]]] = []
    for line in (site / "_headers").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(": ")
            rules[-1][1][name] = value
    return rules


def matching_headers(rules: list[tuple[str, dict[str, str]]], path: str) -> list[tuple[str, str]]:
    """Every header of every rule whose pattern matches the path, as a host applies them."""
    found = []
    for pattern, headers in rules:
        matched = path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern
        if matched:
            found += list(headers.items())
    return found


class _HeadersHandler(_QuietHandler):
    """Serves the site as a host reading its `_headers` file would."""

    rules: list[tuple[str, dict[str, str]]] = []

    def end_headers(self) -> None:
        for name, value in matching_headers(self.rules, self.path.split("?", 1)[0]):
            self.send_header(name, value)
        super().end_headers()


@contextmanager
def serve(folder: Path, with_headers: bool = False):
    """Serve a built site on 127.0.0.1 at a free port; yields the base URL."""
    handler_class = _QuietHandler
    if with_headers:
        handler_class = type("SiteHeaders", (_HeadersHandler,), {"rules": header_rules(folder)})
    handler = functools.partial(handler_class, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
