"""What changed between two loads of one site, when all that changed is the text of some sources' bodies.

That is what most saves in the preview are, and then a page changes only if it shows one of those sources: no
address, listing, date, topic or count can have moved. Templates show a source's body only on the page whose item
it is (`site/render.py`), and every page records the sources it shows (`outputs/reuse.py`), so the others are
known to be as they were without working out their keys again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from publisher.site.model import Item, Site


@dataclass(frozen=True)
class Loaded:
    """A site as loaded, with the size and time of each file its sources attach, taken then."""
    site: Site
    attachment_states: tuple[tuple[int, int] | None, ...]

    @classmethod
    def of(cls, site: Site) -> Loaded:
        return cls(site, tuple(_file_state(attachment.path) for attachment in site.attachments))


def bodies_changed(earlier: Loaded, now: Loaded) -> frozenset[str] | None:
    """The paths of the sources whose body alone changed; None if anything else changed too.

    Anything else: a source added, removed or renamed, any front matter, a source's address or state (a scheduled
    bulletin whose time came), the taxonomy, the redirects, the date (toolkits hide closed opportunities), or a
    file that sources attach (toolkit pages show each download's size).
    """
    before, after = earlier.site, now.site
    if (before.root != after.root or before.now.date() != after.now.date() or before.taxonomy != after.taxonomy
            or before.redirects != after.redirects or before.attachments != after.attachments
            or earlier.attachment_states != now.attachment_states or len(before.items) != len(after.items)):
        return None
    changed = set()
    for old, new in zip(before.items, after.items):
        if _placed(old) != _placed(new) or old.doc.data != new.doc.data:
            return None
        if old.doc.body != new.doc.body:
            changed.add(new.rel)
    return frozenset(changed)


def _placed(item: Item) -> tuple:
    return item.rel, item.url, item.slug, item.state, type(item.meta)


def _file_state(path: os.PathLike) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns
