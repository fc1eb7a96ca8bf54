"""Dates and times in Europe/London, and the build's notion of "now"."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_LOOSE_FORMATS = ("%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%b %d %Y", "%B %d %Y")


def now() -> datetime:
    """The clock, or SOURCE_DATE_EPOCH when set, so builds are reproducible and tests control time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().lstrip("-").isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).astimezone(LONDON)
    return datetime.now(tz=LONDON)


def today() -> date:
    return now().date()


def guess_date(text: str) -> date | None:
    """Read dates the way people write them ("2nd Feb 2022") so an error can suggest the fix."""
    cleaned = _ORDINAL.sub(r"\1", text.replace(",", " ")).strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    for fmt in _LOOSE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_date(value: object) -> date:
    """Parse YYYY-MM-DD; raises ValueError with an editor-facing explanation."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            raise ValueError(f'"{text}" is not a real date (check the day and the month); '
                             "write it as YYYY-MM-DD") from None
    raise ValueError(_not_a_date(text))


def parse_datetime(value: object) -> datetime:
    """Parse a date (midnight in London) or an ISO date-time; a time without offset is London time."""
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        return datetime.combine(parse_date(text), time(0, 0), tzinfo=LONDON)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(_not_a_date(text, allow_time=":" in text)) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LONDON)
    return moment.astimezone(LONDON)


def _not_a_date(text: str, allow_time: bool = False) -> str:
    guess = guess_date(text)
    example = guess.isoformat() if guess else today().isoformat()
    time_hint = ", or YYYY-MM-DD HH:MM for a time of day" if allow_time else ""
    return f'"{text}" is not a date; write it as YYYY-MM-DD{time_hint}, e.g. {example}'


def long_date(moment: date) -> str:
    """'2 February 2022', as GOV.UK writes dates."""
    return f"{moment.day} {moment:%B %Y}"
