"""The shortcuts that make a cold `publisher check` fast find exactly what the long way finds.

Each shortcut replaces a pattern or a per-line pass with something cheaper, or skips work when the whole body shows
there is none to do; these tests compare it with what it replaces, on text built to hit its edges.
"""

from __future__ import annotations

import random
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from publisher.content import bodycheck, checkcache, load, style
from publisher.content.validate import load_site
from publisher.dates import LONDON
from publisher.findings import Findings
from sitekit import bulletin, make_site

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)


def random_texts(alphabet: str, count: int = 20_000, longest: int = 40) -> list[str]:
    chance = random.Random(7)
    return ["".join(chance.choice(alphabet) for _ in range(chance.randint(0, longest))) for _ in range(count)]


def test_runs_of_capitals_are_those_the_pattern_finds():
    pattern = re.compile(r"[A-Z][A-Z0-9&]+")
    for text in random_texts("ABZaz09&s_ -/.\n\té’\U0001F389\x00()[]`") + ["NHS’s ICB, AT&T & R&D: 1A2B AB1 &AB"]:
        assert style._runs_of_capitals(text) == set(pattern.findall(text)), text


def test_brackets_are_those_the_pattern_finds():
    pattern = re.compile(r"[\[\]]")
    for line in random_texts("[]()!a <>", longest=30):
        assert list(bodycheck._brackets(line)) == [(m.start(), m.group() == "[") for m in pattern.finditer(line)]


@pytest.mark.parametrize("body", [
    "The ICB met.", "NHS staff and the GP2 scheme.", "AB&C1 again", "The R&D team", "ICBs and NHSs",
    "*[ICB]: Integrated care board\n\nThe ICB met.", "Integrated care board (ICB)", "[the ICB](https://x.org/ICB)",
    "`ICB` in code", "```\nICB in a fence\n```\n\nThen NHS.", "<https://example.org/ICB> and NHS",
])
def test_the_acronym_check_skipped_for_bodies_of_known_capitals_finds_the_same(body, monkeypatch):
    """With the shortcut taken away, every body gives the same warnings."""
    item = _item(body)
    parsed = bodycheck.read_body(item)
    with_shortcut, without = Findings(), Findings()
    style.check_acronyms(item, parsed, set(style.DEFAULT_KNOWN_ACRONYMS), with_shortcut)
    monkeypatch.setattr(style, "_only_known_capitals", lambda body, known: False)
    style.check_acronyms(item, parsed, set(style.DEFAULT_KNOWN_ACRONYMS), without)
    assert [f.as_text() for f in with_shortcut] == [f.as_text() for f in without]


@pytest.mark.parametrize("body", [
    "Text\n\n<b onclick=x>y</b>\n\n   \n\n<img src=a.png>", "Line\n\x0c\n<i onclick=x>z</i>",
    "`code`\n\n<b onclick=x>y</b>", "```\n<b>\n```\n\n<b onclick=x>y</b>",
])
def test_lines_of_raw_html_are_found_without_counting_every_line_first(body):
    """Line starts are found when first needed, from the markup; the same as counting the lines."""
    parsed = bodycheck.read_body(_item(body))
    starts, offset = [], 0
    for line in parsed.markup.split("\n"):
        starts.append(offset)
        offset += len(line) + 1
    for position in range(len(parsed.markup)):
        assert parsed.line_of(position) == parsed.first_line + parsed.markup.count("\n", 0, position)
    assert parsed.line_starts == starts


def test_a_cold_check_by_workers_finds_what_one_process_finds(tmp_path, monkeypatch):
    """Bodies read the short way and the long way, sources that cannot be read, in workers and in one process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    files = {f"bulletins/2026-01-{day:02d}-news.md": bulletin(f"News {day}", f"2026-01-{day:02d}",
                                                               body=f"## News\n\nThe ICB met on day {day}.\n")
             for day in range(1, 8)}
    root = make_site(tmp_path / "site", files)
    (root / "bulletins/2026-01-08-latin.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    (root / "bulletins/2026-01-09-huge.md").write_bytes(b"x" * (load.MAX_FILE_BYTES + 1))
    (root / "bulletins/2026-01-10-crlf.md").write_bytes(
        bulletin("CRLF", "2026-01-10", body="Click [here](2026-01-01-news.md).\n").replace("\n", "\r\n").encode())
    (root / "bulletins/2026-01-11-code.md").write_text(bulletin("Code", "2026-01-11", body=(
        "Use `ICB` here.\n\n```\n<b onclick=x>\n```\n\n <i onclick=y>[z](2026-01-99-nothing.md)</i>\n")))

    def cold() -> list[str]:
        shutil.rmtree(root / checkcache.CACHE_FOLDER, ignore_errors=True)
        _site, findings = load_site(root, now=NOW)
        return [finding.as_text() for finding in findings.sorted()]

    in_process = cold()
    monkeypatch.setattr(checkcache, "PARALLEL_THRESHOLD", 2)
    assert cold() == in_process
    _site, findings = load_site(root, now=NOW)  # and warm, from what the workers kept
    assert [finding.as_text() for finding in findings.sorted()] == in_process
    assert any("ICB" in line for line in in_process) and any("UTF-8" in line for line in in_process)
    assert any("over the limit" in line for line in in_process) and any('"here"' in line for line in in_process)
    assert any("code.md:" in line and "onclick" in line for line in in_process)
    assert any("2026-01-99-nothing.md" in line for line in in_process)


def _item(body: str):
    document = load.Document(Path("x.md"), "bulletins/x.md", body=body, body_line=8)

    class Item:
        doc = document
        rel = "bulletins/x.md"

    return Item()
