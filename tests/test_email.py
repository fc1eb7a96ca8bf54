"""The email edition: `publisher email` writes an HTML email, plain text, a .eml and a GOV.UK Notify version."""

from __future__ import annotations

import base64
import email
import email.policy
import re
import socket
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from sitekit import MKDOCS_YML, ROOT, bulletin, make_site, run_publisher
from test_browser import SCREENSHOTS, axe_violations

TITLE = "Rich “bulletin” – tables, code and pictures"  # curly quotes and an en dash, for the Subject header
EMAIL_SETTINGS = """\
extra:
  email:
    from: Test bulletins <bulletins@example.org>
    reply_to: team@example.org
    organisation: Test organisation
    why_you_get_this: You get this because you asked for it.
    utm_source: bulletin
    utm_medium: email
"""
RICH_BODY = """\
Intro with a [link to a page](../content/about.md), an [outside site](https://www.hee.nhs.uk/careers?x=1) and
<a href="mailto:team@example.org">email the team</a>. Read [the next section](#places) too. Long addresses must not
push the layout sideways on a phone: https://www.hee.nhs.uk/our-work/widening-participation/work-experience/summer-2027.

![Students on a ward visit](ward-visit.png)

## Places

| Region | Places | Closes |
| --- | ---: | --- |
| London | 40 | 1 March 2027, or when every place has been taken by a student from a school in the region |
| North West | 25 | 8 March 2027 |

### How to apply

```text
Reference: WP-2027-LONDON-0001 <keep this> & quote it
```

!!! note "Before you apply"
    Check the dates first.

A footnote here[^1].

> A quotation from a student.

1. First step
2. Second step
    - a nested point
    - another nested point

[^1]: The footnote text.
"""
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
SUFFIXES = (".html", ".txt", ".eml", ".notify.md")


def email_site(root: Path, settings: str = EMAIL_SETTINGS) -> Path:
    return make_site(root, {
        "mkdocs.yml": MKDOCS_YML + settings,
        "content/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
        "bulletins/2026-10-01-rich.md": bulletin(f'"{TITLE}"', "2026-10-01", body=RICH_BODY),
        "bulletins/ward-visit.png": PNG,
        "bulletins/2026-09-01-older.md": bulletin("An older bulletin", "2026-09-01"),
        "bulletins/2026-10-20-not-ready.md": bulletin("Not ready", "2026-10-20", extra="status: draft\n"),
        "bulletins/2027-01-12-coming-soon.md": bulletin("Coming soon", "2027-01-12"),
    })


def run_email(root: Path, *args: str, env: dict[str, str] | None = None):
    result = run_publisher("email", *args, cwd=root, env=env)
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> dict[str, str | bytes]:
    """The four files of the rich bulletin, written by the real command."""
    root = email_site(tmp_path_factory.mktemp("email"))
    result = run_email(root, "rich")
    assert result.returncode == 0, result.stderr
    out = root / "emails"
    assert sorted(result.stdout.split()) == sorted((out / f"rich{suffix}").as_posix() for suffix in SUFFIXES)
    found: dict[str, str | bytes] = {suffix: (out / f"rich{suffix}").read_text(encoding="utf-8")
                                     for suffix in SUFFIXES if suffix != ".eml"}
    found[".eml"] = (out / "rich.eml").read_bytes()
    return found


def links(html: str) -> list[str]:
    return lxml.html.document_fromstring(html).xpath("//a/@href")


