"""One typed model per content type: the contract comms staff write their front matter against.

Taxonomy membership and file checks need the whole site, so they live in `validate.py`;
these models check each source on its own.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel, WithJsonSchema, model_validator,
)
from pydantic_core import PydanticCustomError

from publisher import dates
def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise PydanticCustomError("one_line", "must be on one line; remove the line breaks")
    return value.strip()


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "is empty; write the text after the colon")
    return value


def _as_date(value: object) -> date:
    try:
        return dates.parse_date(value)
    except ValueError as exc:
        raise PydanticCustomError("bad_date", str(exc)) from None


def _as_datetime(value: object) -> datetime:
    try:
        return dates.parse_datetime(value)
    except ValueError as exc:
        raise PydanticCustomError("bad_date", str(exc)) from None


def _web_address(value: str) -> str:
    if not re.match(r"https?://[^\s/$.?#][^\s]*$", value.strip()):
        raise PydanticCustomError(
            "bad_url", '"{value}" is not a web address; write the full address starting with https://',
            {"value": value})
    return value.strip()


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip()):
        raise PydanticCustomError(
            "bad_email", '"{value}" is not an email address; use a team or role mailbox such as team@example.nhs.uk',
            {"value": value})
    return value.strip()


Text = Annotated[str, AfterValidator(_not_blank), AfterValidator(_one_line)]
Title = Annotated[Text, Field(max_length=150)]
Summary = Annotated[Text, Field(max_length=300)]
Slug = Annotated[str, AfterValidator(_not_blank)]
# The exported JSON Schema (`publisher schema`, for editors' autocompletion) accepts dates as `check` does:
# JSON Schema's "date-time" would refuse a plain 2022-02-02, and YAML editors see an unquoted date as text.
DAY_SCHEMA = {"type": "string", "pattern": r"^\d{4}-\d{1,2}-\d{1,2}$", "examples": ["2022-02-02"]}
MOMENT_SCHEMA = {"type": "string", "examples": ["2022-02-02", "2022-02-02 09:30"],
                 "pattern": r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"}
Day = Annotated[date, BeforeValidator(_as_date), WithJsonSchema(DAY_SCHEMA)]
Moment = Annotated[datetime, BeforeValidator(_as_datetime), WithJsonSchema(MOMENT_SCHEMA)]
Url = Annotated[str, AfterValidator(_web_address)]
Email = Annotated[str, AfterValidator(_email)]


class Strict(BaseModel):
    """Unknown fields are errors, so a typo such as `tittle` is caught rather than ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Field name -> taxonomy vocabulary its slugs must come from.
    taxonomy_fields: ClassVar[dict[str, str]] = {}


class Change(Strict):
    date: Moment
    note: Text


def _url_path(value: str) -> str:
    # An address on this site as the manifest lists it: a redirect page is written there, so nothing that could
    # leave the site folder, reach another host (//host) or carry a query.
    path = value.strip()
    if not re.fullmatch(r"/(?:[a-z0-9._~%-]+/)*(?:[a-z0-9._~%-]+\.html?)?", path, re.IGNORECASE) \
            or re.search(r"(^|/)\.\.?(/|$)", path):
        raise PydanticCustomError(
            "bad_url_path", '"{value}" is not an address on this site; write the path as /manifest.json lists it, '
            "starting and ending with /, e.g. /bulletins/2022/06/15/rural-and-coastal-programme/", {"value": value[:80]})
    return path


UrlPath = Annotated[str, AfterValidator(_url_path)]
# Several old addresses may lead to one page; the first is the oldest, and feeds keep it as the bulletin's id.
RedirectFrom = list[UrlPath]


class Withdrawal(Strict):
    """Why and when a page was withdrawn: it stays at its address with this notice at the top."""

    date: Day
    reason: Annotated[str, AfterValidator(_not_blank), Field(max_length=600)]


class Withdrawable(Strict):
    """`status: withdrawn` and the `withdrawn` block go together; each error is reported at the field that is there."""

    @model_validator(mode="after")
    def _withdrawn_needs_its_block(self):
        status, block = getattr(self, "status"), getattr(self, "withdrawn")
        if status == "withdrawn" and block is None:
            raise PydanticCustomError(
                "withdrawn_without_reason", 'status is "withdrawn" but the withdrawn block is missing; add '
                "'withdrawn: {date: YYYY-MM-DD, reason: why it was withdrawn}' below it", {"field": "status"})
        if status != "withdrawn" and block is not None:
            raise PydanticCustomError(
                "withdrawn_without_status", "is given but the status is not withdrawn; add the line "
                "'status: withdrawn', or remove the withdrawn block", {"field": "withdrawn"})
        return self

    @property
    def updated_on_withdrawal(self) -> datetime | None:
        block = getattr(self, "withdrawn")
        return dates.parse_datetime(block.date.isoformat()) if block else None


