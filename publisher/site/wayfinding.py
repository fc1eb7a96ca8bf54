"""Where a page sits in the site: its breadcrumb trail, the section its tab marks as current, and the
schema.org `BreadcrumbList` that tells search engines the same.

Fed by the rendered pages only: a page's parents are the pages whose address its own address starts with,
so a new kind of page gets breadcrumbs without a rule of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

# Pages that belong to a section their address does not start with: topics are a way into the bulletins.
ADOPTED = {"topics/": "bulletins/"}
YEAR_LISTING = re.compile(r"^bulletins/(\d{4})/$")
HOME_TITLE = "Home"


@dataclass(frozen=True)
class Crumb:
    title: str
    url: str  # the site path, as `Renderer.url` takes it: "" for home, "bulletins/" for the archive


def crumb_title(url: str, title: str) -> str:
    """Breadcrumbs stay short: a year's archive is just its year."""
    year = YEAR_LISTING.match(url)
    return year.group(1) if year else title


def parent_urls(url: str) -> list[str]:
    """Every address above this one, nearest last: "a/b/c/" -> ["a/", "a/b/"], then any adoptive parent first."""
    parts = url.strip("/").split("/") if url else []
    parents = ["/".join(parts[:n]) + "/" for n in range(1, len(parts))]
    top = parents[0] if parents else url
    adoptive = ADOPTED.get(top)
    return ([adoptive] if adoptive else []) + parents


def trail(url: str, titles: dict[str, str]) -> list[Crumb]:
    """The visible breadcrumbs of a page: Home, then each existing page above it; never the page itself."""
    if url == "":
        return []
    crumbs = [Crumb(HOME_TITLE, "")]
    crumbs += [Crumb(crumb_title(parent, titles[parent]), parent) for parent in parent_urls(url) if parent in titles]
    return crumbs


def section(url: str) -> str:
    """The top-level address whose tab is current on this page: "" for home, "bulletins/" for a topic page."""
    if url == "":
        return ""
    top = url.split("/", 1)[0] + "/"
    return ADOPTED.get(top, top)


def breadcrumb_list(crumbs: list[Crumb], here: Crumb, absolute: Callable[[str], str]) -> dict:
    """schema.org BreadcrumbList: the visible trail plus the page itself, with absolute addresses."""
    items = [{"@type": "ListItem", "position": position, "name": crumb.title, "item": absolute(crumb.url)}
             for position, crumb in enumerate([*crumbs, here], start=1)]
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}


def place(pages: list, absolute: Callable[[str], str]) -> None:
    """Give each rendered page (an `OutputPage`) its breadcrumbs, section and BreadcrumbList."""
    titles = {page.url: page.title for page in pages}
    for page in pages:
        page.breadcrumbs = trail(page.url, titles)
        page.section = section(page.url)
        if page.breadcrumbs:
            page.structured_data.append(breadcrumb_list(page.breadcrumbs, Crumb(page.title, page.url), absolute))
