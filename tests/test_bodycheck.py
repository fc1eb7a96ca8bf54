"""Body checks: links between sources, image alt text and unsafe HTML, each with its line."""

from __future__ import annotations

from datetime import datetime

import pytest

from publisher.dates import LONDON
from publisher.content.validate import load_site
from sitekit import bulletin, make_site

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)


def body_findings(tmp_path, body: str, extra: dict[str, str] | None = None) -> list[str]:
    files = {"bulletins/2022-02-02-subject.md": bulletin("Subject", "2022-02-02", body=body),
             "content/about.md": "---\ntitle: About\n---\nAbout.\n"}
    files.update(extra or {})
    make_site(tmp_path, files)
    _site, findings = load_site(tmp_path, now=NOW)
    return [f.as_text() for f in findings.sorted()]


BODY_LINE = 8  # the first body line of a file made by sitekit.bulletin


def test_links_to_real_sources_pass(tmp_path):
    body = ("See [about us](../content/about.md), [the team](../content/about.md#team) and "
            "[NHS jobs](https://www.jobs.nhs.uk/).\n\n```\n[not a link](missing.md)\n```\n`[code](missing.md)`\n")
    assert body_findings(tmp_path, body) == []


@pytest.mark.parametrize(("body", "field", "message"), [
    ("Text\n\n[old news](2020-01-01-gone.md)\n", "link", 'links to "2020-01-01-gone.md", which does not exist'),
    ("Text\n\n[about](about.md)\n", "link", 'did you mean "../content/about.md"?'),
    ("Text\n\n![](chart.png)\n", "image", "this image has no alt text"),
    ("Text\n\n<img src=\"x.png\">\n", "image", "this image has no alt text"),
    ("Text\n\n<script>alert(1)</script>\n", "html", "the <script> tag is not allowed"),
    ("Text\n\n<iframe src=\"https://evil.example\"></iframe>\n", "html", "the <iframe> tag is not allowed"),
    ("Text\n\n<object data=\"x\"></object>\n", "html", "the <object> tag is not allowed"),
    ("Text\n\n<style>body{}</style>\n", "html", "the <style> tag is not allowed"),
    ("Text\n\n<p onclick=\"steal()\">Hi</p>\n", "html", "the onclick attribute runs script"),
    ("Text\n\n[x](javascript:alert(1))\n", "link", '"javascript:" links can run code'),
    ("Text\n\n[x](vbscript:msgbox)\n", "link", '"vbscript:" links can run code'),
    ("Text\n\n[x](data:text/html;base64,AAAA)\n", "link", '"data:" links can run code'),
    ("Text\n\n<a href=\"javascript:void(0)\">x</a>\n", "html", 'the address "javascript:void(0)" in href'),
    ("Text\n\n[ref]: missing-file.pdf\n", "link", 'the file "missing-file.pdf" does not exist'),
])
def test_body_problems_are_reported_on_their_line(tmp_path, body, field, message):
    results = body_findings(tmp_path, body)
    prefix = f"bulletins/2022-02-02-subject.md:{BODY_LINE + 2}: error: {field}: "
    assert any(r.startswith(prefix) and message in r for r in results), results


def test_link_from_published_page_to_a_draft_fails(tmp_path):
    draft = bulletin("Secret", "2022-01-01", extra="status: draft\n")
    scheduled = bulletin("Future", "2027-01-01")
    body = "[draft](2022-01-01-secret.md) and [future](2027-01-01-future.md)\n"
    results = body_findings(tmp_path, body, {"bulletins/2022-01-01-secret.md": draft,
                                            "bulletins/2027-01-01-future.md": scheduled})
    assert len(results) == 2
    assert "is a draft bulletin and not on the site" in results[0]
    assert "is a scheduled bulletin and not on the site" in results[1]
    assert all(r.startswith(f"bulletins/2022-02-02-subject.md:{BODY_LINE}: error: link:") for r in results)


def test_drafts_may_link_to_drafts(tmp_path):
    draft = bulletin("Secret", "2022-01-01", extra="status: draft\n",
                     body="[other](2022-01-02-other.md)\n")
    other = bulletin("Other", "2022-01-02", extra="status: draft\n")
    assert body_findings(tmp_path, "Text\n", {"bulletins/2022-01-01-secret.md": draft,
                                             "bulletins/2022-01-02-other.md": other}) == []
