"""`publisher check`: every listed problem is reported with its file, line and field."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from publisher.dates import LONDON
from publisher.content.validate import load_site
from sitekit import bulletin, make_site, run_publisher, toolkit

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
GOOD_TOOLKIT = toolkit("""\
links:
  - title: Dental careers
    url: https://www.healthcareers.nhs.uk/
opportunities:
  - title: Summer placements
    provider: A dental practice
    region: london
    url: https://example.org/apply
    closes: 2027-03-01
""")


def findings_for(tmp_path: Path, files: dict[str, str | bytes], taxonomy: bool = True) -> list[str]:
    make_site(tmp_path, files, taxonomy=taxonomy)
    _site, findings = load_site(tmp_path, now=NOW)
    return [finding.as_text() for finding in findings.sorted()]


def only(findings: list[str]) -> str:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: Hello\n", "b.md:1: error: front matter: the file has no front matter"),
        ("---\ntitle: Hello\n", "b.md:1: error: front matter: the front matter is never closed"),
        ("---\n- just\n- a list\n---\n", "b.md:2: error: front matter: the front matter must be a list of 'field: value'"),
        ("---\ntitle: Hello\ndate: 2022-02-02\nsummary: [unclosed\ntopics: [covid-19]\n---\n",
         "b.md:5: error: front matter: YAML syntax error"),
    ],
)
def test_front_matter_shape(tmp_path, text, expected):
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-b.md": text}))
    assert result.startswith("bulletins/2022-02-02-" + expected), result


def test_missing_required_field_names_it(tmp_path):
    text = "---\ntitle: Hello\ndate: 2022-02-02\ntopics: [covid-19]\n---\nBody\n"
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-hello.md": text}))
    assert result.startswith("bulletins/2022-02-02-hello.md:1: error: summary: this field is required")


def test_yaml_boolean_title_asks_for_quotes(tmp_path):
    text = "---\ntitle: No\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\nBody\n"
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-no.md": text}))
    assert result.startswith("bulletins/2022-02-02-no.md:2: error: title: YAML read this as the yes/no value false")
    assert "quotes" in result


def test_bad_date_matches_the_documented_message(tmp_path):
    text = '---\ntitle: Key messages\ndate: "2nd Feb 2022"\nsummary: A summary.\ntopics: [covid-19]\n---\nBody\n'
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-key-messages.md": text}))
    assert result == ('bulletins/2022-02-02-key-messages.md:3: error: date: "2nd Feb 2022" is not a date; '
                      "write it as YYYY-MM-DD, e.g. 2022-02-02")


def test_impossible_date(tmp_path):
    text = "---\ntitle: Hello\ndate: 2022-02-30\nsummary: A summary.\ntopics: [covid-19]\n---\nBody\n"
    result = only(findings_for(tmp_path, {"bulletins/2022-02-28-hello.md": text}))
    assert result.startswith('bulletins/2022-02-28-hello.md:3: error: date: "2022-02-30" is not a real date')


def test_unknown_field_suggests_the_right_name(tmp_path):
    text = "---\ntittle: Hello\ntitle: Hi\ndate: 2022-02-02\nsummary: A summary.\ntopics: [covid-19]\n---\n"
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-hello.md": text}))
    assert result.startswith('bulletins/2022-02-02-hello.md:2: error: tittle: "tittle" is not a field here; '
                             'did you mean "title"?')


def test_unknown_taxonomy_slug_suggests_the_nearest(tmp_path):
    text = bulletin("Hello", "2022-02-02", topics="\n  - covid-19\n  - mental-heath\n")
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-hello.md": text}))
    assert result.startswith('bulletins/2022-02-02-hello.md:7: error: the 2nd topic: "mental-heath" is not one of '
                             "the topics")
    assert 'did you mean "mental-health"?' in result


def test_text_over_its_limit(tmp_path):
    text = bulletin("T" * 151, "2022-02-02")
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-long.md": text}))
    assert result.startswith("bulletins/2022-02-02-long.md:2: error: title: is 151 characters long, over the "
                             "limit of 150")


def test_two_sources_at_one_url(tmp_path):
    results = findings_for(tmp_path, {
        "bulletins/2022-02-02-same.md": bulletin("One", "2022-02-02"),
        "bulletins/2022/2022-02-02-same.md": bulletin("Two", "2022-02-02"),
    })
    assert len(results) == 2
    assert results[0].startswith("bulletins/2022-02-02-same.md:1: error: file: this publishes at "
                                 "/bulletins/2022/02/02/same/, the same address as bulletins/2022/2022-02-02-same.md")
    assert results[1].startswith("bulletins/2022/2022-02-02-same.md:1: error: file:")


def test_page_may_not_take_a_listing_url(tmp_path):
    result = only(findings_for(tmp_path, {"content/bulletins.md": "---\ntitle: Clash\n---\n"}))
    assert result.startswith("content/bulletins.md:1: error: file: this page would publish at /bulletins/")


def test_good_toolkit_passes(tmp_path):
    assert findings_for(tmp_path, {"toolkits/dental/index.md": GOOD_TOOLKIT,
                                   "toolkits/dental/application-form.docx": b"PK\x03\x04"}) == []


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("missing.docx", 'the file "missing.docx" is not in toolkits/dental/'),
        ("../secret.docx", '"../secret.docx" is outside the toolkit folder'),
        ("/etc/passwd", '"/etc/passwd" is outside the toolkit folder'),
    ],
)
def test_download_file_must_be_in_the_toolkit_folder(tmp_path, file, message):
    text = GOOD_TOOLKIT.replace("file: application-form.docx", f"file: {file}")
    results = findings_for(tmp_path, {"toolkits/dental/index.md": text, "secret.docx": b"x"})
    assert only(results).startswith(f"toolkits/dental/index.md:10: error: the 1st download's file: {message}")


def test_closed_opportunity_and_overdue_review_are_warnings(tmp_path):
    text = GOOD_TOOLKIT.replace("closes: 2027-03-01", "closes: 2026-01-01").replace(
        "review_due: 2027-06-01", "review_due: 2026-10-01")
    results = findings_for(tmp_path, {"toolkits/dental/index.md": text,
                                       "toolkits/dental/application-form.docx": b"PK\x03\x04"})
    assert len(results) == 2
    assert results[0].startswith("toolkits/dental/index.md:7: warning: review_due: the review was due on "
                                 "1 October 2026")
    assert results[1].startswith("toolkits/dental/index.md:21: warning: the 1st opportunity's closes: this opportunity "
                                 "closed on 1 January 2026")


def test_non_utf8_file_names_the_line(tmp_path):
    text = "---\ntitle: Caf\xe9\n---\n".encode("latin-1")
    result = only(findings_for(tmp_path, {"content/about.md": text}))
    assert result.startswith("content/about.md:2: error: file: the file is not saved as UTF-8 (byte 0xe9")


def test_empty_file(tmp_path):
    result = only(findings_for(tmp_path, {"content/about.md": "\n  \n"}))
    assert result.startswith("content/about.md:1: error: file: the file is empty")


def test_editor_artefacts_are_accepted(tmp_path):
    text = ("\ufeff---\r\ntitle: “Curly” quotes – and dashes 🎉\r\ndate: 2022-02-02\r\n"
            "summary: It’s fine — really.\r\ntopics: [covid-19]\r\n---\r\n\r\n## Section\r\n\r\nText 👍\r\n")
    make_site(tmp_path, {"bulletins/2022-02-02-artefacts.md": text.encode("utf-8")})
    site, findings = load_site(tmp_path, now=NOW)
    assert [f.as_text() for f in findings.sorted()] == []
    item = site.bulletins[0]
    assert item.title == "“Curly” quotes – and dashes 🎉"
    assert item.doc.lines[("summary",)] == 4


def test_every_problem_in_every_file_sorted(tmp_path):
    results = findings_for(tmp_path, {
        "bulletins/2022-02-02-b.md": "---\ntitle: B\ndate: 2022-02-31\nsummary: S\ntopics: [nope]\n---\n",
        "bulletins/2022-02-02-a.md": "---\ntitle: A\ndate: 2022-02-02\nsummary: S\ntopics: []\nauther: x\n---\n",
    })
    locations = [r.split(": ")[0] for r in results]
    assert locations == ["bulletins/2022-02-02-a.md:5", "bulletins/2022-02-02-a.md:6", "bulletins/2022-02-02-b.md:3",
                         "bulletins/2022-02-02-b.md:5"]


def test_missing_taxonomy(tmp_path):
    result = only(findings_for(tmp_path, {}, taxonomy=False))
    assert result.startswith("content/taxonomy.yml:1: error: file: the taxonomy file is missing")


def test_taxonomy_without_a_required_topic(tmp_path):
    make_site(tmp_path)
    path = tmp_path / "content/taxonomy.yml"
    path.write_text(path.read_text().replace("  covid-19:", "  covid:"))
    _site, findings = load_site(tmp_path, now=NOW)
    result = only([f.as_text() for f in findings.sorted()])
    assert result.startswith('content/taxonomy.yml:1: error: topics: the required term "covid-19" is missing')


def test_directory_entry_fields(tmp_path):
    text = ("---\ntitle: Mentoring\norganisation: A trust\nsummary: S.\nregion: londn\ntopics: [work-experience]\n"
            "approaches: [mentoring]\naudiences: [care-leavers]\nevidence: emerging\nstarted: twenty\n"
            "contact: {name: Team, email: not-an-address}\n---\n")
    results = findings_for(tmp_path, {"content/directory/mentoring.md": text})
    assert len(results) == 3
    assert results[0].startswith('content/directory/mentoring.md:5: error: region: "londn" is not one of the regions')
    assert 'did you mean "london"?' in results[0]
    assert results[1].startswith('content/directory/mentoring.md:10: error: started: "twenty" is not a whole number')
    assert results[2].startswith('content/directory/mentoring.md:11: error: contact.email: "not-an-address" is not '
                                 "an email address")


def test_slug_typos_reported_alongside_other_errors(tmp_path):
    text = ("---\ntitle: B\ndate: 2022-02-03\nsummary: S\ntopics: [Mental Health]\nstatus: Draft\n"
            "changes:\n  - 2022-02-04 fixed typo\n---\n")
    results = findings_for(tmp_path, {"bulletins/2022-02-03-b.md": text})
    assert [r.split(": ")[0] + ": " + r.split(": ")[2] for r in results] == [
        "bulletins/2022-02-03-b.md:5: the 1st topic", "bulletins/2022-02-03-b.md:6: status",
        "bulletins/2022-02-03-b.md:8: the 1st change"]
    assert 'did you mean "mental-health"?' in results[0]
    assert "date, note" in results[2]


def test_cli_exit_codes_and_no_traceback(tmp_path):
    make_site(tmp_path, {"bulletins/2022-02-02-b.md": "---\ntitle: [\n---\n"})
    result = run_publisher("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.startswith("bulletins/2022-02-02-b.md:")
    usage = run_publisher("check", "--format", "xml", cwd=tmp_path)
    assert usage.returncode == 2
    elsewhere = run_publisher("check", cwd=tmp_path / "content")
    assert elsewhere.returncode == 2 and "mkdocs.yml not found" in elsewhere.stderr


def test_cli_config_file_option_and_github_format(tmp_path):
    make_site(tmp_path, {"bulletins/2022-02-02-b.md": bulletin("B", "2022-02-02", topics="[nope]")})
    result = run_publisher("check", "-f", str(tmp_path / "mkdocs.yml"), "--format", "github", cwd=tmp_path.parent)
    assert result.returncode == 1
    assert result.stdout.startswith("::error file=bulletins/2022-02-02-b.md,line=5::the 1st topic: ")


def test_cli_passes_clean_site_with_warnings(tmp_path):
    text = GOOD_TOOLKIT.replace("review_due: 2027-06-01", "review_due: 2026-01-01")
    make_site(tmp_path, {"toolkits/dental/index.md": text, "toolkits/dental/application-form.docx": b"PK\x03\x04"})
    result = run_publisher("check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert ": warning: review_due:" in result.stdout


def test_schema_exports_json_schema(tmp_path):
    result = run_publisher("schema", "bulletin", cwd=tmp_path)
    schema = json.loads(result.stdout)
    assert set(schema["required"]) == {"title", "date", "summary", "topics"}
    assert schema["additionalProperties"] is False
    written = run_publisher("schema", "-o", str(tmp_path / "schemas"), cwd=tmp_path)
    assert written.returncode == 0
    assert {p.name for p in (tmp_path / "schemas").iterdir()} == {
        "bulletin.schema.json", "toolkit.schema.json", "entry.schema.json", "page.schema.json",
        "taxonomy.schema.json"}


def test_colon_in_a_value_asks_for_quotes(tmp_path):
    text = "---\ntitle: Key messages: February\ndate: 2022-02-02\nsummary: S\ntopics: [covid-19]\n---\n"
    result = only(findings_for(tmp_path, {"bulletins/2022-02-02-a.md": text}))
    assert result.startswith("bulletins/2022-02-02-a.md:2: error: front matter: this line has a second ': ' in its "
                             'value; put the whole value in quotes, e.g. title: "Key messages: February"')
