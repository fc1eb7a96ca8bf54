"""What hosts, search engines and link previews get: robots.txt, a sitemap dated from content, `_headers`,
canonical and share tags, NewsArticle data, SITE_URL for previews, and a Content-Security-Policy pages obey."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import html5lib
import pytest
from lxml import etree

from browser_support import header_rules, matching_headers, serve
from sitekit import build, make_site, run_publisher
from test_build import fixture_files, page

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("site"), fixture_files())


def manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))


def test_robots_txt_points_to_the_sitemap(built):
    assert (built / "robots.txt").read_text() == "User-agent: *\nAllow: /\n\nSitemap: https://example.org/sitemap.xml\n"


def test_sitemap_lists_every_page_dated_by_its_content(built):
    urls = etree.parse(str(built / "sitemap.xml")).getroot()
    lastmod = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urls}
    assert set(lastmod) == {"https://example.org" + p["url"] for p in manifest(built)["pages"]}
    assert lastmod["https://example.org/bulletins/2022/02/02/key-messages/"] == "2022-02-10"  # its last change
    assert lastmod["https://example.org/bulletins/2021/06/01/rural/"] == "2021-06-01"
    assert lastmod["https://example.org/toolkits/dental/"] == "2026-06-01"  # last reviewed
    assert lastmod["https://example.org/about/"] is None
    assert "2026-11-01" not in (built / "sitemap.xml").read_text()  # the build's date is not the content's
    assert not any("404" in url for url in lastmod)


def test_every_page_but_the_404_has_a_canonical_url(built):
    for entry in manifest(built)["pages"]:
        tree = page(built, entry["url"])
        assert tree.xpath("//link[@rel='canonical']/@href") == ["https://example.org" + entry["url"]], entry["url"]
    missing = lxml_tree(built / "404.html")
    assert missing.xpath("//link[@rel='canonical']") == []


def lxml_tree(path: Path):
    return html5lib.parse(path.read_bytes(), treebuilder="lxml", namespaceHTMLElements=False)


def meta_tags(tree) -> dict[str, str]:
    return {tag.get("property") or tag.get("name"): tag.get("content") for tag in tree.xpath("//meta")}


def test_share_tags_on_bulletins_and_other_content(built):
    bulletin = meta_tags(page(built, "/bulletins/2022/02/02/key-messages/"))
    assert bulletin["og:type"] == "article"
    assert bulletin["og:title"] == bulletin["twitter:title"] == "Key messages"
    assert bulletin["og:description"] == "Summary of Key messages."
    assert bulletin["og:url"] == "https://example.org/bulletins/2022/02/02/key-messages/"
    assert bulletin["og:site_name"] == "Test site"
    assert bulletin["article:published_time"] == "2022-02-02T00:00:00+00:00"
    assert bulletin["article:modified_time"] == "2022-02-10T00:00:00+00:00"
    assert bulletin["twitter:card"] == "summary_large_image"
    image = bulletin["og:image"]
    assert image == "https://example.org/assets/images/share.png"
    assert (built / "assets/images/share.png").read_bytes().startswith(b"\x89PNG")
    for url in ("/toolkits/dental/", "/directory/mentoring-care-leavers/", "/about/"):
        tags = meta_tags(page(built, url))
        assert tags["og:type"] == "website" and tags["og:url"] == "https://example.org" + url, url
        assert "article:published_time" not in tags


def test_bulletins_carry_news_article_data_from_their_source(built):
    tree = page(built, "/bulletins/2022/02/02/key-messages/")
    scripts = [json.loads(text) for text in tree.xpath("//script[@type='application/ld+json']/text()")]
    assert [d["@type"] for d in scripts] == ["NewsArticle", "BreadcrumbList"]  # one object per script
    data = scripts[0]
    assert data["headline"] == "Key messages"
    assert data["description"] == "Summary of Key messages."
    assert data["datePublished"] == "2022-02-02T00:00:00+00:00"
    assert data["dateModified"] == "2022-02-10T00:00:00+00:00"
    assert data["publisher"] == {"@type": "Organization", "name": "Test site", "url": "https://example.org/"}
    assert data["url"] == data["mainEntityOfPage"] == "https://example.org/bulletins/2022/02/02/key-messages/"


def inline_script_hashes(site: Path) -> set[str]:
    found = set()
    for path in site.rglob("*.html"):
        for script in lxml_tree(path).xpath("//script[not(@src) and not(@type)]"):
            digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest()).decode()
            found.add(f"'sha256-{digest}'")
    return found


def test_headers_give_every_file_one_cache_rule_and_a_strict_policy(built):
    rules = header_rules(built)
    for path in built.rglob("*"):
        if path.is_dir() or path.name == "_headers":
            continue
        url = "/" + path.relative_to(built).as_posix()
        headers = matching_headers(rules, url.removesuffix("index.html"))
        caches = [value for name, value in headers if name == "Cache-Control"]
        assert len(caches) == 1, (url, caches)
        named_by_content = re.search(r"\.[0-9a-f]{8}\.min\.(js|css)$|/pagefind/(fragment|index|filter)/|\.pf_meta$", url)
        assert ("immutable" in caches[0]) == bool(named_by_content), url
        names = {name for name, _ in headers}
        assert {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} <= names, url
    # The site policy is given per top-level path (the editor at /admin/ has its own); "/" carries it too.
    [policy] = [headers["Content-Security-Policy"] for pattern, headers in rules
                if pattern == "/" and "Content-Security-Policy" in headers]
    assert "default-src 'self'" in policy and "'wasm-unsafe-eval'" in policy and "unsafe-inline" not in policy
    assert inline_script_hashes(built) <= set(policy.replace(";", " ").split())
    html_cache = dict(matching_headers(rules, "/bulletins/2022/02/02/key-messages/"))["Cache-Control"]
    assert html_cache == "public, max-age=300"


def test_manifest_records_when_the_site_was_built(built):
    assert manifest(built)["built"] == "2026-11-01T00:00:00+00:00"


def test_site_url_in_the_environment_wins_for_preview_deploys(tmp_path):
    make_site(tmp_path, fixture_files())
    result = run_publisher("build", "--site-dir", str(tmp_path / "out"), cwd=tmp_path,
                           env={"SITE_URL": "https://preview.example.net/pr-7"})
    assert result.returncode == 0, result.stderr
    tree = page(tmp_path / "out", "/pr-7/bulletins/2022/02/02/key-messages/".removeprefix("/pr-7"))
    assert tree.xpath("//link[@rel='canonical']/@href") == [
        "https://preview.example.net/pr-7/bulletins/2022/02/02/key-messages/"]
    assert "https://preview.example.net/pr-7/sitemap.xml" in (tmp_path / "out/robots.txt").read_text()
    assert b"https://preview.example.net/pr-7/bulletins/2022/02/02/key-messages/" in (tmp_path / "out/feed.xml").read_bytes()


def test_a_bad_site_url_is_a_clear_error(tmp_path):
    make_site(tmp_path, fixture_files())
    result = run_publisher("build", "--site-dir", str(tmp_path / "out"), cwd=tmp_path, env={"SITE_URL": "preview"})
    assert result.returncode == 1
    assert 'SITE_URL is "preview", which is not a web address' in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_ci_warns_before_publishing_the_placeholder_address(tmp_path):
    make_site(tmp_path, fixture_files())
    config = tmp_path / "mkdocs.yml"
    config.write_text(config.read_text().replace("https://example.org/", "https://bulletins.example.nhs.uk/"))
    in_ci = run_publisher("build", "--site-dir", str(tmp_path / "out"), cwd=tmp_path, env={"CI": "true"})
    assert in_ci.returncode == 0 and "site_url is still the placeholder" in in_ci.stderr
    local = run_publisher("build", "--site-dir", str(tmp_path / "out"), cwd=tmp_path, env={"CI": ""})
    assert "placeholder" not in local.stderr


def test_a_scheduled_bulletin_appears_in_the_first_build_after_its_time(tmp_path):
    make_site(tmp_path, fixture_files())
    before = run_publisher("build", "--site-dir", str(tmp_path / "before"), cwd=tmp_path)
    after = run_publisher("build", "--site-dir", str(tmp_path / "after"), cwd=tmp_path,
                          env={"SOURCE_DATE_EPOCH": "1798761600"})  # 2027-01-01T00:00:00Z, its date
    assert before.returncode == after.returncode == 0
    assert not (tmp_path / "before/bulletins/2027/01/01/future/index.html").exists()
    assert (tmp_path / "after/bulletins/2027/01/01/future/index.html").exists()


CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));")


def test_no_page_breaks_the_content_security_policy(browser, shipped_site):
    from test_browser import page_types

    with serve(shipped_site, with_headers=True) as base:
        context = browser.new_context()
        context.add_init_script(CSP_PROBE)
        tab = context.new_page()
        console: list[str] = []
        tab.on("console", lambda message: console.append(message.text) if "Content Security Policy" in message.text
               else None)
        for name, url in page_types(shipped_site).items():
            if name == "404":  # the policy is per top-level path (see hosting.security_rules), so ask within one
                url = "/bulletins/no-such-page/"
            response = tab.goto(base + url, wait_until="load")
            assert "content-security-policy" in response.headers, name
            if "?q=" in url:
                tab.locator(".pub-result").first.wait_for(state="attached", timeout=10_000)  # no eval: CSP forbids it
            if url == "/directory/":
                tab.locator("#directory-filters input[type=checkbox]").first.check()
                tab.wait_for_timeout(100)
            assert tab.evaluate("window.__csp") == [], name
        context.close()
    assert console == []


def test_a_file_may_not_take_an_address_the_build_writes(tmp_path):
    files = fixture_files()
    files["content/robots.txt"] = "User-agent: *\nDisallow: /\n"
    files["content/about.md"] = "---\ntitle: About us\n---\n\nOur [robots file](robots.txt).\n"
    root = make_site(tmp_path, files)
    result = run_publisher("check", cwd=root)
    assert result.returncode == 1
    assert ("content/robots.txt:1: error: file: this would publish at /robots.txt, which the site itself writes"
            in result.stdout), result.stdout


def test_the_404_page_carries_the_site_policy_itself(built, browser):
    """Hosts serve it at any address, also where no `_headers` rule reaches, so the policy is in the page."""
    [site_policy] = [headers["Content-Security-Policy"] for pattern, headers in header_rules(built)
                     if pattern == "/" and "Content-Security-Policy" in headers]
    [in_page] = lxml_tree(built / "404.html").xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert in_page + "; frame-ancestors 'none'" == site_policy
    with serve(built) as base:  # no headers: only the page's own policy applies
        context = browser.new_context()
        tab = context.new_page()
        warnings: list[str] = []
        tab.on("console", lambda message: warnings.append(message.text))
        tab.goto(base + "/404.html", wait_until="load")
        tab.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                     " document.head.appendChild(s); }")
        assert tab.evaluate("typeof window.__ran") == "undefined"  # inline script is refused
        context.close()
    assert any("Content Security Policy" in text for text in warnings)  # the refusal, reported by the browser
