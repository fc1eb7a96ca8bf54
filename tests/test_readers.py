"""Readers first (issue 12): a public-sector publication, not a documentation site.

The shipped site, built once, read as HTML and in a real browser at 320, 768 and 1280 px: wayfinding, layout,
the directory finder, identity, weight and requests, valid HTML (vnu), axe, and screenshots for people to look at.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml
from lxml import html as lxml_html

from browser_support import serve
from sitekit import ROOT, build, bulletin
from test_browser import axe_violations, page_types

SCREENSHOTS = ROOT / "tests" / "screenshots"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDTHS = (320, 768, 1280)
FIRST_VIEW_BUDGET = 60 * 1024  # bytes, gzipped: HTML, CSS, JS, fonts and images of a bulletin's first view


# --- helpers ----------------------------------------------------------------------------------------------

def manifest(site: Path) -> list[dict]:
    return json.loads((site / "manifest.json").read_text())["pages"]


def html_file(site: Path, url: str) -> Path:
    return site / url.strip("/") / "index.html" if url.strip("/") else site / "index.html"


def parse(site: Path, url: str):
    return lxml_html.fromstring(html_file(site, url).read_bytes())


def crumbs(tree, url: str) -> list[tuple[str, str]]:
    """(text, site path) of each breadcrumb; the theme may write links relative to the page."""
    return [(a.text_content().strip(), urljoin(url, a.get("href"))) for a in tree.cssselect("nav.pub-breadcrumbs a")]


def json_ld(tree) -> list[dict]:
    return [json.loads(script.text) for script in tree.xpath("//script[@type='application/ld+json']")]


def current_tab(tree) -> list[tuple[str, str]]:
    return [(a.text_content().strip(), a.get("aria-current")) for a in tree.cssselect("nav.md-tabs a[aria-current]")]


def reader_pages(site: Path) -> dict[str, str]:
    """test_browser's page types, with the 404 page opened as a file: the test server does not serve it for a
    missing address as a host does, and its own error page would stand in for ours."""
    return {**page_types(site), "404": "/404.html"}


@pytest.fixture(scope="module")
def base_url(shipped_site):
    with serve(shipped_site, with_headers=True) as url:
        yield url


@pytest.fixture()
def wide(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture()
def narrow(browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    yield context.new_page()
    context.close()


# --- wayfinding ---------------------------------------------------------------------------------------------

def test_breadcrumbs_on_every_page_but_home_with_matching_json_ld(shipped_site):
    for entry in manifest(shipped_site):
        url = entry["url"]
        tree = parse(shipped_site, url)
        trail = crumbs(tree, url)
        if url == "/":
            assert trail == [] and not [d for d in json_ld(tree) if d["@type"] == "BreadcrumbList"]
            continue
        assert trail and trail[0] == ("Home", "/"), url
        assert all(href != url for _, href in trail), f"{url} links to itself in its breadcrumbs"
        [data] = [d for d in json_ld(tree) if d["@type"] == "BreadcrumbList"]
        items = data["itemListElement"]
        assert [i["position"] for i in items] == list(range(1, len(trail) + 2))
        assert [(i["name"], i["item"]) for i in items[:-1]] == \
            [(name, urljoin("https://bulletins.example.nhs.uk/", href)) for name, href in trail], url
        assert items[-1]["item"] == urljoin("https://bulletins.example.nhs.uk/", url)


@pytest.mark.parametrize(("url", "expected"), [
    ("/bulletins/2022/02/02/key-messages/", [("Home", "/"), ("Bulletins and news", "/bulletins/"), ("2022", "/bulletins/2022/")]),
    ("/bulletins/2022/", [("Home", "/"), ("Bulletins and news", "/bulletins/")]),
    ("/topics/mental-health/", [("Home", "/"), ("Bulletins and news", "/bulletins/"), ("Topics", "/topics/")]),
    ("/toolkits/dental/", [("Home", "/"), ("Work experience toolkits", "/toolkits/")]),
    ("/directory/allied-health-summer-school/", [("Home", "/"), ("Best-practice directory", "/directory/")]),
    ("/about/", [("Home", "/")]),
])
def test_breadcrumb_trails(shipped_site, url, expected):
    assert crumbs(parse(shipped_site, url), url) == expected


@pytest.mark.parametrize(("url", "tab", "current"), [
    ("/", "Home", "page"),
    ("/bulletins/", "Bulletins", "page"),
    ("/bulletins/2022/02/02/key-messages/", "Bulletins", "true"),
    ("/bulletins/2022/", "Bulletins", "true"),
    ("/topics/", "Bulletins", "true"),
    ("/topics/mental-health/", "Bulletins", "true"),
    ("/toolkits/", "Toolkits", "page"),
    ("/toolkits/dental/", "Toolkits", "true"),
    ("/directory/", "Directory", "page"),
    ("/directory/allied-health-summer-school/", "Directory", "true"),
    ("/subscribe/", "Subscribe", "page"),
])
def test_the_sections_tab_is_marked_current(shipped_site, url, tab, current):
    assert current_tab(parse(shipped_site, url)) == [(tab, current)]


def test_current_year_and_topic_are_marked_in_their_lists(shipped_site):
    year = parse(shipped_site, "/bulletins/2022/")
    assert [a.text_content() for a in year.cssselect(".pub-years a[aria-current=page]")] == ["2022"]
    assert not parse(shipped_site, "/bulletins/").cssselect(".pub-years a[aria-current]")
    topic = parse(shipped_site, "/topics/mental-health/")
    assert [a.get("href") for a in topic.cssselect(".pub-years a[aria-current=page]")] == ["/topics/mental-health/"]


# --- listings and pages -------------------------------------------------------------------------------------

def test_topic_pages_say_topic_and_do_not_repeat_it_on_cards(shipped_site):
    tree = parse(shipped_site, "/topics/mental-health/")
    assert tree.cssselect("h1")[0].text_content() == "Topic: Mental health"
    cards = tree.cssselect("#pub-main .pub-card")
    assert cards
    for card in cards:
        assert "/topics/mental-health/" not in [a.get("href") for a in card.cssselect(".pub-tags a")]
    assert "Topic: Mental health - " in tree.findtext(".//title")


def test_cards_and_pages_say_bulletin_or_news(tmp_path):
    site = build(tmp_path, {
        "bulletins/2022-02-02-bulletin.md": bulletin("A bulletin", "2022-02-02", "[covid-19]"),
        "bulletins/2022-03-02-news.md": bulletin("Some news", "2022-03-02", "[covid-19]", extra="type: news\n"),
    })
    types = {card.cssselect(".pub-card__title a")[0].text_content(): card.cssselect(".pub-card__type")[0].text_content()
             for card in parse(site, "/bulletins/").cssselect(".pub-card")}
    assert types == {"A bulletin": "Bulletin", "Some news": "News"}
    assert parse(site, "/bulletins/2022/03/02/news/").cssselect(".pub-meta")[0].text_content().strip().startswith("News")


def test_new_news_is_marked_as_news(tmp_path):
    from sitekit import make_site, run_publisher

    make_site(tmp_path)
    for kind, title in (("news", "Our team news"), ("bulletin", "Our bulletin")):
        assert run_publisher("new", kind, title, cwd=tmp_path).returncode == 0
    news, plain = sorted((tmp_path / "bulletins").glob("*.md"), key=lambda p: "bulletin" in p.name)
    assert "\ntype: news\n" in news.read_text() and "\ntype: bulletin\n" in plain.read_text()


def test_home_offers_three_doors(shipped_site):
    doors = [a.get("href") for a in parse(shipped_site, "/").cssselect(".pub-doors a")]
    assert doors == ["/bulletins/", "/toolkits/", "/directory/"]


def test_bulletin_links_each_topic_feed_once_and_back_to_the_archive(shipped_site):
    tree = parse(shipped_site, "/bulletins/2022/02/02/key-messages/")
    follow = tree.cssselect(".pub-follow")[0]
    links = [(a.text_content(), a.get("href")) for a in follow.cssselect("ul a")]
    topics = [a.get("href") for a in tree.cssselect("#pub-main > .pub-tags a, .pub-tags a")][:len(links)]
    assert links and all(href.endswith("/feed.xml") and text.endswith(" RSS feed") for text, href in links)
    assert [href.removesuffix("feed.xml") for _, href in links] == topics
    assert not follow.xpath(".//a[contains(@href, 'atom.xml')]")
    assert tree.xpath("//a[@href='/bulletins/' and contains(., 'Back to all bulletins')]")


def test_entries_show_when_they_were_added_or_updated(tmp_path):
    from test_build import ENTRY

    dated = ENTRY.replace("---\n\n", "published: 2025-05-01\nchanges:\n  - {date: 2026-01-10, note: New results.}\n---\n\n", 1)
    assert dated != ENTRY
    site = build(tmp_path, {"content/directory/mentoring-care-leavers.md": dated})
    meta = parse(site, "/directory/mentoring-care-leavers/").cssselect(".pub-meta")[0].text_content()
    assert "Added 1 May 2025" in meta and "Last updated 10 January 2026" in meta


def test_toolkit_puts_its_introduction_first_and_lists_every_section(shipped_site):
    tree = parse(shipped_site, "/toolkits/dental/")
    article = tree.cssselect("article")[0]
    headings = [h.get("id") for h in article.cssselect("h2[id]")]
    assert headings.index("downloads") > 0, "the introduction's sections come before the downloads"
    contents = [a.get("href").lstrip("#") for a in tree.cssselect(".md-sidebar--secondary a")]
    sections = [h for h in headings if h not in ("pub-contents-title", "history")]
    assert [c for c in contents if c in sections] == sections


def test_subscribe_page_addresses_break_only_at_slashes_and_mail_is_a_link(shipped_site):
    tree = parse(shipped_site, "/subscribe/")
    addresses = tree.cssselect(".pub-feed-table__address")
    assert addresses and all(a.cssselect("wbr") for a in addresses)
    assert tree.xpath("//article//a[starts-with(@href, 'mailto:')]")


def test_404_title(shipped_site):
    tree = lxml_html.fromstring((shipped_site / "404.html").read_bytes())
    assert tree.findtext(".//title") == "Page not found – Health workforce bulletins and toolkits"


# --- identity -----------------------------------------------------------------------------------------------

def test_footer_has_the_open_government_licence_and_its_mark(shipped_site):
    tree = parse(shipped_site, "/")
    footer = tree.cssselect("footer")[0]
    assert footer.xpath(".//a[@rel='license' and contains(@href, 'open-government-licence/version/3')]")
    [mark] = footer.cssselect("img.pub-footer__ogl")
    svg = (shipped_site / mark.get("src").lstrip("/")).read_text()
    assert svg.startswith("<svg") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_organisation_name_and_logo_come_from_mkdocs_yml(tmp_path):
    from sitekit import MKDOCS_YML

    plain = build(tmp_path / "plain", {})
    header = parse(plain, "/").cssselect("header")[0]
    assert header.cssselect("img")[0].get("src").endswith("assets/images/logo.svg")
    assert parse(plain, "/").xpath("//link[@rel='icon']/@href")[0].endswith("assets/images/logo.svg")
    assert not header.cssselect(".pub-header__organisation")

    logo = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'
    branded = build(tmp_path / "branded", {
        "mkdocs.yml": MKDOCS_YML + "extra:\n  organisation:\n    name: Example Trust\n    logo: images/trust.svg\n",
        "content/images/trust.svg": logo,
        "content/about.md": "---\ntitle: About\n---\n\n![Example Trust logo](images/trust.svg)\n",
    })
    header = parse(branded, "/").cssselect("header")[0]
    assert header.cssselect(".pub-header__organisation")[0].text_content() == "Example Trust"
    assert urljoin("/", header.cssselect("img")[0].get("src")) == "/images/trust.svg"
    assert (branded / "images/trust.svg").is_file()
    assert "Example Trust" in parse(branded, "/").cssselect("footer")[0].text_content()


# --- weight and requests ------------------------------------------------------------------------------------

def test_no_material_javascript_and_no_inline_script(shipped_site):
    for entry in manifest(shipped_site):
        tree = parse(shipped_site, entry["url"])
        sources = [s.get("src") for s in tree.xpath("//script[@src]")]
        assert not [s for s in sources if "bundle" in s], entry["url"]
        inline = [s for s in tree.xpath("//script[not(@src)]") if s.get("type") != "application/ld+json"]
        assert inline == [], entry["url"]


def collect_problems(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: message.type in ("error", "warning") and problems.append(
        f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    page.on("response", lambda response: response.status >= 400 and problems.append(
        f"HTTP {response.status}: {response.url}"))
    return problems


def settle(page, name: str) -> None:
    if "search" in name:
        page.wait_for_selector("#search-results li", timeout=15000)
    page.wait_for_load_state("networkidle")


def test_no_console_error_or_failed_request_on_any_page_type(browser, base_url, shipped_site):
    found = {}
    for name, url in reader_pages(shipped_site).items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        problems = collect_problems(page)
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base_url + url)
        settle(page, name)
        context.close()
        if any("sitemap.xml" in r for r in requested):
            problems.append("requested a sitemap")
        if problems:
            found[name] = problems
    assert found == {}


def first_view_bytes(page, base_url: str, url: str) -> dict[str, int]:
    """Every response of a page's first view, gzipped as a host would serve it: url -> bytes."""
    sizes: dict[str, int] = {}

    def record(response) -> None:
        if response.request.method == "GET" and response.status == 200:
            sizes[response.url] = len(gzip.compress(response.body(), mtime=0))

    page.on("response", record)
    page.goto(base_url + url)
    page.wait_for_load_state("networkidle")
    return sizes