def test_the_eml_is_two_utf8_parts_with_a_non_ascii_subject(rich):
    message = email.message_from_bytes(rich[".eml"], policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    assert message["Subject"] == TITLE
    assert rich[".eml"].isascii()  # headers encoded (RFC 2047), bodies quoted-printable: safe through any relay
    assert message["From"].addresses[0].addr_spec == "bulletins@example.org"
    assert message["Reply-To"].addresses[0].addr_spec == "team@example.org"
    assert message["Date"].datetime.isoformat() == "2026-11-01T00:00:00+00:00"  # SOURCE_DATE_EPOCH, not the clock
    assert message["Message-ID"].endswith("@example.org>")
    # On the wire every line ends in CRLF, as MIME requires; the files beside it use the platform's newline.
    assert parts[0].get_content().replace("\r\n", "\n") == rich[".txt"]
    assert parts[1].get_content().replace("\r\n", "\n") == rich[".html"]


def test_every_address_in_the_html_is_absolute_and_campaign_tagged_only_for_the_site(rich):
    document = lxml.html.document_fromstring(rich[".html"])
    addresses = document.xpath("//@href | //@src")
    unsubscribe = "((unsubscribe_link))"  # a placeholder the mailing service replaces with its own address
    assert unsubscribe in addresses
    for address in addresses:
        if address != unsubscribe:
            assert re.match(r"(https://|mailto:)", address), address
    ours = [a for a in addresses if a.startswith("https://example.org/") and "/files/" not in a]
    assert ours and all(parse_qs(urlsplit(a).query)["utm_campaign"] == ["rich"] for a in ours)
    assert all(parse_qs(urlsplit(a).query)["utm_medium"] == ["email"] for a in ours)
    assert "https://www.hee.nhs.uk/careers?x=1" in addresses  # other sites' links are left as written
    assert "mailto:team@example.org" in addresses
    assert not any("utm_" in a for a in addresses if not a.startswith("https://example.org/"))
    assert document.xpath("//img/@src") == ["https://example.org/bulletins/files/ward-visit.png"]
    # An in-page link keeps its words but not the link, which many mail clients cannot follow.
    assert "#places" not in rich[".html"] and "Read the next section too" in document.text_content()


def test_every_link_in_the_html_is_in_the_plain_text(rich):
    html_links = links(rich[".html"])
    assert len(html_links) == 5  # the web page, a page, another site, a mailbox, unsubscribe
    for address in html_links:
        assert address in rich[".txt"]


def test_the_plain_text_reads_on_its_own(rich):
    text = rich[".txt"]
    lines = text.splitlines()
    assert lines[:4] == [TITLE, "=" * len(TITLE), "", "1 October 2026"]
    for line in lines:
        # Only an address may make a line longer than 78 characters, and then it stands alone on its line.
        assert len(line) <= 78 or re.fullmatch(r"\s*\(?(https://|mailto:)\S+", line), line
    assert "\nPlaces\n------\n" in text and "\nHow to apply\n............\n" in text
    assert "- a nested point" in text and "2. Second step" in text
    assert "Region: London\n" in text and "Places: 25" in text
    assert "    Reference: WP-2027-LONDON-0001 <keep this> & quote it" in text
    assert "outside site (https://www.hee.nhs.uk/careers?x=1)" in text
    assert "(Image: Students on a ward visit)" in text
    assert "A footnote here[1]." in text and "1. The footnote text." in text and "↩" not in text
    assert not re.search(r"&[#a-zA-Z0-9]+;", text)  # no HTML entities
    assert not re.search(r"\]\(|\*\*|`|<a |</|^#", text, re.MULTILINE)  # no Markdown or HTML syntax
    assert lines[-3:] == ["You get this because you asked for it.", "",
                          "Unsubscribe from these emails (((unsubscribe_link)))"]
    assert "Test organisation" in lines[-5]


def test_the_notify_version_uses_notify_formatting(rich):
    notify = rich[".notify.md"]
    assert notify.startswith(f"# {TITLE}\n")
    assert "\n## Places\n" in notify and "\n## How to apply\n" in notify  # Notify has two levels
    assert "\n* a nested point" not in notify and "\n  * a nested point" in notify
    assert "\n1. First step\n2. Second step\n" in notify
    assert "\n^ Before you apply\n" in notify and "\n^ A quotation from a student.\n" in notify
    assert "outside site: https://www.hee.nhs.uk/careers?x=1" in notify
    assert "View this bulletin on the website: https://example.org/bulletins/2026/10/01/rich/?utm_source=" in notify
    assert "](" not in notify and "<" not in notify.replace("<keep this>", "")
    assert notify.rstrip().endswith("Unsubscribe from these emails: ((unsubscribe_link))")
    for address in links(rich[".html"]):
        assert address in notify


def test_the_html_email_is_self_contained_and_accessible_by_construction(rich):
    html = rich[".html"]
    document = lxml.html.document_fromstring(html)
    assert document.get("lang") == "en-GB"
    assert not document.xpath("//script | //link | //form | //input | //iframe | //@background")
    assert not re.search(r"@import|@font-face|url\(", html)
    tables = document.xpath("//table")
    data = [table for table in tables if table.get("role") != "presentation"]
    assert len(data) == 1 and data[0].xpath(".//th")  # the bulletin's own table keeps its headers
    assert all(image.get("alt") for image in document.xpath("//img"))
    assert [h.text_content() for h in document.xpath("//h1 | //h2 | //h3")] == [TITLE, "Places", "How to apply"]
    preheader = document.find_class("preheader")[0]
    assert preheader.get("aria-hidden") == "true" and preheader.text_content() == f'Summary of "{TITLE}".'
    first_link = document.xpath("//a")[0]
    assert first_link.text_content() == "View this bulletin on the website"
    # Styles are inlined: text cells carry their own size and colours, so no client's stylesheet is needed.
    for cell in document.find_class("content") + document.find_class("footer"):
        style = cell.get("style")
        assert "font-size: 16px" in style and "background-color:" in style and "color: #212b32" in style
    assert len(html.encode("utf-8")) < 102_000


def test_the_html_email_in_chromium_at_320_and_600_pixels(browser, rich):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (320, 600):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
            requested: list[str] = []
            context.route("**/*", lambda route: (requested.append(route.request.url), route.abort()))
            page = context.new_page()
            page.set_content(rich[".html"], wait_until="load")
            sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert sideways <= 0, f"scrolls sideways by {sideways}px at {width}px ({scheme})"
            # Layout tables are marked role="presentation", so axe needs no rule switched off.
            assert axe_violations(page) == [], f"{width}px {scheme}"
            assert all(url.startswith("https://example.org/") for url in requested), requested
            page.screenshot(path=str(SCREENSHOTS / f"email-{width}-{scheme}.png"), full_page=True)
            context.close()
    assert (SCREENSHOTS / "email-320-light.png").stat().st_size > 10_000


class Inbox:
    """An aiosmtpd handler that keeps each message exactly as it arrived."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_send_test_delivers_the_eml_unchanged_to_a_local_smtp_server(tmp_path):
    from aiosmtpd.controller import Controller

    root = email_site(tmp_path)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = run_email(root, "--latest", "--send-test", "reader@example.net",
                           env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "no"})
    finally:
        controller.stop()
    assert result.returncode == 0, result.stderr
    assert "Sent a test" in result.stderr and "reader@example.net" in result.stderr
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "bulletins@example.org" and envelope.rcpt_tos == ["reader@example.net"]
    eml = (root / "emails" / "rich.eml").read_bytes()
    received = envelope.original_content
    assert received.rstrip(b"\r\n") == eml.rstrip(b"\r\n")
    sent, got = (email.message_from_bytes(raw, policy=email.policy.default) for raw in (eml, received))
    assert got["Subject"] == TITLE and got.get_body(("plain",)).get_content() == sent.get_body(("plain",)).get_content()


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "--send-test needs SMTP_HOST and SMTP_PORT"),
    ({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "smtp"}, 'SMTP_PORT is "smtp"'),
    ({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "25", "SMTP_USER": "me"}, "set both SMTP_USER and SMTP_PASSWORD"),
    ({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "25", "SMTP_USER": "me", "SMTP_PASSWORD": "x", "SMTP_STARTTLS": "no"},
     "would be sent unencrypted"),
    ({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "PORT"}, "could not reach the mail server 127.0.0.1:"),
])
def test_send_test_settings_problems_are_plain_errors(tmp_path, env, expected):
    root = email_site(tmp_path)
    clean = {name: "" for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS")}
    if env.get("SMTP_PORT") == "PORT":
        env = {**env, "SMTP_PORT": str(free_port()), "SMTP_STARTTLS": "no"}  # nothing listens there
    started = time.monotonic()
    result = run_email(root, "rich", "--send-test", "reader@example.net", env={**clean, **env})
    assert result.returncode == 1
    assert expected in result.stderr and result.stderr.startswith("error: ")
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(("source", "state"), [("not-ready", "draft"), ("coming-soon", "scheduled")])
def test_drafts_and_scheduled_bulletins_are_refused_without_preview(tmp_path, source, state):
    root = email_site(tmp_path)
    result = run_email(root, source)
    assert result.returncode == 1
    assert state in result.stderr and "--preview" in result.stderr
    assert not (root / "emails").exists()


def test_preview_marks_every_part_not_yet_published(tmp_path):
    root = email_site(tmp_path)
    result = run_email(root, "bulletins/2026-10-20-not-ready.md", "--preview")
    assert result.returncode == 0, result.stderr
    out = root / "emails"
    for suffix in (".html", ".txt", ".notify.md"):
        assert "Not yet published" in (out / f"not-ready{suffix}").read_text(encoding="utf-8"), suffix
    message = email.message_from_bytes((out / "not-ready.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "[Not yet published] Not ready"
    assert all("Not yet published" in part.get_content() for part in message.iter_parts())
    notify = (out / "not-ready.notify.md").read_text(encoding="utf-8")
    assert notify.startswith("^ Not yet published.")  # Notify's inset text, before everything else
    assert (out / "not-ready.txt").read_text(encoding="utf-8").startswith("    Not yet published.")


def test_bulletins_are_named_by_path_file_name_or_slug_and_typos_get_a_suggestion(tmp_path):
    root = email_site(tmp_path)
    for source in ("bulletins/2026-09-01-older.md", "2026-09-01-older", "older"):
        result = run_email(root, source, "--out", "named")
        assert result.returncode == 0, result.stderr
        assert (root / "named" / "older.eml").is_file()
    result = run_email(root, "oldr")
    assert result.returncode == 1 and 'did you mean "older"' in result.stderr
    result = run_email(root)
    assert result.returncode == 2 and "--latest" in result.stderr


@pytest.mark.parametrize(("settings", "expected"), [
    ("", "mkdocs.yml:1: error: extra.email: is missing"),
    ("extra:\n  email:\n    reply_to: team@example.org\n", "extra.email.from: is missing"),
    ("extra:\n  email:\n    from: not an address\n", "mkdocs.yml:14: error: extra.email.from: \"not an address\" is not"),
    ("extra:\n  email:\n    from: a@example.org\n    reply-to: b@example.org\n",
     "mkdocs.yml:15: error: extra.email.reply-to: is not a setting"),
])
def test_email_settings_problems_name_the_line_in_mkdocs_yml(tmp_path, settings, expected):
    root = email_site(tmp_path, settings)
    result = run_email(root, "rich")
    assert result.returncode == 1
    assert expected in result.stdout, result.stdout + result.stderr


def test_latest_on_the_shipped_content_writes_the_four_files(tmp_path):
    result = run_email(ROOT, "--latest", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    slug = "new-entries-in-the-best-practice-directory"  # the newest published on 2026-11-01
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{slug}{suffix}" for suffix in SUFFIXES)


def test_the_longest_shipped_bulletin_stays_under_gmails_102_kb_clip(tmp_path):
    longest = max((ROOT / "bulletins").glob("*.md"), key=lambda path: len(path.read_bytes()))
    result = run_email(ROOT, longest.relative_to(ROOT).as_posix(), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [html] = tmp_path.glob("*.html")
    size = len(html.read_bytes())
    assert 10_000 < size < 102_000, size
    assert "warning" not in result.stderr
