"""Hostile or broken front matter and data files (issues 15 and 16).

Each problem is one error at its file and line, found quickly and in little memory; `publisher check` and
`publisher build` show it without a traceback, and a build that meets it leaves the published site as it was.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from publisher.dates import LONDON
from publisher.findings import Findings
from publisher.content.load import MAX_DEPTH, MAX_FILE_BYTES, parse_yaml
from publisher.content.validate import load_site
from sitekit import ROOT, make_site, run_publisher, taxonomy_text

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
BULLETIN = "title: Hello\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n"  # file lines 2-5
ENTRY = ("title: Mentoring\norganisation: A trust\nsummary: S.\nregion: london\ntopics: [work-experience]\n"
         "approaches: [mentoring]\naudiences: [care-leavers]\nevidence: emerging\n")  # file lines 2-9
TOOLKIT = ("title: Dental toolkit\nsummary: S.\nsetting: dental\naudience: Practice managers\n"
           "last_reviewed: 2026-06-01\nreview_due: 2027-06-01\n")
# Nine levels of nine aliases: 9**9 (387 million) values once expanded.
ALIAS_BOMB = "a: &a [" + ", ".join(["x"] * 9) + "]\n" + "".join(
    f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n" for previous, name in zip("abcdefgh", "bcdefghi"))
FIFTY_MB = 50 * 1024 * 1024
WORDS = 'field names must be words, e.g. "title: ..."'
ALIASES = "anchors (&name) and aliases (*name) are not allowed in {}; write the value out in full"


def source(front: str) -> str:
    return f"---\n{front}---\n\nText.\n"


def bad_name(rel: str, name: str, fixed: str, what: str = "file") -> str:
    return (f'{rel}:1: error: file name: the {what} name "{name}" would make a broken web address; use lower case '
            f'words and digits joined by hyphens, e.g. "{fixed}", and rename the {what}')


# id -> (file, its text, the one finding it gives). Every file has its own path, so all can share one site.
CASES: dict[str, tuple[str, str, str]] = {
    "alias bomb": ("bulletins/2022-02-02-bomb.md", source(ALIAS_BOMB),
                   "bulletins/2022-02-02-bomb.md:2: error: a: " + ALIASES.format("front matter")),
    "alias": ("bulletins/2022-02-02-alias.md", source(BULLETIN + "author: *a\n"),
              "bulletins/2022-02-02-alias.md:6: error: author: " + ALIASES.format("front matter")),
    "nested 10,000 deep": (
        "bulletins/2022-02-02-deep.md", source(BULLETIN + "author: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        "bulletins/2022-02-02-deep.md:6: error: " + "the 1st item of " * (MAX_DEPTH - 1) + "author"
        f": this is nested more than "
        f"{MAX_DEPTH} levels deep (no field needs more than 3); check the brackets [ ] {{ }} and the indentation"),
    "5,000-digit number": (
        "content/directory/long-number.md", source(ENTRY + "started: " + "1" * 5000 + "\n"),
        "content/directory/long-number.md:10: error: started: this number is too long (5000 characters); check it, "
        "or put it in quotes if it is text"),
    "integer key": ("bulletins/2022-02-02-integer-key.md", source(BULLETIN + "1: x\n"),
                    f'bulletins/2022-02-02-integer-key.md:6: error: front matter: "1" cannot be a field name; {WORDS}'),
    "yes/no key": ("bulletins/2022-02-02-yes-key.md", source(BULLETIN + "yes: x\n"),
                   f'bulletins/2022-02-02-yes-key.md:6: error: front matter: "yes" cannot be a field name; {WORDS}'),
    "null key": ("bulletins/2022-02-02-null-key.md", source(BULLETIN + "~: x\n"),
                 f'bulletins/2022-02-02-null-key.md:6: error: front matter: "~" cannot be a field name; {WORDS}'),
    "list key": ("bulletins/2022-02-02-list-key.md", source(BULLETIN + "? [a, b]\n: x\n"),
                 "bulletins/2022-02-02-list-key.md:6: error: front matter: a list or a set of fields cannot be a "
                 f"field name; {WORDS}"),
    "nested integer key": (
        "content/directory/nested-key.md", source(ENTRY + "started: 2019\ncontact:\n  name: Team\n  2: x\n"),
        f'content/directory/nested-key.md:13: error: contact: "2" cannot be a field name; {WORDS}'),
    "date out of range": (
        "bulletins/2022-02-02-far-date.md",
        source(BULLETIN.replace("date: 2022-02-02", "date: '9999-12-31T23:59:59-23:59'")),
        'bulletins/2022-02-02-far-date.md:3: error: date: "9999-12-31T23:59:59-23:59" is out of range: it falls '
        "outside the years 1 to 9999 in UK time; check the year and the time zone"),
    "duplicate key": ("bulletins/2022-02-02-twice.md", source(BULLETIN + "author: Comms\ntitle: Hello again\n"),
                      'bulletins/2022-02-02-twice.md:7: error: title: "title" appears twice (first on line 2); '
                      "keep one"),
    "nested duplicate key": (
        "content/directory/nested-twice.md",
        source(ENTRY + "started: 2019\ncontact:\n  name: Team\n  email: a@example.org\n  name: Other team\n"),
        'content/directory/nested-twice.md:14: error: contact.name: "name" appears twice (first on line 12); '
        "keep one"),
    "python tag": ("bulletins/2022-02-02-tag.md", source(BULLETIN + "author: !!python/object/apply:os.system [ls]\n"),
                   'bulletins/2022-02-02-tag.md:6: error: author: YAML tags such as "!!python/object/apply:os.system" '
                   "are not allowed in front matter; remove the tag, or put the whole value in quotes if it is text"),
    "NUL byte": ("bulletins/2022-02-02-nul.md", source(BULLETIN + "author: a\x00b\n"),
                 "bulletins/2022-02-02-nul.md:6: error: front matter: this line holds an invisible control character "
                 "(code 0x0) that YAML cannot read; delete it, for example by typing the line again"),
    "file over 1 MB": (
        "bulletins/2022-02-02-huge.md", source(BULLETIN) + "x" * MAX_FILE_BYTES,
        "bulletins/2022-02-02-huge.md:1: error: file: the file is 1.1 MB, over the limit of 1 MB for a source file; "
        "put pictures and documents in files of their own and link to them, or split the text into several pages"),
    "toolkit folder": ("toolkits/Dental Toolkit/index.md", source(TOOLKIT),
                       bad_name("toolkits/Dental Toolkit/index.md", "Dental Toolkit", "dental-toolkit", "folder")),
    "entry file": ("content/directory/Peer Mentoring.md", source(ENTRY + "started: 2019\n"),
                   bad_name("content/directory/Peer Mentoring.md", "Peer Mentoring.md", "peer-mentoring.md")),
    "page file": ("content/About Us.md", source("title: About us\n"),
                  bad_name("content/About Us.md", "About Us.md", "about-us.md")),
    "page folder": ("content/Help/README.md", source("title: Help\n"),
                    bad_name("content/Help/README.md", "Help", "help", "folder")),
    "question mark": ("content/why?.md", source("title: Why\n"), bad_name("content/why?.md", "why?.md", "why.md")),
    "hash": ("content/c#.md", source("title: C sharp\n"), bad_name("content/c#.md", "c#.md", "c.md")),
    "accent": ("content/café.md", source("title: Café\n"), bad_name("content/café.md", "café.md", "cafe.md")),
    "acronyms not a list": ("content/acronyms.yml", "known: 5\n",
                            "content/acronyms.yml:1: error: known: must be a list; write it as [5] or put each item "
                            "on its own line starting with '- '"),
}
ACRONYM_CASES = {
    "set of fields": ("known: {a: b}\n", ["content/acronyms.yml:1: error: known: must be a list; put each item on its "
                                          "own line starting with '- '"]),
    "not text, not capitals": ("known:\n  - NHS\n  - 5\n  - Nhs\n", [
        'content/acronyms.yml:3: error: the 2nd item of known: YAML read this as a number; put it in quotes, e.g. "5"',
        'content/acronyms.yml:4: error: the 3rd item of known: "Nhs" is not an abbreviation in capitals; write it as it appears '
        "in the text, e.g. NHS"]),
    "misspelt": ("known: [WHO]\nknwon: [HEE]\n",
                 ['content/acronyms.yml:2: error: knwon: "knwon" is not a field here; did you mean "known"?']),
    "alias": ("base: &b [WHO]\nknown: *b\n", ["content/acronyms.yml:1: error: base: " + ALIASES.format("this file")]),
}
TAXONOMY_TWICE = taxonomy_text().replace("  dental: ", "  secondary-care: {label: Hospitals, description: X.}\n"
                                                       "  dental: ")
TAXONOMY_CASES = {
    "duplicate term": (TAXONOMY_TWICE, 'content/taxonomy.yml:23: error: settings.secondary-care: "secondary-care" '
                                       "appears twice (first on line 21); keep one"),
    "duplicate vocabulary": (taxonomy_text() + "topics: {}\n", 'content/taxonomy.yml:34: error: topics: "topics" '
                                                              "appears twice (first on line 1); keep one"),
    "anchor": ("shared: &t {label: X, description: Y.}\n" + taxonomy_text(),
               "content/taxonomy.yml:1: error: shared: " + ALIASES.format("this file")),
    "over 1 MB": (taxonomy_text() + "#" * MAX_FILE_BYTES,
                  "content/taxonomy.yml:1: error: file: the file is 1.1 MB, over the limit of 1 MB for a source file; "
                  "put pictures and documents in files of their own and link to them, or split the text into "
                  "several pages"),
}


def findings_for(root: Path, files: dict[str, str | bytes]) -> list[str]:
    make_site(root, files)
    _site, findings = load_site(root, now=NOW)
    return [finding.as_text() for finding in findings.sorted()]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_problem_is_one_error_at_its_line(tmp_path, case):
    rel, text, expected = case
    assert findings_for(tmp_path, {rel: text}) == [expected]


@pytest.mark.parametrize(("text", "expected"), ACRONYM_CASES.values(), ids=ACRONYM_CASES.keys())
def test_acronyms_file_shape(tmp_path, text, expected):
    assert findings_for(tmp_path, {"content/acronyms.yml": text}) == expected


def test_acronyms_file_as_documented_passes_and_is_used(tmp_path):
    body = "## Section\n\nThe WHO and the HEE publish guidance.\n"
    files = {"bulletins/2022-02-02-hello.md": source(BULLETIN) + body, "content/acronyms.yml": "known:\n  - WHO\n"}
    findings = findings_for(tmp_path, files)
    assert len(findings) == 1 and '"HEE" is used before it is explained' in findings[0], findings


@pytest.mark.parametrize(("text", "expected"), TAXONOMY_CASES.values(), ids=TAXONOMY_CASES.keys())
def test_taxonomy_problems(tmp_path, text, expected):
    assert findings_for(tmp_path, {"content/taxonomy.yml": text}) == [expected]


def test_good_names_pass(tmp_path):
    files = {"content/help/README.md": source("title: Help\n"), "content/help/faq-2.md": source("title: FAQ\n"),
             "toolkits/dental-2/index.md": source(TOOLKIT), "content/directory/peer-mentoring.md": source(
                 ENTRY + "started: 2019\n")}
    assert findings_for(tmp_path, files) == []


def test_nesting_is_allowed_up_to_the_limit():
    def problems(depth: int) -> list[str]:
        findings = Findings()
        parse_yaml("x: " + "[" * (depth - 1) + "]" * (depth - 1), "f.md", 2, findings)
        return [f.message for f in findings.sorted()]

    assert problems(MAX_DEPTH) == []
    assert problems(MAX_DEPTH + 1)[0].startswith(f"this is nested more than {MAX_DEPTH} levels deep")


def test_a_file_exactly_at_the_size_limit_is_read(tmp_path):
    head = source(BULLETIN)
    text = head + ("A line of text.\n" * 100 + "\n") * ((MAX_FILE_BYTES - len(head)) // 1601)
    text += "\n" * (MAX_FILE_BYTES - len(text))
    assert len(text.encode()) == MAX_FILE_BYTES
    assert findings_for(tmp_path, {"bulletins/2022-02-02-big.md": text}) == []


def test_a_50_mb_file_is_refused_quickly_without_being_read(tmp_path):
    make_site(tmp_path, {"bulletins/2022-02-02-huge.md": source(BULLETIN) + "x" * FIFTY_MB})
    tracemalloc.start()
    try:
        start = time.perf_counter()
        _site, findings = load_site(tmp_path, now=NOW)
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.as_text() for f in findings.sorted()] == [
        "bulletins/2022-02-02-huge.md:1: error: file: the file is 50.1 MB, over the limit of 1 MB for a source file; "
        "put pictures and documents in files of their own and link to them, or split the text into several pages"]
    assert elapsed < 1.0
    assert peak < 10 * 1024 * 1024  # reading the whole file would take 50 MB at least


BOMB_PROBE = """
import resource, sys, time
from pathlib import Path
from publisher.findings import Findings
from publisher.content.load import load_document

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
findings = Findings()
load_document(Path(sys.argv[1]), "bomb.md", findings)
print(time.perf_counter() - start)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
print(*[finding.as_text() for finding in findings.sorted()], sep="\\n")
"""


def test_alias_bomb_is_refused_within_a_second_in_a_few_megabytes(tmp_path):
    path = tmp_path / "bomb.md"
    path.write_text(source(ALIAS_BOMB), encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", BOMB_PROBE, str(path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    seconds, kilobytes, finding = result.stdout.splitlines()
    assert float(seconds) < 1.0
    assert int(kilobytes) < 50 * 1024  # ru_maxrss counts kilobytes on Linux
    assert finding == "bomb.md:2: error: a: " + ALIASES.format("front matter")


# Command line: one site holding every problem above, checked and built for real.


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    files = {rel: text for rel, text, _expected in CASES.values()}
    files["bulletins/2022-02-02-fifty-mb.md"] = source(BULLETIN) + "x" * FIFTY_MB
    return make_site(root, files)


def old_site(folder: Path) -> dict[str, bytes]:
    """A previously published site, returned as its files' contents, to show a failed build leaves it alone."""
    for rel, text in {"index.html": "<p>old home</p>", "bulletins/2020/01/01/old/index.html": "<p>old</p>",
                      "feed.xml": "<rss/>"}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return snapshot(folder)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_check_reports_every_problem_without_a_traceback(hostile_site):
    result = run_publisher("check", cwd=hostile_site)
    assert_no_traceback(result)
    assert result.returncode == 1
    reported = result.stdout.splitlines()
    for _rel, _text, expected in CASES.values():
        assert expected in reported
    assert any(line.startswith("bulletins/2022-02-02-fifty-mb.md:1: error: file: the file is 50.1 MB") for line in
               reported)