def test_a_bulletins_first_view_is_under_60_kb_gzipped(wide, base_url):
    sizes = first_view_bytes(wide, base_url, "/bulletins/2022/02/02/key-messages/")
    assert sum(sizes.values()) <= FIRST_VIEW_BUDGET, sizes
    assert not [url for url in sizes if "sitemap" in url or "bundle" in url]


# --- layout -------------------------------------------------------------------------------------------------

def box(page, selector: str) -> dict:
    return page.eval_on_selector(selector, "el => { const r = el.getBoundingClientRect();"
                                           " return {top: r.top + scrollY, left: r.left, width: r.width, height: r.height}; }")


def test_directory_first_result_is_in_the_first_viewport_at_1280(wide, base_url):
    wide.goto(base_url + "/directory/")
    first = box(wide, "#directory-entries li:first-child")
    filters = box(wide, "#directory-filters")
    assert first["top"] < 900 - 100, first
    assert filters["left"] < first["left"], "the filters sit to the left of the results"
    assert wide.locator("#directory-count").is_visible() and wide.locator("#directory-sort").is_visible()
    assert not wide.locator("#directory-filter-toggle").is_visible()


def test_directory_on_a_phone_shows_results_first_under_a_filter_button(narrow, base_url):
    narrow.goto(base_url + "/directory/?region=london&approach=mentoring")
    toggle = narrow.locator("#directory-filter-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert toggle.text_content() == "Filter (2 selected)"
    assert not narrow.locator("#directory-filters").is_visible()
    assert box(narrow, "#directory-entries")["top"] < 640 * 2
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert narrow.locator("#directory-filters").is_visible()
    assert narrow.locator(".pub-filters__chosen[data-group=region]").text_content() == "1 selected"


def test_filter_targets_are_at_least_24_pixels_and_clear_is_a_link(wide, base_url):
    wide.goto(base_url + "/directory/")
    sizes = wide.eval_on_selector_all("#directory-filters input[type=checkbox]",
                                      "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert sizes and all(w >= 24 and h >= 24 for w, h in sizes), sizes
    offsets = wide.eval_on_selector_all(".pub-filters__option", """els => els.map(o => {
        const box = o.querySelector('input').getBoundingClientRect(), label = o.querySelector('label').getBoundingClientRect();
        return Math.abs((box.top + box.height / 2) - (label.top + Math.min(label.height, box.height) / 2)); })""")
    assert max(offsets) <= 4, "checkboxes line up with their labels"
    clear = wide.locator("#directory-clear")
    assert clear.evaluate("el => el.tagName") == "A" and clear.text_content() == "Clear filters"
    wide.check("#filter-region-london")
    clear.click()
    assert "region" not in wide.evaluate("location.search")
    assert wide.locator("#directory-entries li:not([hidden])").count() == wide.locator("#directory-entries li").count()


def source_entries() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8").split("---")[1])
            for p in sorted((ROOT / "content/directory").glob("*.md"))}


def test_option_counts_reflect_the_other_groups_choices(wide, base_url):
    entries = source_entries()
    region = "london"
    wide.goto(base_url + "/directory/")
    wide.check(f"#filter-region-{region}")
    in_region = [e for e in entries.values() if e["region"] == region]
    for approach in {a for e in entries.values() for a in e["approaches"]}:
        expected = sum(approach in e["approaches"] for e in in_region)
        shown = wide.locator(f"[data-count-for='approach-{approach}']").text_content()
        assert shown == f"({expected})", approach
    # Within its own group an option adds to the results, so its count ignores that group's choices.
    for other in {e["region"] for e in entries.values()}:
        expected = sum(e["region"] == other for e in entries.values())
        assert wide.locator(f"[data-count-for='region-{other}']").text_content() == f"({expected})"


def test_sort_newest_and_a_to_z(wide, base_url):
    wide.goto(base_url + "/directory/")
    titles = wide.eval_on_selector_all("#directory-entries li a", "els => els.map(e => e.textContent)")
    assert titles == sorted(titles, key=str.lower)
    wide.select_option("#directory-sort", "newest")
    dates = wide.eval_on_selector_all("#directory-entries li", "els => els.map(e => e.dataset.date)")
    assert dates == sorted(dates, reverse=True)
    assert "sort=newest" in wide.evaluate("location.search")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run the directory script")
def test_facet_counts_and_sorting_under_node(shipped_site):
    script = shipped_site / "assets/javascripts/directory.js"
    entries = [{"title": "b", "date": "2020-01-01", "region": "london", "topic": "x y"},
               {"title": "A", "date": "2024-01-01", "region": "north", "topic": "y"},
               {"title": "c", "date": "2022-01-01", "region": "london", "topic": "z"}]
    program = (f"const d = require({json.dumps(str(script))}); const e = {json.dumps(entries)};"
               "console.log(JSON.stringify([d.facetCounts(e, {region: ['london']}),"
               " d.facetCounts(e, {topic: ['y']}), d.sortEntries(e, '').map(x => x.title),"
               " d.sortEntries(e, 'newest').map(x => x.title)]));")
    result = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True)
    london, topic_y, a_to_z, newest = json.loads(result.stdout)
    assert london["topic"] == {"x": 1, "y": 1, "z": 1} and london["region"] == {"london": 2, "north": 1}
    assert topic_y["region"] == {"london": 1, "north": 1} and topic_y["topic"] == {"x": 1, "y": 2, "z": 1}
    assert a_to_z == ["A", "b", "c"] and newest == ["A", "c", "b"]


