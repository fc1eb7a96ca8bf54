"""The email edition of a bulletin: an HTML email, its plain-text twin, a GOV.UK Notify version and a .eml.

Fed by the site model like every other output: the bulletin's body is the converter's HTML (the same one the web
page shows), made absolute for inboxes, wrapped in an email template, and its stylesheet inlined with css-inline.
The plain-text and Notify versions are read back from that finished HTML (`email_text.py`), so all three hold the
same words and links. Sending to subscribers is the mailing service's job; `email_send.py` only sends a test.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import css_inline
import lxml.html
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from publisher import dates
from publisher.content.models import Bulletin
from publisher.findings import ContentError, Findings
from publisher.outputs.email_text import to_notify, to_plain_text
from publisher.site.model import Item, Site
from publisher.site.render import Renderer

CONFIG = "mkdocs.yml"
TEMPLATE = "email/bulletin.html"
GMAIL_CLIP_BYTES = 102 * 1000  # Gmail hides the rest of a message whose HTML is larger ("[Message clipped]")
ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")


class EmailError(Exception):
    """A plain-English reason the email edition could not be made or sent."""


def _mailbox(value: str) -> str:
    """An address, optionally with a display name: `Bulletins <bulletins@example.nhs.uk>`."""
    _name, address = email.utils.parseaddr(value)
    if not ADDRESS.fullmatch(address) or "\n" in value or "\r" in value:
        raise ValueError(f'"{value}" is not an email address; write one such as '
                         '"Health workforce bulletins <bulletins@example.nhs.uk>"')
    return value.strip()


class EmailSettings(BaseModel):
    """`extra.email` in mkdocs.yml. Unknown keys are errors, so a typo such as `reply-to` is caught."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_address: str = Field(alias="from")
    reply_to: str | None = None
    organisation: str = ""
    why_you_get_this: str = ""
    unsubscribe: str = "((unsubscribe_link))"
    utm_source: str | None = None
    utm_medium: str | None = None

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return _mailbox(value) if value is not None else None

    @field_validator("organisation", "why_you_get_this", "unsubscribe", "utm_source", "utm_medium")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and "\n" in value.strip():
            raise ValueError("must be on one line; remove the line breaks")
        return value.strip() if value is not None else None

    def with_defaults(self, site_name: str) -> "EmailSettings":
        organisation = self.organisation or site_name
        why = self.why_you_get_this or f"You are getting this email because you subscribed to bulletins from " \
                                       f"{organisation}."
        return self.model_copy(update={"organisation": organisation, "why_you_get_this": why})

    def campaign(self, slug: str) -> dict[str, str]:
        """Campaign parameters for links to the site; none unless mkdocs.yml asks for them."""
        if not (self.utm_source or self.utm_medium):
            return {}
        params = {"utm_source": self.utm_source, "utm_medium": self.utm_medium, "utm_campaign": slug}
        return {key: value for key, value in params.items() if value}


@dataclass
class SiteConfig:
    site_name: str
    site_url: str
    settings: EmailSettings


@dataclass
class Edition:
    slug: str
    subject: str
    sender: str  # the From address, for the SMTP envelope of a test send
    html: str
    text: str
    notify: str
    message: bytes  # the .eml: multipart/alternative, CRLF line ends, ready for SMTP

    def files(self) -> dict[str, bytes]:
        return {f"{self.slug}.html": self.html.encode("utf-8"), f"{self.slug}.txt": self.text.encode("utf-8"),
                f"{self.slug}.eml": self.message, f"{self.slug}.notify.md": self.notify.encode("utf-8")}


# ---- settings ------------------------------------------------------------------------------------------------


def _line_of(text: str, key: str) -> int:
    """The line of `key:` in mkdocs.yml (after `email:` when there is one), so errors point at it; else 1."""
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if re.match(r"\s+email:", line)), 0)
    for number in range(start, len(lines)):
        if re.match(rf"\s*{re.escape(key)}\s*:", lines[number]):
            return number + 1
    return start + 1