def test_build_refuses_them_and_leaves_the_old_site(hostile_site, tmp_path):
    published = tmp_path / "public"
    before = old_site(published)
    result = run_publisher("build", "--site-dir", str(published), cwd=hostile_site)
    assert_no_traceback(result)
    assert result.returncode == 1
    reported = result.stdout.splitlines()
    for _rel, _text, expected in CASES.values():
        assert expected in reported
    assert "The build stopped; the previous site was left as it was." in result.stderr
    assert snapshot(published) == before
    assert [p.name for p in tmp_path.iterdir()] == ["public"]  # no staging folder or lock left behind


@pytest.mark.parametrize("command", ["check", "build"])
def test_taxonomy_duplicate_from_the_command_line(tmp_path, command):
    site = make_site(tmp_path / "site", {"content/taxonomy.yml": TAXONOMY_TWICE})
    before = old_site(tmp_path / "public")
    result = run_publisher(command, *(["--site-dir", str(tmp_path / "public")] if command == "build" else []),
                           cwd=site)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert TAXONOMY_CASES["duplicate term"][1] in result.stdout.splitlines()
    assert snapshot(tmp_path / "public") == before


@pytest.mark.parametrize("epoch", ["1.83e9", "99999999999999999", "4102444801", "-5", ""])
@pytest.mark.parametrize("command", ["check", "build"])
def test_bad_source_date_epoch_is_one_clear_error(tmp_path, command, epoch):
    site = make_site(tmp_path / "site")
    before = old_site(tmp_path / "public")
    result = run_publisher(command, *(["--site-dir", str(tmp_path / "public")] if command == "build" else []),
                           cwd=site, env={"SOURCE_DATE_EPOCH": epoch})
    assert_no_traceback(result)
    assert result.returncode == 1
    assert result.stderr == ("error: SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, e.g. 1793491200 "
                             f"(before the year 2100); it is '{epoch}'\n")
    assert snapshot(tmp_path / "public") == before


