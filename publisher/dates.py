"""Dates and times in Europe/London, and the build's notion of "now"."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_LOOSE_FORMATS = ("%d %b %Y", "%d %B %Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%b %d %Y", "%B %d %Y")


class BadSourceDateEpoch(ValueError):
    """SOURCE_DATE_EPOCH is set but is not a usable time; the message says so in plain words."""


# 2100-01-01: MkDocs stamps the gzipped sitemap with the build time, and gzip holds only 32-bit times (to 2106).
_LATEST_EPOCH = 4102444800


def now() -> datetime:
    """The clock, or SOURCE_DATE_EPOCH when set, so builds are reproducible and tests control time.

    Raises BadSourceDateEpoch when SOURCE_DATE_EPOCH is set to anything but a whole number of seconds: MkDocs
    reads the variable too and would crash on it, so a bad value is never silently replaced by the clock.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return datetime.now(tz=LONDON)
    seconds = epoch.strip()
    # At most 10 digits before int(): Python refuses to read very long numbers, and 10 reach past _LATEST_EPOCH.
    if not re.fullmatch(r"[0-9]{1,10}", seconds) or int(seconds) > _LATEST_EPOCH:
        raise BadSourceDateEpoch(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, e.g. 1793491200 "
                                 f"(before the year 2100); it is '{epoch}'")
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).astimezone(LONDON)


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
    try:
        if moment.tzinfo is None:
            # Through UTC and back: a time the clocks skip (01:30 on the last Sunday of March) becomes the real
            # time it names (02:30 BST). Python compares datetimes of one zone by wall time, so a skipped time
            # left as written would sort before moments that are really earlier.
            moment = moment.replace(tzinfo=LONDON).astimezone(timezone.utc)
        return moment.astimezone(LONDON)
    except OverflowError:  # 9999-12-31T23:59-23:59 is in the year 10000 in London
        raise ValueError(f'"{text}" is out of range: it falls outside the years 1 to 9999 in UK time; '
                         "check the year and the time zone") from None


def _not_a_date(text: str, allow_time: bool = False) -> str:
    guess = guess_date(text)
    example = guess.isoformat() if guess else today().isoformat()
    time_hint = ", or YYYY-MM-DD HH:MM for a time of day" if allow_time else ""
    return f'"{text}" is not a date; write it as YYYY-MM-DD{time_hint}, e.g. {example}'


def long_date(moment: date) -> str:
    """'2 February 2022', as GOV.UK writes dates."""
    return f"{moment.day} {moment:%B %Y}"