def read_config(root: Path) -> SiteConfig:
    """site_name, site_url and `extra.email` from mkdocs.yml; problems raise ContentError naming the line."""
    from mkdocs.exceptions import PluginError
    from mkdocs.utils.yaml import yaml_load

    from publisher.outputs.mkdocs_plugin import site_url_for

    text = (root / CONFIG).read_text(encoding="utf-8")
    findings = Findings()
    try:
        config = yaml_load(text) or {}
    except Exception as exc:  # MkDocs' loader raises several YAML and tag errors; all mean the same to the editor
        raise EmailError(f"{CONFIG} could not be read: {exc}") from None
    try:
        site_url = site_url_for(config.get("site_url"))
    except PluginError as exc:
        raise EmailError(str(exc)) from None
    if not site_url:
        findings.error(CONFIG, 1, "site_url", "is missing; emails link to the website, so add the site's address, "
                                              "e.g. site_url: https://bulletins.example.nhs.uk/")
    extra = (config.get("extra") or {}).get("email")
    settings = None
    if not isinstance(extra, dict):
        findings.error(CONFIG, _line_of(text, "extra"), "extra.email",
                       "is missing; add it under extra: with at least the address bulletins come from, e.g.\n"
                       "extra:\n  email:\n    from: Health workforce bulletins <bulletins@example.nhs.uk>")
    else:
        try:
            settings = EmailSettings.model_validate(extra)
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else "email"
                findings.error(CONFIG, _line_of(text, key), f"extra.email.{key}", _describe(error))
    if findings.has_errors():
        raise ContentError(findings)
    assert settings is not None and site_url
    site_name = str(config.get("site_name") or "")
    return SiteConfig(site_name, site_url, settings.with_defaults(site_name))


def _describe(error: dict) -> str:
    if error["type"] == "missing":
        return "is missing; add the address bulletins come from, e.g. from: Bulletins <bulletins@example.nhs.uk>"
    if error["type"] == "extra_forbidden":
        return ("is not a setting; use from, reply_to, organisation, why_you_get_this, unsubscribe, utm_source or "
                "utm_medium")
    return str(error["msg"]).removeprefix("Value error, ")


# ---- choosing the bulletin -----------------------------------------------------------------------------------


def choose(site: Site, source: str | None, root: Path) -> Item:
    """The bulletin named by path, file name or slug; the newest published one when `source` is None."""
    bulletins = [item for item in site.items if isinstance(item.meta, Bulletin)]
    if source is None:
        if not site.bulletins:
            raise EmailError("there is no published bulletin yet; name a draft with --preview to try one out")
        return site.bulletins[0]
    wanted = _as_rel(source, root)
    matches = [item for item in bulletins
               if wanted in (item.rel, item.slug, Path(item.rel).stem, Path(item.rel).name)]
    if len(matches) > 1:
        names = ", ".join(item.rel for item in matches)
        raise EmailError(f'"{source}" names more than one bulletin ({names}); give the file path instead')
    if not matches:
        from publisher.content.validate import did_you_mean

        hint = did_you_mean(source, [item.slug for item in bulletins]) or \
            "; give a bulletin's file path (bulletins/2022-02-02-key-messages.md) or the part of its name after " \
            "the date (key-messages), or use --latest"
        raise EmailError(f'"{source}" is not a bulletin{hint}')
    return matches[0]


def _as_rel(source: str, root: Path) -> str:
    """A path given from the current folder, as the site-relative path sources are known by."""
    path = Path(source)
    if path.suffix == ".md" and path.is_file():
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            pass
    return source.replace("\\", "/").removeprefix("./")


def refuse_unpublished(item: Item, preview: bool) -> None:
    if item.published or preview:
        return
    if item.state == "draft":
        why = f"{item.rel} is a draft; delete its 'status: draft' line to publish it first"
    else:
        why = f"{item.rel} is scheduled for {dates.long_date(item.meta.date)} and is not published yet"
    raise EmailError(f"{why}. To check how it will look, add --preview: every part is then marked "
                     "'Not yet published'")


# ---- the edition ---------------------------------------------------------------------------------------------


