"""The guard against lost addresses: `publisher check --against MANIFEST`.

Every address in an earlier build's `/manifest.json` (its pages and its redirects) must still lead somewhere: to a
page (a withdrawn page keeps its page) or to a redirect. Each one that does not is an error, placed where the fix
goes: on the source that looks like the page's new home, or else on `content/redirects.yml`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

from publisher.findings import Findings
from publisher.site.model import Item, Site
from publisher.site.redirects import REDIRECTS_FILE, planned_urls, shown

MAX_MANIFEST_BYTES = 50_000_000  # a manifest lists about 200 bytes per page


@dataclass(frozen=True)
class OldAddress:
    url: str  # site URL, as the site model writes it
    title: str | None = None
    source: str | None = None


def read_manifest(where: str, timeout: float = 30) -> dict:
    """The manifest at a path or an http(s) address; ValueError says in plain words why it cannot be used."""
    try:
        if urlsplit(where).scheme in ("http", "https"):
            with urlopen(where, timeout=timeout) as response:  # noqa: S310 - only http(s), checked above
                raw = response.read(MAX_MANIFEST_BYTES)
        else:
            raw = Path(where).read_bytes()[:MAX_MANIFEST_BYTES]
        manifest = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not read the manifest {where} ({exc}); give the path of a manifest.json or the "
                         "address of the live site's, e.g. https://bulletins.example.nhs.uk/manifest.json") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("pages"), list):
        raise ValueError(f"{where} is not a site manifest: it has no list of pages; give the manifest.json that "
                         "`publisher build` writes")
    return manifest


def old_addresses(manifest: dict, base: str) -> list[OldAddress]:
    """Redirect sources, then pages, of an earlier build, as site URLs (its base path removed): oldest first,
    since a page's redirect sources are older than its address then."""
    found: dict[str, OldAddress] = {}
    for redirect in manifest.get("redirects", []) or []:
        if isinstance(redirect, dict) and isinstance(redirect.get("from"), str):
            url = _site_url(redirect["from"], base)
            found.setdefault(url, OldAddress(url))
    for page in manifest.get("pages", []):
        if isinstance(page, dict) and isinstance(page.get("url"), str) and page.get("kind") != "preview":
            url = _site_url(page["url"], base)
            found.setdefault(url, OldAddress(url, _text(page.get("title")), _text(page.get("source"))))
    return list(found.values())


def _site_url(path: str, base: str) -> str:
    return path[len(base):] if path.startswith(base) else path.lstrip("/")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def check_against(site: Site, manifest: dict, base: str, findings: Findings) -> int:
    """Report every address of the manifest that now leads nowhere; returns how many addresses were checked."""
    live = planned_urls(site)
    moved = {redirect.old for redirect in site.redirects}
    addresses = old_addresses(manifest, base)
    lost = [old for old in addresses if old.url not in live and old.url not in moved]
    homes = {old.url: likely_new_home(site, old) for old in lost}
    for old in lost:
        home = homes[old.url]
        if home is None:
            findings.error(REDIRECTS_FILE, 1, shown(old.url),
                           f"{_lost(old)}; withdraw the page instead of deleting it (status: withdrawn), or send "
                           f'readers on by adding the line "{shown(old.url)}: /its/new/address/" to {REDIRECTS_FILE}')
            continue
        # One line to add for everything this source lost, oldest first: feeds keep the first as the id.
        missing = [shown(other.url) for other in lost if homes[other.url] is home]
        if home.redirect_from:
            line, fix = home.doc.line_of(("redirect_from",)), "add " + ", ".join(f'"- {url}"' for url in missing) + \
                " to the end of its redirect_from list"
        else:
            line, fix = home.doc.line_of(("title",)), \
                f'add the line "redirect_from: [{", ".join(missing)}]" to its front matter'
        findings.error(home.rel, line, "redirect_from", f"{_lost(old)}; this looks like its new home, so {fix}")
    return len(addresses)


def _lost(old: OldAddress) -> str:
    return f"{shown(old.url)} was on the live site and now leads nowhere"


def likely_new_home(site: Site, old: OldAddress) -> Item | None:
    """The published source that most likely took over the old address: the same file, title or slug."""
    candidates = [item for item in site.items if item.published]
    slug = old.url.rstrip("/").rpartition("/")[2]
    tests = [lambda item: old.source is not None and item.rel == old.source,
             lambda item: old.title is not None and item.title.casefold() == old.title.casefold(),
             lambda item: bool(slug) and item.slug == slug]
    for test in tests:
        matches = [item for item in candidates if test(item)]
        if len(matches) == 1:
            return matches[0]
    return None
