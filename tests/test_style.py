"""Content warnings for editors, and --strict."""

from __future__ import annotations

from datetime import datetime

import pytest

from publisher.dates import LONDON
from publisher.content.validate import load_site
from sitekit import bulletin, make_site, run_publisher

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
FIRST = 8  # first body line of a sitekit bulletin


def warnings_for(tmp_path, body: str, files: dict | None = None) -> list[str]:
    make_site(tmp_path, {"bulletins/2022-02-02-s.md": bulletin("S", "2022-02-02", body=body), **(files or {})})
    _site, findings = load_site(tmp_path, now=NOW)
    return [f.as_text() for f in findings.sorted()]


@pytest.mark.parametrize("text", ["click here", "Here", "read more", "this page", "More.", "https://www.nhs.uk"])
def test_vague_link_text(tmp_path, text):
    results = warnings_for(tmp_path, f"Intro.\n\n[{text}](https://www.nhs.uk/)\n")
    assert len(results) == 1
    assert results[0].startswith(f"bulletins/2022-02-02-s.md:{FIRST + 2}: warning: link text: ")


def test_bare_autolink(tmp_path):
    results = warnings_for(tmp_path, "See <https://www.nhs.uk/> for more.\n")
    assert results[0].startswith(f"bulletins/2022-02-02-s.md:{FIRST}: warning: link text: a bare web address")


def test_descriptive_link_text_passes(tmp_path):
    assert warnings_for(tmp_path, "Read the [NHS guide to careers](https://www.nhs.uk/).\n") == []


def test_heading_that_skips_a_level(tmp_path):
    results = warnings_for(tmp_path, "## One\n\n#### Three\n\n## Two\n\n### Two point one\n")
    assert results == [f"bulletins/2022-02-02-s.md:{FIRST + 2}: warning: heading: this level-4 heading skips "
                       "level 3; use ### so screen-reader users can follow the structure"]


def test_level_one_heading_in_body(tmp_path):
    results = warnings_for(tmp_path, "# Title again\n")
    assert "start sections with ## instead of #" in results[0]


def test_acronym_needs_expansion_on_first_use(tmp_path):
    body = "The ICSs will help.\n\nHealth Education England (HEE) works with HEE partners.\n\nICSs again.\n"
    results = warnings_for(tmp_path, body)
    assert len(results) == 1
    assert results[0].startswith(f'bulletins/2022-02-02-s.md:{FIRST}: warning: acronym: "ICSs" is used before it '
                                 "is explained")


def test_known_acronyms_and_editable_list(tmp_path):
    body = "The NHS and GP services in the UK, with COVID-19 and the WHO.\n"
    assert len(warnings_for(tmp_path, body)) == 1
    assert warnings_for(tmp_path, body, {"content/acronyms.yml": "known: [WHO]\n"}) == []


@pytest.mark.parametrize("text, line, message", [
    ("- WHO\n- HEE\n", 1, "must be a set of 'name:' sections"),
    ("known: [WHO]\nextra: [HEE]\n", 2, "extra"),
    ("known:\n  - WHO\n  - who\n", 3, '"who" is not an abbreviation in capitals'),
    ("known: WHO\n", 1, "known"),
])
def test_an_acronyms_file_of_the_wrong_shape_is_an_error_at_its_line(tmp_path, text, line, message):
    results = warnings_for(tmp_path, "Plain words.\n", {"content/acronyms.yml": text})
    errors = [result for result in results if result.startswith("content/acronyms.yml:")]
    assert len(errors) == 1, results
    assert errors[0].startswith(f"content/acronyms.yml:{line}: error: ") and message in errors[0], errors[0]


def test_the_shipped_acronyms_file_is_read():
    from publisher.findings import Findings
    from publisher.content.style import known_acronyms
    from sitekit import ROOT

    findings = Findings()
    known = known_acronyms(ROOT, findings)
    assert not findings.sorted() and {"HEE", "A&E"} <= known


def test_acronyms_in_addresses_are_ignored(tmp_path):
    assert warnings_for(tmp_path, "Read the [careers guide](https://www.example.com/ABC/guide).\n") == []


def test_pdf_link_must_give_type_and_size(tmp_path):
    pdf = b"%PDF-1.4\n" + b"0" * 5000
    files = {"bulletins/guide.pdf": pdf}
    results = warnings_for(tmp_path, "Read the [placement guide](guide.pdf).\n", files)
    assert results == [f'bulletins/2022-02-02-s.md:{FIRST}: warning: link text: a link to a PDF must say so and '
                       'give its size, e.g. "placement guide (PDF, 5 KB)"']
    assert warnings_for(tmp_path, "Read the [placement guide (PDF, 5 KB)](guide.pdf).\n", files) == []


def test_strict_turns_warnings_into_errors(tmp_path):
    make_site(tmp_path, {"bulletins/2022-02-02-s.md": bulletin("S", "2022-02-02", body="[here](https://a.org/)\n")})
    relaxed = run_publisher("check", cwd=tmp_path)
    assert relaxed.returncode == 0 and ": warning: link text:" in relaxed.stdout
    strict = run_publisher("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and ": error: link text:" in strict.stdout