class EmailWriter:
    """Makes editions from a Renderer, so the body is converted exactly as for the web page."""

    def __init__(self, renderer: Renderer, settings: EmailSettings) -> None:
        self.renderer = renderer
        self.settings = settings
        # The template's own <style> (phone and dark-mode rules) is left as it is; email.css is inlined.
        self.inliner = css_inline.CSSInliner(inline_style_tags=False, keep_style_tags=True,
                                             load_remote_stylesheets=False, extra_css=stylesheet())

    def edition(self, item: Item, preview: bool = False) -> Edition:
        subject = f"[Not yet published] {item.title}" if preview else item.title
        html = self.html(item, subject, preview)
        text = to_plain_text(html)
        return Edition(item.slug, subject, self.settings.from_address, html, text, to_notify(html),
                       self.message(subject, text, html))

    def html(self, item: Item, subject: str, preview: bool) -> str:
        page_url = self.renderer.absolute(item.url)
        links = LinkMaker(self.renderer.site_url, self.settings.campaign(item.slug))
        body = links.email_body(self.renderer.body(item), page_url)
        html = self.renderer.env.get_template(TEMPLATE).render(
            subject=subject, item=item, meta=item.meta, body=body, web_url=links.tag(page_url),
            settings=self.settings, preview=preview)
        return self.inliner.inline(html).rstrip("\n") + "\n"  # as in the .eml, whose parts end with a newline

    def message(self, subject: str, text: str, html: str) -> bytes:
        message = EmailMessage(policy=email.policy.SMTP)  # non-ASCII headers are RFC 2047 encoded as UTF-8
        message["Subject"] = subject
        message["From"] = self.settings.from_address
        if self.settings.reply_to:
            message["Reply-To"] = self.settings.reply_to
        message["Date"] = email.utils.format_datetime(dates.now())
        message["Message-ID"] = email.utils.make_msgid(domain=urlsplit(self.renderer.site_url).hostname)
        message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
        return message.as_bytes()


def stylesheet() -> str:
    return files("publisher").joinpath("templates/email/email.css").read_text(encoding="utf-8")


@dataclass
class LinkMaker:
    """Absolute addresses for inboxes, with campaign parameters on links to this site (never mailto links)."""

    site_url: str
    campaign: dict[str, str]

    def tag(self, url: str) -> str:
        parts = urlsplit(url)
        if not self.campaign or parts.scheme not in ("http", "https") or parts.netloc != urlsplit(self.site_url).netloc:
            return url  # other sites' analytics are not ours to feed
        query = parse_qsl(parts.query, keep_blank_values=True)
        present = {key for key, _value in query}
        query += [(key, value) for key, value in self.campaign.items() if key not in present]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def email_body(self, body: str, page_url: str) -> str:
        """The web page's body with every address absolute; in-page links become plain text.

        Email clients treat `#section` links inconsistently (some open a blank page), and footnotes read well
        without them, so the links go and their words stay.
        """
        fragment = lxml.html.fragment_fromstring(body, create_parent="div")
        for backref in fragment.find_class("footnote-backref"):
            backref.drop_tree()
        for link in list(fragment.iter("a")):
            href = link.get("href")
            if href is None:
                continue
            if href.startswith("#"):
                link.drop_tag()
            else:
                link.set("href", self.tag(urljoin(page_url, href)))
        for image in fragment.iter("img"):
            if image.get("src"):
                image.set("src", urljoin(page_url, image.get("src")))
        html = lxml.html.tostring(fragment, encoding="unicode", method="html")
        return html[len("<div>"):-len("</div>")]


def make_edition(root: Path, source: str | None, preview: bool) -> tuple[Edition, Item]:
    """Load and check the site, choose the bulletin and make its email edition."""
    from publisher.content.validate import load_site

    config = read_config(root)
    site, findings = load_site(root)
    if site is None or findings.has_errors():
        raise ContentError(findings)
    item = choose(site, source, root)
    refuse_unpublished(item, preview)
    renderer = Renderer(site, config.site_url, config.site_name)
    return EmailWriter(renderer, config.settings).edition(item, preview), item


def write_edition(edition: Edition, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in edition.files().items():
        path = out / name
        path.write_bytes(content)
        written.append(path)
    return written


def size_warning(edition: Edition) -> str | None:
    size = len(edition.html.encode("utf-8"))
    if size <= GMAIL_CLIP_BYTES:
        return None
    return (f"the HTML email is {size // 1000} KB; Gmail cuts off messages over 102 KB and hides the rest "
            "(including the unsubscribe link) behind 'View entire message'. Shorten the bulletin or split it in two")
