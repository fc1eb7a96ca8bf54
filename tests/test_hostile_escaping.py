"""Hostile text in every front-matter field: `check` refuses it at its line, or every output shows it as text.

One site carries a payload (after the OWASP XSS filter-evasion classes) in every text field of every content
type, the taxonomy and `mkdocs.yml`. Its twin carries harmless text in the same places. Both are built, and every
output is parsed: the hostile site must have exactly the twin's elements and attributes (so no payload made one),
show each payload as text, and run no script in a real browser.
"""

from __future__ import annotations

import gzip
import html
import json
from pathlib import Path

import html5lib
import pytest
from lxml import etree

from browser_support import serve
from sitekit import TOPICS, build, make_site, run_publisher

MARKER = "__pwned"
PAYLOADS = [
    '"><script>window.__pwned=1</script>',
    "'><img src=x onerror=window.__pwned=1>",
    "</title><script>document.title='PWNED';window.__pwned=1</script>",
    '0;url=https://evil.example/" http-equiv="refresh',
    "<svg/onload=window.__pwned=1>",
    '" onmouseover="window.__pwned=1" autofocus onfocus="window.__pwned=1" x="',
    "' onfocus='window.__pwned=1' autofocus x='",
    "javascript:window.__pwned=1",
    "JaVaScRiPt&#58;window.__pwned=1",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    "vbscript:msgbox(1)",
    "</script><script>window.__pwned=1</script>",
    "]]><script>window.__pwned=1</script><![CDATA[",
    "{{ 7*7 }} {% if true %}template{% endif %} {# comment #}",
    "line\u2028separator\u2029paragraph",
    "\u202etxt.exe\u202c right-to-left override",
    '<a href="javascript:window.__pwned=1">link</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; &#x3C;b&#x3E;",
    "<<script>script>window.__pwned=1<</script>/script>",
    "<meta http-equiv=refresh content='0;url=https://evil.example/'>",
    "<style>body{display:none}</style><base href='https://evil.example/'>",
]
EVERY_PAYLOAD = " ".join(PAYLOADS)  # for text fields without a length limit
DOCX = b"PK\x03\x04" + b"0" * 3000
SETTINGS = ("general-practice", "dental", "secondary-care", "schools-and-careers", "online")
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON is YAML), so any payload survives the front matter intact."""
    return json.dumps(value)


def benign(index: int) -> str:
    return f"Harmless text number {index}"


def site_files(text, every: str) -> dict[str, str | bytes]:
    """A site whose every text field holds `text(i)` (length-limited fields) or `every` (unlimited ones)."""
    files: dict[str, str | bytes] = {"mkdocs.yml": mkdocs_yml(text(0), every), "content/taxonomy.yml": taxonomy(text),
                                     "content/about.md": f"---\ntitle: {q(text(1))}\nsummary: {q(text(2))}\n---\n\nAbout.\n"}
    for i in range(len(PAYLOADS)):
        files[f"bulletins/2022-01-{i + 1:02d}-item-{i}.md"] = (
            f"---\ntitle: {q(text(i))}\ndate: 2022-01-{i + 1:02d}\nsummary: {q(text(i))}\n"
            f"topics: [{TOPICS[i % len(TOPICS)]}]\nauthor: {q(every)}\n"
            f"changes:\n  - {{date: 2022-02-01, note: {q(every)}}}\n---\n\n## Section\n\nBody text.\n")
        files[f"content/directory/entry-{i}.md"] = (
            f"---\ntitle: {q(text(i))}\norganisation: {q(every)}\nsummary: {q(text(i))}\nregion: london\n"
            f"topics: [{TOPICS[i % len(TOPICS)]}]\napproaches: [mentoring]\naudiences: [school-pupils]\n"
            f"evidence: emerging\nstarted: 2019\nwebsite: {q(web_address(text(i), i))}\n"
            f"contact: {{name: {q(every)}, email: team{i}@example.org}}\n---\n\nWhat they did.\n")
    for i, setting in enumerate(SETTINGS):
        files[f"toolkits/{setting}/index.md"] = toolkit_source(text(i), text(i + 5), setting, every)
        files[f"toolkits/{setting}/form.docx"] = DOCX
    return files


def web_address(text: str, index: int) -> str:
    """A valid https address carrying the field's text (without spaces, which addresses cannot hold)."""
    return f"https://example.org/{index}/" + "".join(text.split())


def toolkit_source(title: str, summary: str, setting: str, every: str) -> str:
    return (f"---\ntitle: {q(title)}\nsummary: {q(summary)}\nsetting: {setting}\naudience: {q(every)}\n"
            "last_reviewed: 2026-06-01\nreview_due: 2027-06-01\n"
            f"downloads:\n  - {{title: {q(every)}, file: form.docx, kind: form, summary: {q(summary)}}}\n"
            f"links:\n  - {{title: {q(every)}, url: 'https://example.org/guide'}}\n"
            f"opportunities:\n  - {{title: {q(every)}, provider: {q(every)}, region: london, "
            "url: 'https://example.org/apply', closes: 2027-03-01}\n---\n\n## Before the placement\n\nPlan ahead.\n")


