"""`mkdocs serve` with content errors: every address shows the errors, never a hang, and the site comes back.

These run the real development server in a subprocess against a small site in a temporary folder, edit its files
as an editor would, and ask it for pages over HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from sitekit import EPOCH_2026_11_01, bulletin, make_site

GOOD = bulletin("Hello", "2026-10-01")
# A topic typo whose text is also HTML: the page must show it as text.
BROKEN = bulletin("Hello", "2026-10-01", topics="[<b>mental-helth</b>]")
BROKEN_LINE = 'bulletins/2026-10-01-hello.md:5: error: '
BULLETIN = "bulletins/2026-10-01-hello.md"
URLS = ("/", "/bulletins/2026/10/01/hello/", "/bulletins/", "/no/such/page/", "/assets/stylesheets/missing.css")
WAIT = 60  # seconds: the first build of a small site takes a few, more on a busy machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mkdocs_serve(root: Path, *extra: str):
    """`mkdocs serve` on a free loopback port; yields (base URL, a function returning its output so far)."""
    port = free_port()
    log = root / "serve.log"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", *extra],
                                   cwd=root, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            yield f"http://127.0.0.1:{port}", lambda: log.read_text(encoding="utf-8")
        finally:
            process.terminate()
            process.wait(timeout=30)


def fetch(url: str, timeout: float = 10) -> tuple[int, str, dict[str, str]]:
    """Status, body and headers; an error status is an answer too. Raises on a hang (timeout)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


def wait_for(url: str, wanted, what: str) -> tuple[int, str, dict[str, str]]:
    """Ask for `url` until `wanted(status, body)` holds; fail after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    answer = None
    while time.monotonic() < deadline:
        try:
            answer = fetch(url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            answer = None  # not listening yet
        if answer is not None and wanted(answer[0], answer[1]):
            return answer
        time.sleep(0.3)
    pytest.fail(f"{what} never appeared at {url}; last answer: {answer and answer[:2]}")


def is_error_page(status: int, body: str) -> bool:
    return status == 500 and BROKEN_LINE in body


def is_site(status: int, body: str) -> bool:
    return status == 200 and "preview cannot show the site" not in body


def assert_error_page(status: int, body: str, headers: dict[str, str]) -> None:
    assert is_error_page(status, body)
    assert "&lt;b&gt;mental-helth&lt;/b&gt;" in body and "<b>mental-helth" not in body  # escaped, never markup
    assert "did you mean &#34;mental-health&#34;?" in body
    assert "<script>" not in body and "style=" not in body  # no inline script or style: the CSP allows none
    assert "script-src 'self'" in headers["Content-Security-Policy"]


def test_errors_replace_every_page_and_the_site_returns_when_fixed(tmp_path):
    make_site(tmp_path, {BULLETIN: GOOD})
    with mkdocs_serve(tmp_path, "--livereload") as (base, output):
        wait_for(base + "/bulletins/2026/10/01/hello/", is_site, "the bulletin")
        (tmp_path / BULLETIN).write_text(BROKEN, encoding="utf-8")
        wait_for(base + "/", is_error_page, "the error page")
        for url in URLS:
            assert_error_page(*fetch(base + url))
        script = fetch(base + "/_publisher-preview/errors.js")
        assert script[0] == 200 and "location.reload" in script[1]
        assert BROKEN_LINE in output() and "Traceback" not in output()  # the terminal says the same

        (tmp_path / BULLETIN).write_text(GOOD, encoding="utf-8")
        status, body, _ = wait_for(base + "/bulletins/2026/10/01/hello/", is_site, "the fixed bulletin")
        assert "Hello" in body
        assert fetch(base + "/no/such/page/")[0] == 404  # an ordinary 404 once more


def test_a_site_broken_from_the_start_is_served_with_its_errors(tmp_path):
    make_site(tmp_path, {BULLETIN: BROKEN})
    with mkdocs_serve(tmp_path) as (base, output):  # plain `mkdocs serve`
        for url in URLS:
            assert_error_page(*wait_for(base + url, is_error_page, "the error page"))
        (tmp_path / BULLETIN).write_text(GOOD, encoding="utf-8")
        wait_for(base + "/bulletins/2026/10/01/hello/", is_site, "the fixed bulletin")
        assert "Traceback" not in output()


def test_the_error_page_waits_for_the_next_build_instead_of_polling(tmp_path):
    """The page's script asks /_publisher-preview/state?seen=N; the answer comes when a build finishes."""
    make_site(tmp_path, {BULLETIN: BROKEN})
    with mkdocs_serve(tmp_path) as (base, _output):
        _status, body, _ = wait_for(base + "/", is_error_page, "the error page")
        seen = body.split('data-preview-build="', 1)[1].split('"', 1)[0]
        (tmp_path / BULLETIN).write_text(GOOD, encoding="utf-8")
        started = time.monotonic()
        status, newer, _ = fetch(f"{base}/_publisher-preview/state?seen={seen}", timeout=30)
        assert status == 200 and newer.strip() != seen
        assert time.monotonic() - started < 15  # answered by the rebuild, not by the 20 s time-out


def test_a_broken_mkdocs_yml_during_serve_gives_a_page_not_a_hang(tmp_path):
    make_site(tmp_path, {BULLETIN: GOOD})
    config = tmp_path / "mkdocs.yml"
    with mkdocs_serve(tmp_path) as (base, output):
        wait_for(base + "/", is_site, "the home page")
        good = config.read_text(encoding="utf-8")
        config.write_text(good + "theme: [not, a, theme\n", encoding="utf-8")
        status, body, _ = wait_for(base + "/bulletins/", lambda s, b: s == 500, "the error page")
        assert "the site could not be rebuilt" in body and "mkdocs.yml" in body
        config.write_text(good, encoding="utf-8")
        wait_for(base + "/bulletins/", is_site, "the fixed site")
        assert "Traceback" not in output()


def test_the_error_page_reloads_itself_into_the_site_in_a_browser(browser, tmp_path):
    """Under the page's own CSP, its script must run and bring the site back once the file is fixed."""
    make_site(tmp_path, {BULLETIN: BROKEN})
    with mkdocs_serve(tmp_path) as (base, _output):
        wait_for(base + "/", is_error_page, "the error page")
        context = browser.new_context()
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(base + "/bulletins/2026/10/01/hello/")
        assert "mental-helth" in page.locator("main").inner_text()
        (tmp_path / BULLETIN).write_text(GOOD, encoding="utf-8")
        # A locator, not wait_for_function: the CSP forbids the eval behind a JavaScript-string predicate.
        page.locator("h1", has_text="Hello").wait_for(timeout=WAIT * 1000)
        assert "cannot show the site" not in page.content()
        assert violations == []
        context.close()