def test_the_latest_allowed_source_date_epoch_builds(tmp_path):
    """2100-01-01: MkDocs writes the build time into the gzipped sitemap, which cannot hold times after 2106."""
    site = make_site(tmp_path / "site")
    result = run_publisher("build", "--site-dir", str(tmp_path / "public"), cwd=site,
                           env={"SOURCE_DATE_EPOCH": "4102444800"})
    assert_no_traceback(result)
    assert result.returncode == 0
    assert (tmp_path / "public/sitemap.xml.gz").is_file()


# Fuzz: nasty front matter of every kind is an error or passes, and never crashes or hangs.
NASTY = [
    "\ttitle: Tab indent\n", "title:\tTab after the colon\n", "? complex key\n: value\n", "? {a: b}\n: c\n",
    "title: !!binary aGVsbG8=\n", "? !!binary aGVsbG8=\n: x\n", "title: !!python/object:os.system ls\n",
    "!!python/object/apply:os.system [ls]\n", "title: a\x00b\n", "title: a\x1bb\n", "title: " + "x" * 500_000 + "\n",
    "x" * 5000 + ": y\n", "title: 'unterminated\n", "&a title: x\n", "*a : x\n", "[" * 5000 + "\n", "{" * 5000 + "\n",
    "- a\n- b\n", "plain text\n", "title: =\n", "<<: {title: x}\n", "%TAG ! tag:example.org,2000:\ntitle: x\n",
    "title: 1e99999\ndate: 2022-02-02\nsummary: S.\ntopics: [covid-19]\n", "title: x\ndate: 0000-00-00\n",
    "title: x\ndate: 2022-02-02T25:61:00\n", "title: x\ndate: 0001-01-01T00:00+01:00\n",
    "title: x\ndate: 2022-02-02\nsummary: S.\ntopics: [covid-19]\nchanges: [{date: '9999-12-31T23:59+00:00', "
    "note: n}]\n", "title: \ufeff\u202e\u200b\n", "title: 0x" + "f" * 4000 + "\n", "title: 1:2:3:4:5:6:7:8:9\n",
]


def nasty_files() -> dict[str, str]:
    return {f"bulletins/2022-02-02-nasty-{index}.md": source(front) for index, front in enumerate(NASTY)}


def test_fuzz_in_process_gives_errors_or_passes_quickly(tmp_path):
    start = time.perf_counter()
    findings = findings_for(tmp_path, nasty_files())
    assert time.perf_counter() - start < 10
    assert all(": error: " in f or ": warning: " in f for f in findings)


def test_fuzz_from_the_command_line_never_shows_a_traceback(tmp_path):
    site = make_site(tmp_path / "site", nasty_files())
    before = old_site(tmp_path / "public")
    for args in (["check"], ["build", "--site-dir", str(tmp_path / "public")]):
        result = run_publisher(*args, cwd=site)
        assert_no_traceback(result)
        assert result.returncode == 1
    assert snapshot(tmp_path / "public") == before