def test_no_left_column_readable_lines_and_system_fonts(wide, base_url):
    wide.goto(base_url + "/bulletins/2022/02/02/key-messages/")
    assert not wide.locator(".md-sidebar--primary").count()
    logo = box(wide, ".pub-header__logo")
    heading = box(wide, "h1")
    assert abs(heading["left"] - logo["left"]) <= 2, "content lines up with the header"
    widths = wide.eval_on_selector_all("article p", """els => els.map(p => {
        const probe = document.createElement('span'); probe.textContent = '0'.repeat(70);
        p.appendChild(probe); const seventy = probe.getBoundingClientRect().width; probe.remove();
        return p.getBoundingClientRect().width / seventy; })""")
    assert max(widths) <= 1.05, widths
    font = wide.evaluate("getComputedStyle(document.querySelector('article p')).fontFamily")
    assert font.startswith("system-ui"), font


def test_contents_block_on_narrow_screens_only(browser, base_url):
    url = base_url + "/bulletins/2022/02/02/key-messages/"
    for width, block, sidebar in ((320, True, False), (1280, False, True)):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(url)
        assert page.locator(".pub-contents").is_visible() is block, width
        assert page.locator(".md-sidebar--secondary").is_visible() is sidebar, width
        context.close()


def test_search_shows_the_query_in_the_header_box_and_title(wide, base_url):
    wide.goto(base_url + "/search/?q=apprenticeships")
    wide.wait_for_selector("#search-results li", timeout=15000)
    assert wide.input_value("#pub-header-search-q") == "apprenticeships"
    assert wide.title().startswith("apprenticeships - Search - ")
    assert re.match(r"\d+ results? for", wide.locator("#search-status").text_content())
    assert box(wide, "#search-results li")["left"] == box(wide, "#search-query")["left"]


