"""Moved and removed addresses: which old URL leads where, checked before anything is built.

Old addresses come from two places: `redirect_from:` in a source's front matter (old addresses of that page) and
`content/redirects.yml` (`/old/path/: /new/path/`, for anything else, such as a removed page and its replacement).
`outputs/redirects.py` writes the redirect pages and `_redirects`; `check --against` (guard.py) uses the same plan.

Addresses here are site URLs as the site model writes them: no leading slash, "" for the home page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from publisher.content.load import load_yaml_file
from publisher.content.models import Bulletin, Redirects
from publisher.findings import Findings
from publisher.site.model import Item, Site

REDIRECTS_FILE = "content/redirects.yml"
# Pages the renderer always writes, whatever the content (see Renderer.pages).
FIXED_PAGES = ("", "bulletins/", "topics/", "toolkits/", "directory/", "search/")


@dataclass(frozen=True)
class Redirect:
    old: str  # site URL, e.g. "bulletins/2022/06/15/rural/"
    new: str
    rel: str  # the file and line that asked for it, for messages
    line: int
    item: Item | None = None  # the page whose redirect_from lists it; None for content/redirects.yml

    @property
    def where(self) -> str:
        return f"{self.rel}:{self.line}"


def site_url(path: str) -> str:
    """/bulletins/2022/ (as written in sources and the manifest) -> bulletins/2022/ (as the site model writes it)."""
    return path.removeprefix("/")


def shown(url: str) -> str:
    return "/" + url


def page_urls(base: str, total: int) -> list[str]:
    from publisher.site.render import page_urls as listing_urls  # render imports the converter; only needed here

    return listing_urls(base, total)


def planned_urls(site: Site) -> dict[str, str]:
    """Every address a build of this site writes a page at, each with what it is (for messages).

    The same pages as Renderer.pages, without rendering them; tests/test_links.py holds the two together.
    """
    planned = {url: "a page the site builds itself" for url in FIXED_PAGES}
    bulletins = site.bulletins
    for url in page_urls("bulletins/", len(bulletins)):
        planned[url] = "the bulletin archive"
    years: dict[int, int] = defaultdict(int)
    topics: dict[str, int] = {}
    for item in bulletins:
        years[item.meta.date.year] += 1
        for slug in item.meta.topics:
            topics[slug] = topics.get(slug, 0) + (0 if item.withdrawn else 1)
    for year, count in years.items():
        planned.update({url: f"the archive for {year}" for url in page_urls(f"bulletins/{year}/", count)})
    for slug, count in topics.items():
        planned.update({url: f"the topic page for {slug}" for url in page_urls(f"topics/{slug}/", count)})
    for item in site.items:
        if item.published:
            planned[item.url] = item.rel
    return planned


def load_redirect_file(root: Path, findings: Findings) -> list[Redirect]:
    """content/redirects.yml as redirects, each with its line; [] when the file is absent."""
    path = root / REDIRECTS_FILE
    if not path.is_file():
        return []
    from publisher.content.validate import validate_model  # validate.py calls this module: import late

    doc = load_yaml_file(path, REDIRECTS_FILE, findings)
    if doc is None or validate_model(doc, Redirects, findings) is not None:  # type: ignore[arg-type]
        return _redirects_in(doc) if doc is not None else []
    # The bad lines are reported; the good ones are still checked against each other and the site.
    return [redirect for redirect in _redirects_in(doc) if _well_formed(redirect)]


def _redirects_in(doc) -> list[Redirect]:
    return [Redirect(site_url(str(old)), site_url(str(new)), REDIRECTS_FILE, doc.line_of((old,)))
            for old, new in doc.data.items()]


def _well_formed(redirect: Redirect) -> bool:
    try:
        Redirects.model_validate({shown(redirect.old): shown(redirect.new)})
    except ValidationError:
        return False
    return True


def source_redirects(site: Site) -> list[Redirect]:
    return [Redirect(site_url(old), item.url, item.rel, item.doc.line_of(("redirect_from", index)), item)
            for item in site.items for index, old in enumerate(item.redirect_from)]


def check_redirects(site: Site, findings: Findings) -> list[Redirect]:
    """Every redirect the site asks for, each problem reported at its file and line; returns the usable ones."""
    asked = source_redirects(site) + load_redirect_file(site.root, findings)
    planned = planned_urls(site)
    by_old: dict[str, list[Redirect]] = defaultdict(list)
    for redirect in asked:
        by_old[redirect.old].append(redirect)
    usable = []
    for redirect in asked:
        problem = (_twice(redirect, by_old) or _from_live_page(redirect, planned)
                   or _target_problem(redirect, planned, by_old))
        if problem:
            findings.error(redirect.rel, redirect.line, _field(redirect), problem)
        else:
            usable.append(redirect)
    return usable


def _field(redirect: Redirect) -> str:
    return "redirect_from" if redirect.item is not None else shown(redirect.old)


def _twice(redirect: Redirect, by_old: dict[str, list[Redirect]]) -> str | None:
    others = [other.where for other in by_old[redirect.old] if other is not redirect]
    if not others:
        return None
    return f"{shown(redirect.old)} is redirected more than once (also at {', '.join(others)}); keep only one"


def _from_live_page(redirect: Redirect, planned: dict[str, str]) -> str | None:
    if redirect.old not in planned:
        return None
    if redirect.item is not None and redirect.old == redirect.item.url:
        return f"{shown(redirect.old)} is this page's own address; remove it from redirect_from"
    return (f"{shown(redirect.old)} is a live page ({planned[redirect.old]}), and a redirect would hide it; "
            "remove this line, or move or withdraw that page first")


def _target_problem(redirect: Redirect, planned: dict[str, str], by_old: dict[str, list[Redirect]]) -> str | None:
    if redirect.item is not None:
        if redirect.item.published:
            return None
        what = "bulletin is a draft" if redirect.item.state == "draft" else "bulletin is not published yet"
        return (f"this {what}, so {shown(redirect.old)} would lead nowhere; remove redirect_from, or publish the "
                "bulletin")
    path, current = [redirect.old], redirect.new
    while current in by_old and current not in planned and current not in path:  # a live page ends the chain
        path.append(current)
        current = by_old[current][0].new
    if current in path:
        loop = " → ".join(shown(url) for url in path + [current])
        return f"these redirects go round in a loop ({loop}); point each old address at a page that exists"
    if current not in planned:
        return (f"{shown(current)} is not a page on this site; point it at an existing address (as /manifest.json "
                "lists it)")
    if len(path) > 1:
        return (f"{shown(redirect.new)} is itself redirected, so readers would be sent on twice; write the final "
                f"address instead: {shown(redirect.old)}: {shown(current)}")
    return None


def feed_id_url(item: Item) -> str:
    """The address a bulletin's feed entry was first published under: the oldest one in redirect_from, if any.

    Feed readers know an entry by its id, so a moved bulletin keeps the first one and is not announced again.
    """
    if isinstance(item.meta, Bulletin) and item.redirect_from:
        return site_url(item.redirect_from[0])
    return item.url
