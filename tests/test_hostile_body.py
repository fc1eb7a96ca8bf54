"""Hostile and broken bodies (issue 16): body checks run in linear time, nothing the sanitiser would remove passes
unreported, content cannot borrow the site's classes and ids, and raw-HTML and same-site links are checked."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import markdown
import pytest

from publisher.site import convert
from publisher.dates import LONDON
from publisher.findings import ContentError
from publisher.content.rawhtml import sanitise
from publisher.content.validate import load_site
from sitekit import MKDOCS_YML, bulletin, build, make_site, run_publisher, toolkit

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
BODY = 8  # the first body line of a file made by sitekit.bulletin
SUBJECT = "bulletins/2022-02-02-subject.md"
NEIGHBOURS = {
    "bulletins/2027-01-01-future.md": bulletin("Future", "2027-01-01"),
    "bulletins/2022-01-01-secret.md": bulletin("Secret", "2022-01-01", extra="status: draft\n"),
    "content/about.md": "---\ntitle: About\n---\nAbout us.\n",
}


def findings_for(root: Path, body: str, extra: dict | None = None) -> list[str]:
    make_site(root, {SUBJECT: bulletin("Subject", "2022-02-02", body=body), **NEIGHBOURS, **(extra or {})})
    _site, findings = load_site(root, now=NOW)
    return [finding.as_text() for finding in findings.sorted()]


def assert_reported(results: list[str], line: int, field: str, message: str, severity: str = "error") -> None:
    prefix = f"{SUBJECT}:{line}: {severity}: {field}: "
    assert any(r.startswith(prefix) and message in r for r in results), (prefix, message, results)


# --- 1. Every body check runs in time linear in the body --------------------------------------------------------

SIZE = 100_000
HOSTILE_LINES = {
    "backticks after text": "x" + "`" * SIZE,
    "backtick runs of every width": "".join("`" * (n % 9 + 1) + "a" for n in range(SIZE // 6)),
    "escaped backticks": "\\`" * (SIZE // 2),
    "opening brackets": "[" * SIZE,
    "closing brackets": "]" * SIZE,
    "link middles": "](" * (SIZE // 2),
    "empty link starts": "[](" * (SIZE // 3),
    "unclosed link addresses": "[a](x" * (SIZE // 5),
    "unclosed link titles": '[a](x "' * (SIZE // 7),
    "unclosed bracket titles": "[a](x (" * (SIZE // 7),
    "nested brackets": "[[]" * (SIZE // 3),
    "deeply nested links": "[" * (SIZE // 8) + "](x)" * (SIZE // 8),
    "distinct broken links": "".join(f"[a](x{n}.pdf)" for n in range(SIZE // 12)),
    "distinct broken site paths": "".join(f"[a](/x{n}/)" for n in range(SIZE // 10)),
    "tag starts": "<a " * (SIZE // 3),
    "open quotes in tags": '<a title="' * (SIZE // 10),
    "less-than signs": "<" * SIZE,
    "letters after less-than": "<b" * (SIZE // 2),
    "tags": "<b>" * (SIZE // 3),
    "distinct images without alt text": "".join(f"<img src=x{n}.png>" for n in range(SIZE // 15)),
    "address-like tags": "<a:b>" * (SIZE // 5),
    "unclosed comments": "<!--" * (SIZE // 4),
    "autolink starts": "<http://" * (SIZE // 8),
    "mail-like starts": "<a@" * (SIZE // 3),
    "abbreviation starts": "*[" * (SIZE // 2),
    "capitals": "A" * SIZE,
    "capitals then lower case": "A" * SIZE + "b",
    "capitals and ampersands": "A&" * (SIZE // 2) + "b",
    "many abbreviations": " ".join(f"A{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}" for n in range(SIZE // 4)),
    "note box words": "!!! " + "a " * (SIZE // 2) + "!",
    "fence with attributes": "``` {" + 'a="b ' * (SIZE // 5),
    "fence with open hl_lines": '``` hl_lines="' + '" ' * (SIZE // 2),
    "reference label": "[" + "a" * SIZE + "]:",
    "mixed punctuation": "[<`*_&(" * (SIZE // 7),
}


def check_seconds(root: Path, body: str) -> float:
    """Seconds `publisher check` spends on this body: the best of two runs, less a run on a plain body."""
    def best(text: str) -> float:
        make_site(root, {SUBJECT: bulletin("Subject", "2022-02-02", body=text)})
        runs = []
        for _ in range(2):
            start = time.perf_counter()
            load_site(root, now=NOW)
            runs.append(time.perf_counter() - start)
        return min(runs)

    return best(body) - best("Plain text.\n")


@pytest.mark.parametrize("name", HOSTILE_LINES)
def test_a_hostile_line_of_100_kb_is_checked_within_a_second(tmp_path, name):
    assert check_seconds(tmp_path, HOSTILE_LINES[name] + "\n") < 1.0


def test_a_whole_megabyte_of_hostile_lines_is_checked_in_linear_time(tmp_path):
    # Ten times the 100 KB lines above, at the 1 MB limit for a source: linear checks take about ten times as long
    # as one line at most (about 1 s here, with tens of thousands of findings); a quadratic one would take minutes.
    share = 1_000_000 // len(HOSTILE_LINES)
    body = "\n".join(line[:share] for line in HOSTILE_LINES.values()) + "\n"
    assert check_seconds(tmp_path, body) < 3.0


def test_the_backtick_file_from_the_issue_is_checked_quickly_by_the_command(tmp_path):
    def timed_check(body: str) -> tuple[float, object]:
        make_site(tmp_path, {SUBJECT: bulletin("Subject", "2022-02-02", body=body)})
        start = time.perf_counter()
        result = run_publisher("check", cwd=tmp_path)
        return time.perf_counter() - start, result

    baseline, _plain = timed_check("Plain text.\n")
    seconds, result = timed_check("x" + "`" * 3000 + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert seconds - baseline < 1.0


# --- 2. What the sanitiser would remove is reported at its line ------------------------------------------------

DROPPED = [
    # (body, line offset, field, message, would the sanitiser remove part of Markdown's HTML?)
    ("<javascript:alert(1)>\n", 0, "link", '"javascript:" links can run code', True),
    ("<vbscript:msgbox(1)>\n", 0, "link", '"vbscript:" links can run code', True),
    ("<data:text/html;base64,PHNjcmlwdD4=>\n", 0, "link", '"data:" links can run code', True),
    ("Call <tel:01234567890>.\n", 0, "link", 'Markdown does not make "<tel:01234567890>" a link', True),
    ("<ftp://files.example.com/x>\n", 0, "link", '"ftp:" links are not allowed on the site', True),
    ("Before <a\nhref=\"javascript:alert(1)\">x</a>\n", 1, "html",
     'the address "javascript:alert(1)" in href is not allowed', True),
    ('<img\nsrc="https://example.com/a.png"\nonerror="alert(1)" alt="A chart">\n', 2, "html",
     "the onerror attribute runs script", True),
    ('Text <a title="x>y" onclick="alert(1)">x</a>\n', 0, "html", "the onclick attribute runs script", True),
    (" ```\n<script>alert(1)</script>\n ```\n", 1, "html", "the <script> tag is not allowed", True),
    ('<!--> <img src="https://example.com/a.png" alt="a" onerror="alert(1)"> -->\n', 0, "html",
     "the onerror attribute runs script", True),
    ('<!-- a --!> <b onmouseover="alert(1)">b</b> -->\n', 0, "html", "the onmouseover attribute runs script", True),
    ('<div>\n`<b onclick="alert(1)">x</b>`\n</div>\n', 1, "html", "the onclick attribute runs script", True),
    ('Text with a ` stray backtick\n`<b onclick="alert(1)">x</b>` more\n', 1, "html",
     "the onclick attribute runs script", True),
    ('<b title="[x](https://example.com/)">b</b>\n', 0, "html", "holds a Markdown link or `code`", True),
    ("[site](https://exa%20mple.org/)\n", 0, "link", "is not a valid web address", True),
    ("Text <!-- never closed\n\nMore text.\n", 0, "html", "this comment (<!--) is never closed", False),
]


@pytest.mark.parametrize(("body", "offset", "field", "message", "removed"), DROPPED)
def test_what_the_sanitiser_would_remove_is_reported_at_its_line(tmp_path, body, offset, field, message, removed):
    results = findings_for(tmp_path, body)
    assert_reported(results, BODY + offset, field, message)
    if removed:  # the case is real: without the check, Markdown's HTML would lose part of it to the sanitiser
        site, _findings = load_site(tmp_path, now=NOW)
        item = next(item for item in site.items if item.rel == SUBJECT)
        html = markdown.Markdown(extensions=convert.EXTENSIONS, extension_configs=convert.EXTENSION_CONFIGS)
        with pytest.raises(ContentError):
            convert.refuse_removals(item, html.convert(body))


def test_an_indented_fence_is_explained(tmp_path):
    results = findings_for(tmp_path, " ```\nplain text\n ```\n")
    assert_reported(results, BODY, "code", "this fence is indented, so it does not start a code block",
                    severity="warning")


def test_code_that_markdown_really_fences_is_not_html(tmp_path):
    body = ("```\n<script>alert(1)</script>\n```\n\n~~~ {.python}\n<iframe src=x></iframe>\n~~~\n\n"
            "Use `<script>` with care.\n")
    assert findings_for(tmp_path, body) == []


# Bodies the checker must either report, or pass knowing the sanitiser will remove nothing from them.
TRICKY = [
    "`a\n<script>x</script> `b", "``a`<b onclick=x>`", "\\`<b onclick=x>`", "<div>\n\n`<b onclick=x>`\n\n</div>",
    "- a `\n- <b onclick=x> ` b", "# `a\n<b onclick=x> `", "<!-- `x --> <b onclick=y> `",
    "text <!-- a\n\nb --> <img src=x onerror=y alt=z>", "> <b onclick=x>q</b>", "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1))", "[x][r]\n\n[r]: javascript:alert(1)", "![a](javascript:x)",
    "<a href='jav&#x61;script:x'>x</a>", "<A HREF=\"javascript:x\">x</A>", "<a href=\"x\"onclick=\"y\">x</a>",
    "<svg><script>x</script></svg>", "<table><tr><td onclick=x>y</td></tr></table>",
    "<ol start=3 type=a><li>x</li></ol>", "Footnote[^1]\n\n[^1]: <b onclick=x>y</b>", "Term\n: <b onclick=x>y</b>",
    "!!! note \"<b onclick=x>t</b>\"\n    body",
    "## <b onclick=x>head</b>", "<https://a b.org>", "<scr\x02ipt>x</script>", "<p>\n<b onclick=x>y</b>\n</p>",
    "<?php echo 1 ?> <b onclick=x>", "<!DOCTYPE html><b onclick=x>", "<b\tonclick=x>y</b>", "x<b/onclick=y>",
    "```\n<script>x</script>\n````", "``` {.a}b\n<script>x</script>\n```", "<b title=\"`code`\">b</b>",
    "!!! danger md-button\n    text", "<span id=\"pub-main\">x</span>", "<div\nclass=\"md-button\">x</div>",
    "## MD students\n\n## History", "<b>ok</b> `<i onclick=x>` <b>", "| a | b |\n|---|---|\n| `x | <b onclick=y>` |",
]


@pytest.mark.parametrize("body", TRICKY)
def test_nothing_is_removed_unannounced(tmp_path, body):
    results = findings_for(tmp_path, body + "\n")
    if any(r.startswith(SUBJECT) and ": error: " in r for r in results):
        return
    site, _findings = load_site(tmp_path, now=NOW)
    item = next(item for item in site.items if item.rel == SUBJECT)
    html = markdown.Markdown(extensions=convert.EXTENSIONS, extension_configs=convert.EXTENSION_CONFIGS)
    convert.refuse_removals(item, html.convert(item.doc.body))  # raises if the sanitiser would remove anything


def test_the_build_refuses_what_the_sanitiser_would_remove_and_names_the_line(tmp_path):
    make_site(tmp_path, {SUBJECT: bulletin("Subject", "2022-02-02", body="One.\n\nTwo onclick here.\n")})
    site, _findings = load_site(tmp_path, now=NOW)
    item = next(item for item in site.items if item.rel == SUBJECT)
    with pytest.raises(ContentError) as refused:
        convert.refuse_removals(item, '<p onclick="x">Two</p>')
    [finding] = refused.value.findings.errors
    assert finding.as_text() == (f"{SUBJECT}:{BODY + 2}: error: html: the onclick attribute runs script and is not "
                                 "allowed; remove it (found while building the page, so the line is a best guess)")


# --- 3. Content may not borrow the site's classes and ids -------------------------------------------------------

@pytest.mark.parametrize(("body", "offset", "field", "message"), [
    ('<a class="md-button" href="https://example.com/">Buy</a>\n', 0, "html",
     'the class "md-button" is not allowed: content may not borrow the site\'s own styles; remove it from '
     'class="md-button"'),
    ('<div\nid="pub-main">x</div>\n', 1, "html",
     'the id "pub-main" belongs to the site\'s own layout (as do all ids starting with pub-, md- or __); remove '
     'id="pub-main" or choose another name'),
    ('<p id="__drawer">x</p>\n', 0, "html", 'the id "__drawer" belongs to the site\'s own layout'),
    ('<p id="md-content">x</p>\n', 0, "html", 'the id "md-content" belongs to the site\'s own layout'),
    ('<h2 id="history">x</h2>\n', 0, "html", 'the id "history" belongs to the site\'s own layout'),
    ("``` {#pub-main .python .md-button}\ncode\n```\n", 0, "code", "remove .md-button from {#pub-main .python "
     ".md-button}"),
    ("``` {#pub-main .python}\ncode\n```\n", 0, "code", "remove #pub-main from {#pub-main .python}"),
    ('!!! md-button "Buy now"\n    Text.\n', 0, "note box", '"md-button" is not a kind of note box the site has'),
])
def test_site_classes_and_ids_are_refused(tmp_path, body, offset, field, message):
    assert_reported(findings_for(tmp_path, body), BODY + offset, field, message)


def test_harmless_classes_and_ids_pass(tmp_path):
    body = ('<p class="admonition note" id="our-approach">Note.</p>\n\n!!! tip "A tip"\n    Text.\n\n'
            "```python\nprint(1)\n```\n")
    assert findings_for(tmp_path, body) == []


def test_the_sanitiser_applies_the_same_rule():
    assert sanitise('<span class="md-button note" id="pub-main">x</span>') == '<span class="note">x</span>'
    assert sanitise('<p id="__search" class="md-typeset">x</p>') == "<p>x</p>"
    assert sanitise('<p id="our-approach" class="admonition tip">x</p>') == \
        '<p id="our-approach" class="admonition tip">x</p>'
    assert sanitise('<code class="language-python">x</code>') == '<code class="language-python">x</code>'


# --- 4. Raw-HTML links and links to the site's own addresses ----------------------------------------------------

@pytest.mark.parametrize(("body", "message"), [
    ('<a href="2027-01-01-future.md">soon</a>\n',
     'links to "2027-01-01-future.md", which is a scheduled bulletin and not on the site'),
    ('<a href="/bulletins/2027/01/01/future/">soon</a>\n',
     'links to "/bulletins/2027/01/01/future/", which is a scheduled bulletin and not on the site'),
    ("[secret](https://example.org/bulletins/2022/01/01/secret/)\n",
     'links to "https://example.org/bulletins/2022/01/01/secret/", which is a draft bulletin and not on the site'),
    ('<img src="missing.png" alt="A chart">\n', 'the file "missing.png" does not exist'),
    ("[gone](/bulletins/2099/01/01/nothing/)\n",
     'there is no page at "/bulletins/2099/01/01/nothing/"; link to the source file instead, e.g. '
     '"2022-02-02-key-messages.md"'),
    ("[typo](/bulletins/2021/01/01/subject/)\n",
     'there is no page at "/bulletins/2021/01/01/subject/"; link to the source file instead, e.g. '
     '"2022-02-02-subject.md"'),
    ('<a href="https://example.org/abuot/">about</a>\n', 'there is no page at "https://example.org/abuot/"'),
])
def test_raw_html_and_site_address_links_are_checked(tmp_path, body, message):
    assert_reported(findings_for(tmp_path, body), BODY, "link", message)


def test_generated_and_existing_site_addresses_pass(tmp_path):
    body = ("[feed](/feed.xml), [topic](/topics/mental-health/), [topic feed](/topics/mental-health/atom.xml), "
            "[2022](/bulletins/2022/), [search](/search/?q=nurse), [about](https://example.org/about/), "
            '[home](/), <a href="/directory/">the directory</a>, <a href="../content/about.md">about</a> and '
            "[the archive](http://example.org/bulletins/page/2/).\n")
    assert findings_for(tmp_path, body) == []


def test_drafts_may_link_to_drafts_by_address(tmp_path):
    draft = bulletin("Other", "2022-01-03", extra="status: draft\n", body="[secret](/bulletins/2022/01/01/secret/)\n")
    results = findings_for(tmp_path, "Text.\n", {"bulletins/2022-01-03-other.md": draft})
    assert results == []


def test_raw_html_and_site_address_links_are_rewritten_like_markdown_links(tmp_path):
    body = ('<a href="../content/about.md">About us</a>, <img src="chart.png" alt="A chart">, '
            "[the feed](/feed.xml), [about](https://example.org/sub/about/).\n\n## Pub main\n\n## History\n")
    out = build(tmp_path, {
        "mkdocs.yml": MKDOCS_YML.replace("https://example.org/", "https://example.org/sub/"),
        SUBJECT: bulletin("Subject", "2022-02-02", body=body),
        "bulletins/chart.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "content/about.md": "---\ntitle: About\n---\nAbout us.\n",
    })
    page = (out / "bulletins/2022/02/02/subject/index.html").read_text(encoding="utf-8")
    assert page.count('href="/sub/about/"') >= 2
    assert 'src="/sub/bulletins/files/chart.png"' in page
    assert 'href="/sub/feed.xml"' in page
    assert '<h2 id="section-pub-main">' in page and 'href="#section-pub-main"' in page
    assert '<h2 id="section-history">' in page
    assert (out / "bulletins/files/chart.png").is_file()


# --- 5. A source that fails validation draws no errors about links to it -----------------------------------------

def test_links_to_a_source_that_failed_its_own_checks_are_not_reported(tmp_path):
    broken_toolkit = toolkit("links:\n  - title: Dental careers\n    url: www.healthcareers.nhs.uk\n")
    body = ("[dental](../toolkits/dental/index.md), [again](/toolkits/dental/), "
            "[old news](2021-05-05-old-news.md) and [the same](/bulletins/2021/05/05/old-news/).\n")
    results = findings_for(tmp_path, body, {
        "toolkits/dental/index.md": broken_toolkit,
        "toolkits/dental/application-form.docx": b"PK\x03\x04" + bytes(64),
        "bulletins/2021-05-05-old-news.md": "---\ntitle: Old news\ndate: 2021-05-05\n---\nNo summary or topics.\n",
        "content/links.md": "---\ntitle: Links\n---\n[Dental](../toolkits/dental/index.md)\n",
    })
    assert results and all(r.startswith(("toolkits/dental/", "bulletins/2021-05-05-old-news.md:"))
                           for r in results), results
    assert not any("does not exist" in r or "no page at" in r for r in results)


# --- No traceback, whatever the body ---------------------------------------------------------------------------

def test_the_command_reports_hostile_bodies_without_a_traceback(tmp_path):
    body = "".join(case[0] + "\n" for case in DROPPED) + "[long](" + "x" * 5000 + ")\n" + "\x00<b>\n"
    make_site(tmp_path, {SUBJECT: bulletin("Subject", "2022-02-02", body=body), **NEIGHBOURS})
    result = run_publisher("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{SUBJECT}:{BODY}: error: link: \"javascript:\" links can run code" in result.stdout


@pytest.mark.parametrize("paragraphs, line, message", [
    (["[" * 10_000], 8, "this paragraph has 10000 square brackets, more than the 400"),
    (["[[]" * 400], 8, "this paragraph has 800 square brackets"),
    (["*[" * 500], 8, "this paragraph has 500 square brackets"),
    (["[" * 390] * 40, 8, "this file has so many square brackets in its paragraphs"),
])
def test_bracket_floods_that_would_stall_the_converter_are_refused_quickly(tmp_path, paragraphs, line, message):
    from sitekit import bulletin, make_site, run_publisher

    body = "\n\n".join(paragraphs) + "\n"
    root = make_site(tmp_path, {"bulletins/2022-02-02-flood.md": bulletin("Flood", "2022-02-02", body=body)})
    started = time.monotonic()
    result = run_publisher("build", "--site-dir", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 1
    assert f"bulletins/2022-02-02-flood.md:{line}: error: body: {message}" in result.stdout, result.stdout
    assert time.monotonic() - started < 10  # the check refuses it; converting it would take minutes
    assert not (tmp_path / "out").exists()


def test_a_long_paragraph_of_ordinary_links_is_accepted(tmp_path):
    from sitekit import bulletin, make_site, run_publisher

    links = " ".join(f"[partner number {n}](https://example.com/{n})" for n in range(150))
    root = make_site(tmp_path, {"bulletins/2022-02-02-links.md": bulletin("Links", "2022-02-02", body=links + "\n")})
    result = run_publisher("check", cwd=root)
    assert "square brackets" not in result.stdout, result.stdout
