"""The shipped sample content: complete, clean under --strict, and built into every page type."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html

from sitekit import ROOT, run_publisher


def test_shipped_content_passes_strict_check():
    result = run_publisher("check", "--strict", cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert [line for line in result.stdout.splitlines() if ": info: " not in line] == []


def test_the_shipped_scheduled_bulletin_is_due_and_then_published(tmp_path):
    name = "bulletins/2027-01-12-work-experience-places-for-summer-2027.md"
    url = "bulletins/2027/01/12/work-experience-places-for-summer-2027/"
    listed = run_publisher("due", cwd=ROOT)
    assert listed.stdout.startswith(f"{name}  /{url}  Tue 12 Jan 2027 09:30 (Europe/London)  2027-01-12 09:30 UTC")
    after = run_publisher("build", "--site-dir", str(tmp_path / "site"), cwd=ROOT,
                          env={"SOURCE_DATE_EPOCH": "1799746200"})  # 2027-01-12 09:30 UTC
    assert after.returncode == 0, after.stderr
    assert (tmp_path / "site" / url / "index.html").is_file()
    assert f"/{url}" in (tmp_path / "site" / "feed.xml").read_text()


def test_shipped_content_has_what_the_site_needs():
    bulletins = list((ROOT / "bulletins").rglob("*.md"))
    assert len(bulletins) >= 12
    assert len({p.name[:4] for p in bulletins}) >= 6
    for name in ("2022-02-02-key-messages.md", "2014-09-02-widening-participation-strategy.md",
                 "2021-11-17-rural-and-coastal-programme.md"):
        assert (ROOT / "bulletins" / name).is_file(), name
    assert sorted(p.name for p in (ROOT / "toolkits").iterdir() if (p / "index.md").is_file()) == [
        "dental", "general-practice", "online", "schools-and-careers", "secondary-care"]
    assert len(list((ROOT / "content/directory").glob("*.md"))) >= 10
    for page in ("index", "about", "strategic-goals", "edi-commitments", "accessibility", "subscribe"):
        assert (ROOT / "content" / f"{page}.md").is_file(), page


def test_shipped_site_has_every_page_type(shipped_site: Path):
    for url in ("", "bulletins/", "bulletins/2022/", "bulletins/2022/02/02/key-messages/", "topics/",
                "topics/rural-and-coastal/", "toolkits/", "toolkits/dental/", "directory/", "about/",
                "subscribe/", "accessibility/", "search/"):
        assert (shipped_site / url / "index.html").is_file(), url
    home = lxml_html.fromstring((shipped_site / "index.html").read_bytes())
    latest = home.cssselect("article .pub-card__title a")
    assert len(latest) == 6
    assert {a.get("href") for a in home.cssselect("article a")} >= {"/toolkits/", "/directory/", "/subscribe/"}
    nav = [a.text_content().strip() for a in home.cssselect(".md-tabs__link")]
    assert nav == ["Home", "Bulletins", "Toolkits", "Directory", "About", "Subscribe"]