def mkdocs_yml(name: str, description: str) -> str:
    return (f"site_name: {q(name)}\nsite_url: https://example.org/\nsite_description: {q(description)}\n"
            "docs_dir: content\ntheme:\n  name: material\n  font: false\nplugins:\n  - publisher\n"
            "nav:\n  - Home: index.md\n  - Bulletins: bulletins/index.md\n")


def taxonomy(text) -> str:
    def vocabulary(name: str, slugs, offset: int) -> str:
        terms = "".join(f"  {slug}: {{label: {q(text(offset + i))}, description: {q(text(offset + i + 1))}}}\n"
                        for i, slug in enumerate(slugs))
        return f"{name}:\n{terms}"

    return (vocabulary("topics", TOPICS, 0) + vocabulary("regions", ["london"], 3) +
            vocabulary("settings", SETTINGS, 5) + vocabulary("approaches", ["mentoring"], 7) +
            vocabulary("audiences", ["school-pupils"], 9) + vocabulary("evidence", ["emerging"], 11))


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> tuple[Path, Path]:
    hostile = build(tmp_path_factory.mktemp("hostile"), site_files(lambda i: PAYLOADS[i % len(PAYLOADS)],
                                                                   EVERY_PAYLOAD))
    twin = build(tmp_path_factory.mktemp("twin"), site_files(benign, benign(99)))
    return hostile, twin


def html_pages(site: Path) -> list[Path]:
    # The web editor's page (outputs/cms.py) shows no content of its own; tests/test_cms.py covers it.
    return sorted(path for path in site.rglob("*.html") if not path.relative_to(site).as_posix().startswith("admin/"))


def parse_html(path: Path):
    return html5lib.parse(path.read_bytes(), treebuilder="lxml", namespaceHTMLElements=False)


def shape(tree) -> list[tuple[str, tuple[str, ...]]]:
    """Every element and its attribute names, in document order: what a payload would have to change."""
    return [(element.tag, tuple(sorted(element.attrib))) for element in tree.iter() if isinstance(element.tag, str)]


def test_no_payload_creates_an_element_or_attribute(sites):
    hostile, twin = sites
    pages = [path.relative_to(hostile) for path in html_pages(hostile)]
    assert pages == [path.relative_to(twin) for path in html_pages(twin)]
    assert len(pages) > 50
    for rel in pages:
        assert shape(parse_html(hostile / rel)) == shape(parse_html(twin / rel)), rel


def test_no_handler_refresh_or_script_url_anywhere(sites):
    hostile, _ = sites
    for path in html_pages(hostile):
        tree = parse_html(path)
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), (path, element.tag, name)
                squashed = "".join(value.split()).lower()
                if name in ("href", "src", "action", "formaction", "xlink:href"):
                    assert not squashed.startswith(SCRIPT_SCHEMES), (path, element.tag, value)
            if element.tag == "meta":
                assert (element.get("http-equiv") or "").lower() != "refresh", path
            if element.tag == "script":
                assert MARKER not in (element.text or "") or element.get("type") == "application/ld+json", path
            assert element.tag not in ("iframe", "base", "svg", "style") or MARKER not in etree.tostring(element,
                                                                                                        encoding=str)


def test_visible_text_shows_each_payload(sites):
    hostile, _ = sites
    manifest = json.loads((hostile / "manifest.json").read_text(encoding="utf-8"))
    bulletins = sorted((p for p in manifest["pages"] if p["kind"] == "bulletin"), key=lambda p: p["source"])
    assert len(bulletins) == len(PAYLOADS)
    for page in bulletins:
        payload = PAYLOADS[int(page["source"].rsplit("-", 1)[1].removesuffix(".md"))]
        assert page["title"] == payload
        tree = parse_html(hostile / page["url"].strip("/") / "index.html")
        assert tree.findtext(".//h1") == payload
        assert tree.findtext(".//title").startswith(payload + " - ")
        assert tree.find(".//meta[@name='description']").get("content") == payload
        assert tree.find(".//p[@class='pub-lede']").text == payload
        assert EVERY_PAYLOAD in "".join(tree.find(".//p[@class='pub-meta']").itertext())
        assert EVERY_PAYLOAD in "".join(tree.find(".//section[@class='pub-history']").itertext())
        structured = tree.find(".//script[@type='application/ld+json']").text
        assert "</" not in structured and "\u2028" not in structured and "\u2029" not in structured
        assert json.loads(structured)["headline"] == payload
    home = parse_html(hostile / "index.html")
    assert PAYLOADS[0] in home.findtext(".//title")


def test_toolkit_entry_and_taxonomy_text_shown_as_text(sites):
    hostile, _ = sites
    toolkit = parse_html(hostile / "toolkits" / "dental" / "index.html")
    text = "".join(toolkit.getroot().itertext())
    assert toolkit.findtext(".//h1") == PAYLOADS[1]
    assert text.count(EVERY_PAYLOAD) >= 4  # audience, download title, link title, opportunity title and provider
    entry = parse_html(hostile / "directory" / "entry-3" / "index.html")
    assert entry.findtext(".//h1") == PAYLOADS[3]
    assert web_address(PAYLOADS[0], 0) in [link.get("href") for link in
                                            parse_html(hostile / "directory/entry-0/index.html").iter("a")]
    assert "".join(entry.getroot().itertext()).count(EVERY_PAYLOAD) >= 2  # organisation and contact name
    topics = parse_html(hostile / "topics" / "index.html")
    labels = [link.text for link in topics.iterfind(".//main//li/a")]
    assert PAYLOADS[4] in labels


