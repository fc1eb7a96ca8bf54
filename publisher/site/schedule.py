"""When scheduled bulletins go live: told to editors (`check`), people (`due`) and schedulers (`due --since`).

A bulletin dated in the future is published by the first build at or after its date, so a scheduler that rebuilds
every 15 minutes publishes it at most 15 minutes late and never early.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin

from publisher.dates import LONDON
from publisher.findings import Findings
from publisher.content.models import Bulletin
from publisher.site.model import Item, Site

EPOCH_SECONDS = re.compile(r"-?\d{1,12}")


@dataclass(frozen=True)
class Scheduled:
    item: Item

    @property
    def moment(self) -> datetime:
        return self.item.meta.date.astimezone(LONDON)

    def as_json(self, root_path: str = "/") -> dict[str, str]:
        return {"path": self.item.rel, "url": root_path + self.item.url, "title": self.item.title,
                "london": self.moment.isoformat(), "utc": self.moment.astimezone(timezone.utc).isoformat()}

    def as_text(self, root_path: str = "/") -> str:
        utc = self.moment.astimezone(timezone.utc)
        return (f"{self.item.rel}  {root_path}{self.item.url}  {human_moment(self.moment)} (Europe/London)  "
                f"{utc:%Y-%m-%d %H:%M} UTC")


def human_moment(moment: datetime) -> str:
    """'Tue 1 Dec 2026 09:30', as a person reads a publication time."""
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"


def scheduled(site: Site) -> list[Scheduled]:
    """Bulletins waiting for their date, soonest first. Drafts are never due."""
    waiting = [item for item in site.items if isinstance(item.meta, Bulletin) and item.state == "scheduled"]
    return [Scheduled(item) for item in sorted(waiting, key=lambda item: (item.meta.date, item.rel))]


def became_due(site: Site, since: datetime) -> list[Item]:
    """Published bulletins dated after `since` and at or before the site's "now".

    A build at `since` already published anything dated exactly `since`, so that one is not due again.
    """
    return [item for item in site.items if isinstance(item.meta, Bulletin) and item.published
            and since < item.meta.date <= site.now]


def note_scheduled(site: Site, findings: Findings) -> None:
    for waiting in scheduled(site):
        findings.info(waiting.item.rel, waiting.item.doc.line_of(("date",)), "date",
                      f"scheduled; publishes {human_moment(waiting.moment)} (Europe/London)")


def parse_since(text: str) -> datetime:
    """ISO 8601 (UK time when it has no offset) or seconds since 1970; ValueError says what to write instead."""
    cleaned = text.strip()
    try:
        if EPOCH_SECONDS.fullmatch(cleaned):
            return datetime.fromtimestamp(int(cleaned), tz=timezone.utc)
        moment = datetime.fromisoformat(cleaned)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f'"{text}" is not a time; give an ISO 8601 time such as 2026-12-01T09:30:00+00:00, '
                         "or seconds since 1970 such as 1796117400") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


@dataclass(frozen=True)
class LiveSite:
    """What the live site's /manifest.json says about the build that made it."""

    built: datetime
    commit: str | None


def read_live_site(site_url: str, timeout: float = 20) -> LiveSite:
    """Fetch and read the live manifest; ValueError says why it could not be used."""
    from urllib.request import urlopen  # imported here: it costs a tenth of every `publisher check` otherwise

    address = urljoin(site_url, "manifest.json")
    try:
        with urlopen(address, timeout=timeout) as response:  # noqa: S310 - the site's own https address
            manifest = json.loads(response.read(5_000_000))
        return LiveSite(parse_since(manifest["built"]), manifest.get("commit"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"could not read when the live site was built from {address} ({exc})") from None