def test_search_excerpts_keep_labels_apart_from_values(shipped_site):
    from test_search import fragments

    for url, fragment in fragments(shipped_site).items():
        if url.startswith("/directory/"):
            assert not re.search(r"Organisation[A-Z]|Region[A-Z]|Started\d", fragment["content"]), url


# --- proof --------------------------------------------------------------------------------------------------

def java() -> str | None:
    return shutil.which("java")


def test_every_built_page_is_valid_html(shipped_site):
    if java() is None or not VNU_JAR.is_file():
        message = "vnu needs Java (apt-get install default-jre-headless) and npm's vnu-jar (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Every page the theme renders: the manifest's pages and the 404 page.
    pages = [str(html_file(shipped_site, entry["url"])) for entry in manifest(shipped_site)]
    pages.append(str(shipped_site / "404.html"))
    assert len(pages) > 50
    result = subprocess.run([java(), "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    problems = [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert problems == []


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_nothing_at(browser, base_url, shipped_site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = {}
    for name, url in reader_pages(shipped_site).items():
        page.goto(base_url + url)
        settle(page, name)
        violations = axe_violations(page)
        if violations:
            problems[name] = violations
    context.close()
    assert problems == {}


def test_screenshots_of_every_page_type(browser, base_url, shipped_site):
    """Saved for people to look at: tests/screenshots/<page type>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, url in reader_pages(shipped_site).items():
            if name.startswith("page /") and name not in ("page /subscribe/", "page /about/"):
                continue
            page.goto(base_url + url)
            settle(page, name)
            target = SCREENSHOTS / f"{re.sub(r'[^a-z0-9]+', '-', name).strip('-')}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 5_000
        context.close()
