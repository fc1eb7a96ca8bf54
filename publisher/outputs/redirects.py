"""Redirects at old addresses: a small HTML page at each (for any static host) and `_redirects` (301s for Netlify
and Cloudflare Pages), fed by the plan `site/redirects.py` checked.

Redirect pages are not OutputPages, so they stay out of the sitemap, the manifest's pages and every listing, and
they carry no `data-pagefind-body`, so search leaves them out.
"""

from __future__ import annotations

from pathlib import Path

from publisher.site.redirects import Redirect, shown
from publisher.site.render import Renderer

REDIRECTS_FILE = "_redirects"


class RedirectClash(Exception):
    """A redirect page would replace a file the build wrote; the message names the line that asked for it."""


def redirect_file(site_dir: Path, old: str) -> Path:
    """bulletins/2022/06/15/x/ -> site/bulletins/2022/06/15/x/index.html; old.html stays old.html."""
    return site_dir / (old + "index.html" if old == "" or old.endswith("/") else old)


def redirect_page(renderer: Renderer, redirect: Redirect) -> str:
    item = next((item for item in renderer.site.items if item.url == redirect.new and item.published), None)
    title = item.title if item else shown(redirect.new)
    return renderer.env.get_template("redirect.html").render(target=redirect.new, title=title)


def redirects_file(renderer: Renderer, redirects: list[Redirect]) -> str:
    header = "# Written by `publisher build`: old address, new address, 301 (Netlify / Cloudflare Pages format).\n"
    return header + "".join(f"{renderer.url(r.old)} {renderer.url(r.new)} 301\n"
                            for r in sorted(redirects, key=lambda r: r.old))


def write_redirects(site_dir: Path, renderer: Renderer) -> list[Redirect]:
    """Write every redirect page and `_redirects`; RedirectClash if one would overwrite a file of the site."""
    redirects = renderer.site.redirects
    for redirect in redirects:
        target = redirect_file(site_dir, redirect.old)
        if target.exists():
            raise RedirectClash(f"{redirect.where}: error: {shown(redirect.old)}: the build already writes a file "
                                f"there ({target.relative_to(site_dir).as_posix()}); remove this redirect")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(redirect_page(renderer, redirect), encoding="utf-8")
    (site_dir / REDIRECTS_FILE).write_text(redirects_file(renderer, redirects), encoding="utf-8")
    return redirects
