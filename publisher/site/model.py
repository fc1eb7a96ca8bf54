"""The site model: validated sources, their URLs and state, ready to render."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from publisher.content.load import Document
from publisher.content.models import Bulletin, DirectoryEntry, Page, Strict, Taxonomy, Toolkit
from publisher.content.sources import Source

if TYPE_CHECKING:
    from publisher.content.assets import Attachment
    from publisher.site.redirects import Redirect

State = Literal["published", "draft", "scheduled"]


@dataclass
class Item:
    """One source as it will be published."""

    source: Source
    doc: Document
    meta: Strict
    url: str
    slug: str
    state: State = "published"

    @property
    def rel(self) -> str:
        return self.source.rel

    @property
    def title(self) -> str:
        return self.meta.title  # type: ignore[attr-defined]

    @property
    def published(self) -> bool:
        return self.state == "published"

    @property
    def withdrawn(self) -> bool:
        """Withdrawn pages stay at their address with a notice, but leave the home page, topics and results."""
        return getattr(self.meta, "status", None) == "withdrawn"

    @property
    def listed(self) -> bool:
        return self.published and not self.withdrawn

    @property
    def redirect_from(self) -> list[str]:
        return list(getattr(self.meta, "redirect_from", []))


def bulletin_state(meta: Bulletin, now: datetime) -> State:
    if meta.status == "draft":
        return "draft"
    # A withdrawn bulletin was published once and keeps its page, even if its date were corrected into the future.
    if meta.status == "withdrawn":
        return "published"
    return "scheduled" if meta.date > now else "published"


@dataclass
class Site:
    root: Path
    taxonomy: Taxonomy
    now: datetime
    items: list[Item] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)  # files sources use, chosen by assets.py
    redirects: list[Redirect] = field(default_factory=list)  # old address -> new, checked by site/redirects.py

    def _of(self, model: type[Strict]) -> list[Item]:
        return [item for item in self.items if isinstance(item.meta, model)]

    @cached_property
    def bulletins(self) -> list[Item]:
        """Published bulletins, newest first (ties broken by URL so order is stable)."""
        published = [item for item in self._of(Bulletin) if item.published]
        return sorted(published, key=lambda item: (item.meta.date, item.url), reverse=True)

    @cached_property
    def listed_bulletins(self) -> list[Item]:
        """Published bulletins that are not withdrawn: the ones the home page and topic pages list."""
        return [item for item in self.bulletins if not item.withdrawn]

    @cached_property
    def unpublished(self) -> list[Item]:
        return [item for item in self._of(Bulletin) if not item.published]

    @cached_property
    def toolkits(self) -> list[Item]:
        return sorted(self._of(Toolkit), key=lambda item: item.url)

    @cached_property
    def entries(self) -> list[Item]:
        return sorted(self._of(DirectoryEntry), key=lambda item: item.title.casefold())

    @cached_property
    def pages(self) -> list[Item]:
        return sorted(self._of(Page), key=lambda item: item.url)
