"""The built sample site in a real browser: accessibility, keyboard, search, filters, reflow, feeds, downloads."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import feedparser
import pytest
import yaml

from browser_support import serve
from sitekit import ROOT

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = ROOT / "tests" / "screenshots"


@pytest.fixture(scope="module")
def base_url(shipped_site):
    with serve(shipped_site) as url:
        yield url


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def manifest(site: Path) -> list[dict]:
    return json.loads((site / "manifest.json").read_text())["pages"]


def first_of(site: Path, kind: str) -> str:
    return next(p["url"] for p in manifest(site) if p["kind"] == kind)


def page_types(site: Path) -> dict[str, str]:
    pages = manifest(site)
    urls = {
        "home": "/", "archive": "/bulletins/", "year page": "/bulletins/2022/", "topic": "/topics/mental-health/",
        "topics index": "/topics/", "bulletin": "/bulletins/2022/02/02/key-messages/", "toolkit index": "/toolkits/",
        "toolkit": "/toolkits/dental/", "directory": "/directory/", "directory filtered": "/directory/?region=london",
        "entry": first_of(site, "entry"), "search results": "/search/?q=apprenticeships", "404": "/no-such-page/",
    }
    urls.update({f"page {p['url']}": p["url"] for p in pages if p["kind"] == "page"})
    return urls


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


def test_axe_finds_no_wcag_violations_on_any_page_type(page, base_url, shipped_site):
    problems = {}
    for name, url in page_types(shipped_site).items():
        page.goto(base_url + url)
        if "search" in name:
            page.wait_for_selector("#search-results li", timeout=15000)
        violations = axe_violations(page)
        if violations:
            problems[f"{name} {url}"] = violations
    assert problems == {}


def test_no_page_scrolls_sideways_at_320_pixels(browser, base_url, shipped_site):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    narrow = context.new_page()
    wide = {}
    for name, url in page_types(shipped_site).items():
        narrow.goto(base_url + url)
        width = narrow.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide[name] = width
    context.close()
    assert wide == {}


def focused(page) -> dict:
    return page.evaluate("""() => { const el = document.activeElement; const style = getComputedStyle(el);
        return {tag: el.tagName, text: (el.textContent || el.value || '').trim().slice(0, 60), id: el.id,
                name: el.name || '', href: el.getAttribute('href'), outline: style.outlineStyle + ' ' + style.outlineWidth,
                shadow: style.boxShadow, background: style.backgroundColor}; }""")


def has_visible_focus(state: dict) -> bool:
    return (not state["outline"].startswith("none") and state["outline"].split()[-1] not in ("0px",)) \
        or state["shadow"] not in ("none", "") or state["background"] not in ("rgba(0, 0, 0, 0)", "transparent")


def test_skip_link_and_visible_focus_through_the_header(page, base_url):
    page.goto(base_url + "/bulletins/2022/02/02/key-messages/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#pub-main" or skip["text"].lower().startswith("skip"), skip
    assert has_visible_focus(skip), skip
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        state = focused(page)
        assert has_visible_focus(state), state
        seen.append(state)
    assert any(s["name"] == "q" for s in seen), seen


def test_keyboard_alone_filters_the_directory_and_opens_an_entry(page, base_url):
    page.goto(base_url + "/directory/")
    total = page.locator("#directory-entries li").count()
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page)["name"] == "region":
            break
    else:
        pytest.fail("no region filter reached with the Tab key")
    assert has_visible_focus(focused(page))
    region = page.evaluate("document.activeElement.value")
    page.keyboard.press("Space")
    assert f"region={region}" in page.evaluate("location.href")
    visible = page.locator("#directory-entries li:not([hidden])")
    assert 0 < visible.count() < total
    first_link = visible.first.locator("a")
    href = first_link.get_attribute("href")
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == href:
            break
    else:
        pytest.fail("the first matching entry was not reached with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")


def unique_phrase(path: Path) -> str:
    """A run of five words from the body of a source that appears in no other source."""
    text = path.read_text(encoding="utf-8").split("---", 2)[2]
    words = re.findall(r"[A-Za-z]{4,}", re.sub(r"\[[^\]]*\]\([^)]*\)|#.*", " ", text))
    others = " ".join(p.read_text(encoding="utf-8") for p in ROOT.glob("**/*.md")
                      if p != path and not {".venv", "site", "node_modules"} & set(p.parts)).lower()
    for start in range(len(words) - 3):
        phrase = " ".join(words[start:start + 3]).lower()
        if phrase not in others:
            return phrase
    pytest.fail(f"no unique phrase in {path}")


@pytest.mark.parametrize(("source", "url"), [
    ("bulletins/2021-11-17-rural-and-coastal-programme.md", "/bulletins/2021/11/17/rural-and-coastal-programme/"),
    ("content/directory/digital-ambassadors-health-literacy.md", "/directory/digital-ambassadors-health-literacy/"),
])
def test_search_finds_a_phrase_and_opens_its_page(page, base_url, source, url):
    phrase = unique_phrase(ROOT / source)
    page.goto(base_url + "/")
    page.fill("header input[name=q]", phrase)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    page.wait_for_selector("#search-results li", timeout=15000)
    status = page.locator("#search-status")
    assert status.get_attribute("aria-live") == "polite"
    assert re.match(r"\d+ results? for", status.text_content())
    first = page.locator("#search-results li a").first
    assert first.get_attribute("href") == url
    first.click()
    page.wait_for_url(f"**{url}")


def source_entries() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8").split("---")[1])
            for p in sorted((ROOT / "content/directory").glob("*.md"))}


def test_two_filters_show_exactly_the_matching_entries(page, base_url):
    entries = source_entries()
    region = max({e["region"] for e in entries.values()}, key=lambda r: sum(e["region"] == r for e in entries.values()))
    approaches = sorted({a for e in entries.values() if e["region"] == region for a in e["approaches"]})
    approach = approaches[0]
    expected = sorted(slug for slug, e in entries.items() if e["region"] == region and approach in e["approaches"])
    page.goto(base_url + "/directory/")
    page.check(f"#filter-region-{region}")
    page.check(f"#filter-approach-{approach}")
    shown = sorted(page.eval_on_selector_all("#directory-entries li:not([hidden])", "els => els.map(e => e.dataset.slug)"))
    assert shown == expected
    count = page.locator("#directory-count")
    assert count.get_attribute("aria-live") == "polite"
    assert count.text_content().startswith(str(len(expected)))
    address = page.evaluate("location.href")
    assert f"region={region}" in address and f"approach={approach}" in address
    page.reload()
    assert page.is_checked(f"#filter-region-{region}") and page.is_checked(f"#filter-approach-{approach}")
    reloaded = sorted(page.eval_on_selector_all("#directory-entries li:not([hidden])", "els => els.map(e => e.dataset.slug)"))
    assert reloaded == expected


def test_directory_without_javascript_lists_everything(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(base_url + "/directory/?region=london")
    visible = plain.locator("#directory-entries li:visible").count()
    context.close()
    assert visible == len(source_entries())


def test_feed_autodiscovery_resolves_to_a_feed(page, base_url):
    page.goto(base_url + "/topics/mental-health/")
    links = page.eval_on_selector_all("link[rel=alternate][type='application/rss+xml']",
                                      "els => els.map(e => e.href)")
    assert any(link.endswith("/feed.xml") for link in links)
    assert any("/topics/mental-health/" in link for link in links)
    for link in links:
        local = re.sub(r"^https?://[^/]+", base_url, link)
        with urllib.request.urlopen(local) as response:
            parsed = feedparser.parse(response.read())
        assert not parsed.bozo and parsed.entries, link


def test_every_download_returns_its_file(page, base_url, shipped_site):
    expected_types = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                      ".pdf": "application/pdf"}
    checked = 0
    for toolkit in ("general-practice", "dental", "secondary-care", "schools-and-careers", "online"):
        page.goto(f"{base_url}/toolkits/{toolkit}/")
        for href in page.eval_on_selector_all(".pub-downloads a", "els => els.map(e => e.getAttribute('href'))"):
            response = page.request.get(base_url + href)
            assert response.status == 200, href
            suffix = Path(href).suffix
            assert response.headers["content-type"] == expected_types[suffix], href
            assert response.body() == (shipped_site / href.lstrip("/")).read_bytes()
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize(("name", "url"), [("home", "/"), ("bulletin", "/bulletins/2022/02/02/key-messages/"),
                                           ("toolkit", "/toolkits/dental/"),
                                           ("directory-filtered", "/directory/?region=london")])
def test_screenshots_for_people_to_look_at(browser, base_url, name, url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("mobile", {"width": 375, "height": 800})):
        context = browser.new_context(viewport=viewport)
        shot = context.new_page()
        shot.goto(base_url + url)
        target = SCREENSHOTS / f"{name}-{label}.png"
        shot.screenshot(path=str(target), full_page=True)
        context.close()
        assert target.stat().st_size > 10_000
