"""Messages a new user can act on: each names the right line and says what to type."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from publisher.content.load import field_name, ordinal
from publisher.content.validate import load_site
from publisher.dates import LONDON
from sitekit import ROOT, bulletin, make_site, run_publisher

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
NAME = "bulletins/2022-02-02-hello.md"
FIELDS = "title: Hello\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n"


def findings_for(tmp_path: Path, text: str, extra: dict[str, str | bytes] | None = None) -> list[str]:
    make_site(tmp_path, {NAME: text, **(extra or {})})
    _site, findings = load_site(tmp_path, now=NOW)
    return [finding.as_text() for finding in findings.sorted()]


def only(findings: list[str]) -> str:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(("front", "line"), [
    ("title: Hello\n\tdate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n", 3),
    ("title: Hello\ndate: 2022-02-02\n\tsummary: A summary.\n\ttopics: [covid-19]\n", 4),  # several lines
    ("\ttitle: Hello\n\tdate: 2022-02-02\n\tsummary: A summary.\n\ttopics: [covid-19]\n", 2),
    ("title: Hello\ndate: 2022-02-02\nsummary: A summary.\ntopics:\n\t- covid-19\n\t- mental-health\n", 6),
])
def test_a_tab_is_named_at_its_line(tmp_path, front, line):
    result = only(findings_for(tmp_path, f"---\n{front}---\nBody.\n"))
    assert result.startswith(f"{NAME}:{line}: error: front matter: this line is indented with a tab; "
                             "YAML needs spaces, not a tab"), result


def test_unclosed_front_matter_before_a_rule_is_reported_where_it_opens(tmp_path):
    text = f"---\n{FIELDS}\n## Message from the chief executive\n\nText of the first section.\n\n---\n\nMore.\n"
    result = only(findings_for(tmp_path, text))
    assert result == (f"{NAME}:1: error: front matter: the front matter is not closed, so it runs on into the text "
                      "until the line of three dashes on line 11; add a line of three dashes (---) after the last "
                      "field")


@pytest.mark.parametrize(("line", "advice"), [
    ('title: "We said "yes""', "put single quotes around the whole value instead: title: 'We said \"yes\"'"),
    ("title: 'Nurses' day'", "put double quotes around the whole value instead: title: \"Nurses' day\""),
    ('title: "Say "it\'s" done"', "put single quotes around the whole value instead: title: 'Say \"it''s\" done'"),
])
def test_quotes_inside_quotes_suggest_the_other_quotes(tmp_path, line, advice):
    text = f"---\n{line}\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\nBody.\n"
    result = only(findings_for(tmp_path, text))
    assert result.startswith(f"{NAME}:2: error: title: the value is in ") and result.endswith(advice), result


def test_a_summary_pasted_as_two_paragraphs_is_reported_at_the_summary(tmp_path):
    text = ("---\ntitle: Hello\ndate: 2022-02-02\nsummary: The first paragraph.\n\nThe second paragraph.\n"
            "topics: [covid-19]\n---\nBody.\n")
    assert only(findings_for(tmp_path, text)) == (
        f"{NAME}:4: error: summary: must be one line, but its text goes on in another paragraph (line 6); join the "
        "paragraphs into one line")


@pytest.mark.parametrize("word", ["Yes", "off", "NO", "On"])
def test_a_yes_no_title_example_uses_the_editors_word(tmp_path, word):
    text = f"---\ntitle: {word}\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\nBody.\n"
    assert only(findings_for(tmp_path, text)).endswith(f'put the value in quotes, e.g. title: "{word}"')


def test_a_number_example_keeps_the_editors_digits(tmp_path):
    text = "---\ntitle: 1.50\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\nBody.\n"
    assert only(findings_for(tmp_path, text)).endswith('put it in quotes, e.g. title: "1.50"')


def test_a_link_to_a_missing_page_suggests_the_nearest_source(tmp_path):
    other = bulletin("Other", "2022-02-03", "[covid-19]")
    text = f"---\n{FIELDS}---\n\nSee [the other bulletin](2022-02-03-other-bulletn.md).\n"
    result = only(findings_for(tmp_path, text, {"bulletins/2022-02-03-other-bulletin.md": other}))
    assert result.endswith('links to "2022-02-03-other-bulletn.md", which does not exist; did you mean '
                           '"2022-02-03-other-bulletin.md"?'), result


def test_a_link_to_a_missing_file_suggests_the_nearest_file(tmp_path):
    text = f"---\n{FIELDS}---\n\nRead [the guide (PDF, 1 KB)](guide.pfd).\n"
    result = findings_for(tmp_path, text, {"bulletins/guide.pdf": b"%PDF-1.4\n%%EOF\n"})
    assert f'{NAME}:8: error: link: the file "guide.pfd" does not exist; did you mean "guide.pdf"?' in result


def test_list_items_are_numbered_for_people(tmp_path):
    text = "---\ntitle: Hello\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19, mental-helth]\n---\nBody.\n"
    assert only(findings_for(tmp_path, text)).startswith(
        f'{NAME}:5: error: the 2nd topic: "mental-helth" is not one of the topics')


@pytest.mark.parametrize(("loc", "name"), [
    (("topics", 1), "the 2nd topic"),
    (("downloads", 0, "file"), "the 1st download's file"),
    (("opportunities", 2, "closes"), "the 3rd opportunity's closes"),
    (("approaches", 10), "the 11th approach"),
    (("contact", "email"), "contact.email"),
    (("changes", 21, "date"), "the 22nd change's date"),
])
def test_field_names(loc, name):
    assert field_name(loc) == name


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]


@pytest.mark.parametrize("body", ["TODO write this part.", "Our plans for TODO are here.", "- TODO: a list item"])
def test_a_leftover_todo_is_one_error(tmp_path, body):
    result = only(findings_for(tmp_path, f"---\n{FIELDS}---\n\n{body}\n"))
    assert result.startswith(f"{NAME}:8: error: body: still holds placeholder text"), result


def test_a_todo_in_a_field_is_one_error(tmp_path):
    text = "---\ntitle: Hello TODO\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\nBody.\n"
    assert only(findings_for(tmp_path, text)).startswith(f"{NAME}:2: error: title: still holds the placeholder")


@pytest.mark.parametrize("args", [("-h",), ("check", "-h"), ("new", "-h")])
def test_dash_h_is_help(tmp_path, args):
    result = run_publisher(*args, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("Usage: "), result.stderr


def make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


def make_ready_site(tmp_path: Path, text: str) -> Path:
    """A site folder with the project's Makefile, using the project's installed .venv (stamped as up to date)."""
    site = make_site(tmp_path, {NAME: text})
    for name in ("Makefile", "pyproject.toml"):
        (site / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (site / ".venv").mkdir()
    (site / ".venv" / "bin").symlink_to(ROOT / ".venv" / "bin")
    (site / ".venv" / ".installed").touch()
    return site


def test_a_failed_make_check_ends_in_plain_words_not_a_make_error(tmp_path):
    site = make_ready_site(tmp_path, "---\ntitle: Yes\ndate: 2022-02-02\nsummary: A.\ntopics: [covid-19]\n---\nB.\n")
    result = make("check", cwd=site)
    output = result.stdout + result.stderr
    assert f'{NAME}:2: error: title:' in output
    assert output.rstrip().endswith("then run make check again."), output
    for noise in ("make: ***", "Error 1", "Traceback", "setuptools", "end of life"):
        assert noise not in output, output


def test_a_clean_make_check_says_nothing_more(tmp_path):
    result = make("check", cwd=make_ready_site(tmp_path, bulletin("Hello", "2022-02-02", "[covid-19]")))
    assert result.returncode == 0 and "0 error(s), 0 warning(s)" in result.stdout
    assert "run make check again" not in result.stdout + result.stderr


def test_the_makefile_switches_off_materials_banner_for_every_command():
    """Material prints its end-of-life banner whenever `mkdocs` runs unless NO_MKDOCS_2_WARNING is set."""
    result = make("--eval", "show-switch: ; @echo switch=$$NO_MKDOCS_2_WARNING", "show-switch")
    assert result.stdout.strip() == "switch=1", result.stdout + result.stderr