class Bulletin(Withdrawable):
    """A bulletin or news item: `bulletins/YYYY-MM-DD-slug.md`."""

    kind: ClassVar[str] = "bulletin"
    taxonomy_fields: ClassVar[dict[str, str]] = {"topics": "topics"}
    title: Title
    date: Moment
    summary: Summary
    topics: list[Slug] = Field(min_length=1)
    status: Literal["published", "draft", "withdrawn"] = "published"
    withdrawn: Withdrawal | None = None
    changes: list[Change] = []
    author: Text | None = None
    type: Literal["bulletin", "news"] = "bulletin"  # shown on its card and page: "Bulletin" or "News"
    redirect_from: RedirectFrom = []

    @property
    def updated(self) -> datetime:
        """When the bulletin last changed: its date, its latest recorded change, or its withdrawal."""
        withdrawal = self.updated_on_withdrawal
        return max([self.date] + [change.date for change in self.changes] + ([withdrawal] if withdrawal else []))


class Download(Strict):
    title: Text
    file: Text
    kind: Literal["form", "template", "guide", "checklist"]
    summary: Summary


class Link(Strict):
    title: Text
    url: Url


class Opportunity(Strict):
    taxonomy_fields: ClassVar[dict[str, str]] = {"region": "regions"}
    title: Text
    provider: Text
    region: Slug
    url: Url
    closes: Day


class Toolkit(Withdrawable):
    """A work-experience toolkit: `toolkits/<slug>/index.md` with its files beside it."""

    kind: ClassVar[str] = "toolkit"
    taxonomy_fields: ClassVar[dict[str, str]] = {"setting": "settings"}
    title: Title
    summary: Summary
    setting: Slug
    audience: Text
    last_reviewed: Day
    review_due: Day
    downloads: list[Download] = []
    links: list[Link] = []
    opportunities: list[Opportunity] = []
    published: Day | None = None  # when it first went on the site: the updates feed announces it as new
    status: Literal["published", "withdrawn"] = "published"
    withdrawn: Withdrawal | None = None
    changes: list[Change] = []
    redirect_from: RedirectFrom = []


class Contact(Strict):
    name: Text
    email: Email


class DirectoryEntry(Withdrawable):
    """A best-practice directory entry: `content/directory/<slug>.md`."""

    kind: ClassVar[str] = "entry"
    taxonomy_fields: ClassVar[dict[str, str]] = {
        "region": "regions", "topics": "topics", "approaches": "approaches",
        "audiences": "audiences", "evidence": "evidence",
    }
    title: Title
    organisation: Text
    summary: Summary
    region: Slug
    topics: list[Slug] = Field(min_length=1)
    approaches: list[Slug] = Field(min_length=1)
    audiences: list[Slug] = Field(min_length=1)
    evidence: Slug
    started: int = Field(ge=1948, le=2100)
    website: Url | None = None
    contact: Contact | None = None
    published: Day | None = None  # when it first went on the site: the updates feed announces it as new
    status: Literal["published", "withdrawn"] = "published"
    withdrawn: Withdrawal | None = None
    changes: list[Change] = []
    redirect_from: RedirectFrom = []


class Page(Strict):
    """An ordinary page: any other Markdown file under `content/`."""

    kind: ClassVar[str] = "page"
    title: Title
    summary: Summary | None = None
    redirect_from: RedirectFrom = []


def _term_slug(value: str) -> str:
    # Slugs become URL paths and file names (topics/<slug>/feed.xml), so nothing but lower-case words and hyphens.
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", value):
        raise PydanticCustomError(
            "bad_slug", '"{value}" is not a valid slug; use lower-case words and digits joined by hyphens, '
            "e.g. mental-health", {"value": value[:60]})
    return value


TermSlug = Annotated[str, AfterValidator(_term_slug)]


class Term(Strict):
    label: Text
    description: Text


class Taxonomy(Strict):
    """`content/taxonomy.yml`: the controlled vocabularies."""

    topics: dict[TermSlug, Term]
    regions: dict[TermSlug, Term]
    settings: dict[TermSlug, Term]
    approaches: dict[TermSlug, Term]
    audiences: dict[TermSlug, Term]
    evidence: dict[TermSlug, Term]

    def label(self, vocabulary: str, slug: str) -> str:
        term = getattr(self, vocabulary).get(slug)
        return term.label if term else slug


def _abbreviation(value: str) -> str:
    # The style check only questions words in capitals, so anything else listed here could never match.
    if not re.fullmatch(r"(?=.*[A-Z])[A-Z0-9&]+s?", value.strip()):
        raise PydanticCustomError(
            "bad_abbreviation", '"{value}" is not an abbreviation in capitals; write it as it appears in the text, '
            "e.g. NHS", {"value": value[:60]})
    return value.strip()


def _none_as_empty(value: object) -> object:
    return [] if value is None else value


class Acronyms(Strict):
    """`content/acronyms.yml`: abbreviations every reader knows, which the style check need not see explained."""

    known: Annotated[list[Annotated[str, AfterValidator(_abbreviation)]], BeforeValidator(_none_as_empty)] = []


REQUIRED_TOPICS = (
    "covid-19", "medical-and-dental", "mental-health", "nursing-and-midwifery", "allied-health-professions",
    "primary-care", "workforce-and-education", "widening-participation", "work-experience",
    "equality-diversity-and-inclusion", "digital-and-technology", "patient-safety", "rural-and-coastal",
)
REQUIRED_SETTINGS = ("general-practice", "dental", "secondary-care", "schools-and-careers", "online")


class Redirects(RootModel[dict[UrlPath, UrlPath]]):
    """`content/redirects.yml`: old address -> new address, for anything no source's `redirect_from` covers."""

    model_config = ConfigDict(frozen=True)
