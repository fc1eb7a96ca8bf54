"""What Pagefind indexes: content pages only, with their type, topics and year as filters and metadata.

Listings are left out (they would repeat every bulletin's summary), and so are headers, navigation and footers:
Pagefind reads only elements marked `data-pagefind-body`. `outputs/search.py` runs Pagefind over the result.
"""

from __future__ import annotations

from publisher.content.models import Bulletin, DirectoryEntry, Page, Toolkit
from publisher.dates import long_date
from publisher.site.escaping import escape
from publisher.site.model import Item, Site

TYPE_LABELS = {Bulletin: "Bulletin", Toolkit: "Toolkit", DirectoryEntry: "Directory entry", Page: "Page"}
SEARCH_URL = "search/"
WITHDRAWN_LABEL = "Withdrawn"
SEARCH_BODY_START = "<div data-pagefind-body>"
# A comment cannot come from the content: the sanitiser drops comments, and text "<!--" is escaped.
SEARCH_BODY_END = "<!-- end of the search body -->"


def _attribute(kind: str, name: str, value: str) -> str:
    return f'<span data-pagefind-{kind}="{name}[data-value]" data-value="{escape(value)}"></span>'


def index_fields(item: Item, site: Site) -> str:
    """Hidden Pagefind filter and metadata markers for one content page."""
    meta = item.meta
    kind = TYPE_LABELS[type(meta)]
    # A withdrawn page stays findable, labelled so in the result ("Withdrawn · Bulletin"); the type filter still works.
    shown = f"{WITHDRAWN_LABEL} · {kind}" if item.withdrawn else kind
    fields = [_attribute("filter", "type", kind), _attribute("meta", "type", shown)]
    if item.withdrawn:
        fields.append(_attribute("meta", "status", WITHDRAWN_LABEL))
    summary = getattr(meta, "summary", None)
    if summary:
        fields.append(_attribute("meta", "summary", summary))
    if isinstance(meta, Bulletin):
        fields.append(_attribute("filter", "year", str(meta.date.year)))
        fields.append(_attribute("meta", "date", long_date(meta.date)))
        fields.append(_attribute("sort", "date", meta.date.isoformat()))
    for slug in getattr(meta, "topics", []):
        fields.append(_attribute("filter", "topic", site.taxonomy.label("topics", slug)))
    return "".join(fields)


def searchable(html: str, item: Item, site: Site) -> str:
    """The page's content in the element Pagefind indexes, followed by `SEARCH_BODY_END` so that
    `outputs/search.search_document` can cut it out of the finished page without parsing it."""
    return f'{SEARCH_BODY_START}{index_fields(item, site)}{html}</div>{SEARCH_BODY_END}'
