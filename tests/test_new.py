"""`publisher new` starts a file that passes `publisher check` once its placeholders are filled in."""

from __future__ import annotations

import re

import pytest

from sitekit import make_site, run_publisher

FILLS = {
    r'"TODO: one sentence[^"]*"': '"A real summary."',
    r"\[TODO-choose-from-content-taxonomy-yml\]": "[mental-health]",
    r"TODO-choose-a-setting-from-content-taxonomy-yml": "dental",
    r'"TODO: who the toolkit is for[^"]*"': '"Dental practice managers"',
    r'"TODO: the organisation that runs it"': '"A trust"',
    r"TODO-choose-a-region": "london",
    r"\[TODO-choose-approaches\]": "[mentoring]",
    r"\[TODO-choose-audiences\]": "[school-pupils]",
    r"TODO-choose-an-evidence-level": "emerging",
    r"TODO: [^\n]*": "Real text.",
    r"^TODO$": "Real text.",
}


@pytest.mark.parametrize(("kind", "expected"), [
    ("bulletin", "bulletins/2026-11-01-team-news-for-november.md"),
    ("news", "bulletins/2026-11-01-team-news-for-november.md"),
    ("toolkit", "toolkits/team-news-for-november/index.md"),
    ("entry", "content/directory/team-news-for-november.md"),
])
def test_new_file_checks_clean_once_filled(tmp_path, kind, expected):
    make_site(tmp_path)
    created = run_publisher("new", kind, "Team news for November!", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == expected
    unfilled = run_publisher("check", cwd=tmp_path)
    assert unfilled.returncode == 1
    assert "placeholder" in unfilled.stdout
    path = tmp_path / expected
    text = path.read_text()
    for pattern, replacement in FILLS.items():
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    path.write_text(text)
    filled = run_publisher("check", cwd=tmp_path)
    assert filled.returncode == 0, filled.stdout + text


def test_new_refuses_to_overwrite(tmp_path):
    make_site(tmp_path)
    assert run_publisher("new", "bulletin", "Same title", cwd=tmp_path).returncode == 0
    path = tmp_path / "bulletins/2026-11-01-same-title.md"
    path.write_text("edited")
    again = run_publisher("new", "bulletin", "Same title", cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert path.read_text() == "edited"


def test_new_bulletin_is_a_draft_until_the_editor_publishes_it(tmp_path):
    make_site(tmp_path)
    run_publisher("new", "bulletin", "Quoted \"title\"", cwd=tmp_path)
    text = (tmp_path / "bulletins/2026-11-01-quoted-title.md").read_text()
    assert 'title: "Quoted \\"title\\""' in text
    assert "status: draft" in text