def test_feeds_give_readers_text_never_markup(sites):
    hostile, _ = sites
    feeds = sorted(hostile.glob("**/feed.xml")) + sorted(hostile.glob("**/atom.xml"))
    assert len(feeds) > 2
    for path in feeds:
        tree = etree.parse(str(path))  # well-formed XML despite `]]>` and U+2028 in the payloads
        if path.name == "feed.xml":
            for item in tree.iterfind(".//item"):
                for field in ("title", "description"):
                    assert_reader_sees_text(item.findtext(field))
        else:
            atom = "{http://www.w3.org/2005/Atom}"
            for entry in tree.iterfind(f".//{atom}entry"):
                assert entry.find(f"{atom}title").get("type", "text") == "text"
                assert entry.findtext(f"{atom}title") in PAYLOADS


def assert_reader_sees_text(value: str) -> None:
    """A feed reader renders RSS titles and descriptions as HTML: the payload must come out as text."""
    fragment = html5lib.parseFragment(value, treebuilder="lxml", namespaceHTMLElements=False)
    assert [child for child in fragment if isinstance(child, etree._Element)] == [], value
    assert html.unescape(value) in PAYLOADS


def test_sitemap_manifest_and_search_metadata_parse(sites):
    hostile, _ = sites
    sitemap = etree.parse(str(hostile / "sitemap.xml"))
    assert len(sitemap.getroot()) > 50
    assert {page["title"] for page in json.loads((hostile / "manifest.json").read_text())["pages"]} >= set(PAYLOADS)
    summaries = set()
    for fragment in (hostile / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(fragment.read_bytes())
        summaries.add(json.loads(raw[len(b"pagefind_dcd"):])["meta"].get("summary"))
    assert set(PAYLOADS) <= summaries


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
                                 "java\tscript:alert(1)", "//evil.example/", "https://"])
def test_check_refuses_script_urls_in_url_fields(tmp_path, url):
    files = site_files(benign, benign(99))
    files["content/directory/entry-0.md"] = files["content/directory/entry-0.md"].replace(
        q(web_address(benign(0), 0)), q(url))
    root = make_site(tmp_path, files)
    result = run_publisher("check", cwd=root)
    assert result.returncode == 1
    assert "content/directory/entry-0.md:11: error: website: " in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_no_script_runs_in_a_browser(sites, browser):
    hostile, _ = sites
    with serve(hostile) as base:
        context = browser.new_context()
        dialogs: list[str] = []
        left_site: list[str] = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                      else (left_site.append(route.request.url), route.abort()))
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        urls = [f"/{path.relative_to(hostile).as_posix()}" for path in html_pages(hostile)]
        urls += ["/search/?q=pwned", "/search/?q=script", "/directory/?region=london"]
        for url in urls:
            page.goto(base + url, wait_until="load")
            if "?q=" in url:
                page.wait_for_function("document.querySelectorAll('.pub-result').length > 0", timeout=10_000)
            assert page.evaluate(f"typeof window.{MARKER}") == "undefined", url
            assert page.url.startswith(base), (url, page.url)
            assert page.title() != "PWNED", url
        context.close()
    assert dialogs == []
    assert left_site == []


def test_withdrawal_reasons_show_payloads_as_text(tmp_path):
    """A withdrawal reason is Markdown, rendered inline: raw HTML in it must come out as text, never as markup."""
    files = site_files(benign, benign(99))
    for i, payload in enumerate(PAYLOADS):
        path = f"bulletins/2022-01-{i + 1:02d}-item-{i}.md"
        files[path] = files[path].replace("---\n\n## Section", f"status: withdrawn\nwithdrawn: {{date: 2023-04-03, "
                                          f"reason: {q(payload)}}}\n---\n\n## Section", 1)
    site = build(tmp_path, files)
    for i, payload in enumerate(PAYLOADS):
        tree = parse_html(site / "bulletins/2022/01" / f"{i + 1:02d}" / f"item-{i}" / "index.html")
        [notice] = tree.xpath("//div[contains(@class, 'pub-withdrawn')]")
        assert [element.tag for element in notice.iter() if isinstance(element.tag, str)] == [
            "div", "p", "strong", "time", "p"], payload
        words = "".join(notice.xpath("./p[2]")[0].itertext())
        assert words == payload.expandtabs(4), payload  # Markdown expands tabs; nothing else changes
        for element in tree.iter():
            if isinstance(element.tag, str):
                assert not any(name.startswith("on") for name in element.attrib), (payload, element.tag)
                assert element.tag != "script" or MARKER not in (element.text or "") or \
                    element.get("type") == "application/ld+json", payload
