"""The web editor: Decap CMS at `/admin/`, its `config.yml` generated from our models and the taxonomy.

Every field of every content model becomes an editor widget (`widget_for`), so a field added to a model appears in
the editor at the next build, with the same limits `publisher check` applies. A field of a kind this module cannot
map stops the build with a message naming it, rather than leaving it out of the editor unnoticed.
The Decap bundle itself is vendored in `publisher/theme/admin/decap/` (see scripts/vendor_decap.py) and copied by
MkDocs with the theme; this stage writes the page, the config and the editor's messages beside it.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import annotated_types
import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from publisher.content import models
from publisher.content.models import Bulletin, DirectoryEntry, Page, Strict, Taxonomy, Toolkit
from publisher.site.escaping import script_json
from publisher.site.render import compiled_templates

ADMIN = "admin"
TEMPLATES = Path(__file__).parent.parent / "templates"
MOMENT_FORMAT = "YYYY-MM-DD HH:mm"  # what `dates.parse_datetime` reads as UK time
DAY_FORMAT = "YYYY-MM-DD"
PLACEHOLDER_REPO = "OWNER/REPOSITORY"
GITHUB_REPO = re.compile(r"https://github\.com/(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$")
# Longer than this, a text field gets a box of several lines rather than one line.
ONE_LINE_LIMIT = 300

# What the editor says when a field breaks a rule: the wording of `publisher check`, where the editor
# has no file and line to point at. The test suite checks each against the model's own message.
REQUIRED_MESSAGE = "this field is required; fill it in"
MEDIA_MESSAGE = "is being uploaded; wait for it to finish"


@dataclass(frozen=True)
class TextRule:
    """A validator of ours as the editor's `pattern` (a JavaScript regular expression) and its message."""

    pattern: str
    message: str
    hint: str


# Keyed by our validator functions, so the editor checks exactly the fields the model checks.
TEXT_RULES = {
    models._web_address: TextRule(r"^\s*https?://[^\s/$.?#][^\s]*$",
                                  "is not a web address; write the full address starting with https://",
                                  "The full address, starting with https://"),
    models._email: TextRule(r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$",
                            "is not an email address; use a team or role mailbox such as team@example.nhs.uk",
                            "A team or role mailbox, e.g. team@example.nhs.uk"),
}


class UnmappedField(Exception):
    """A model field whose kind the editor config does not know; the build names it so a developer adds it."""


@dataclass(frozen=True)
class Kind:
    """A field's annotation taken apart: the base type, its constraints and validators, and whether it may be empty."""

    base: Any
    metadata: tuple = ()
    optional: bool = False

    @property
    def validators(self) -> list:
        return [item.func for item in self.metadata if isinstance(item, AfterValidator)]

    def constraint(self, kind: type) -> Any:
        return next((item for item in self.metadata if isinstance(item, kind)), None)


def unwrap(annotation: Any, metadata: tuple = ()) -> Kind:
    """Peel `Annotated[...]` and `X | None` off an annotation, collecting what they carry."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation, extra = typing.get_args(annotation)[0], typing.get_args(annotation)[1:]
            metadata = tuple(metadata) + tuple(_flatten(extra))
        elif origin in (Union, types.UnionType) and type(None) in typing.get_args(annotation):
            rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(rest) != 1:
                return Kind(annotation, tuple(metadata), True)
            annotation, optional = rest[0], True
        else:
            return Kind(annotation, tuple(metadata), optional)


def _flatten(metadata) -> list:
    """`Field(max_length=...)` inside Annotated arrives as a FieldInfo; its constraints live in its metadata."""
    found = []
    for item in metadata:
        found += list(item.metadata) if isinstance(item, FieldInfo) else [item]
    return found


def label_of(name: str) -> str:
    return name.replace("_", " ").capitalize()


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def model_fields(model: type[BaseModel], taxonomy: Taxonomy, required: bool = True) -> list[dict]:
    """Every field of the model, in its order, as Decap field definitions."""
    return [widget_for(model, name, info, taxonomy, required) for name, info in model.model_fields.items()]


def widget_for(model: type[BaseModel], name: str, info: FieldInfo, taxonomy: Taxonomy,
               parent_required: bool = True) -> dict:
    kind = unwrap(info.annotation, tuple(_flatten(info.metadata)))
    required = parent_required and info.is_required()
    config: dict[str, Any] = {"label": label_of(name), "name": name, "required": required}
    vocabulary = getattr(model, "taxonomy_fields", {}).get(name)
    if vocabulary:
        config.update(_taxonomy_select(kind, vocabulary, taxonomy))
    else:
        config.update(_widget_for_kind(model, name, kind, taxonomy, required))
    if info.description:
        config["hint"] = info.description
    default = info.get_default()
    if isinstance(default, (str, int, bool)):  # a required field has none; an empty list needs none
        config["default"] = default
    return config


def _taxonomy_select(kind: Kind, vocabulary: str, taxonomy: Taxonomy) -> dict:
    terms = getattr(taxonomy, vocabulary)
    config: dict[str, Any] = {
        "widget": "select",
        "options": [{"label": term.label, "value": slug} for slug, term in terms.items()],
        "hint": f"From the {vocabulary} in content/taxonomy.yml; add a term there first if it is missing.",
    }
    if typing.get_origin(kind.base) is list:
        config["multiple"] = True
        shortest = kind.constraint(annotated_types.MinLen)
        if shortest:
            config["min"] = shortest.min_length
    return config


def _widget_for_kind(model: type[BaseModel], name: str, kind: Kind, taxonomy: Taxonomy, required: bool) -> dict:
    base = kind.base
    if is_model(base):
        return {"widget": "object", "collapsed": not required,
                "fields": model_fields(base, taxonomy, required=required)}
    if typing.get_origin(base) is list:
        return _list_widget(model, name, typing.get_args(base)[0], taxonomy)
    if typing.get_origin(base) is Literal:
        values = list(typing.get_args(base))
        return {"widget": "select", "options": [{"label": label_of(str(value)), "value": value} for value in values]}
    if base is bool:
        return {"widget": "boolean"}
    if base is int:
        return _number_widget(kind)
    if base is datetime:
        return {"widget": "datetime", "format": MOMENT_FORMAT, "date_format": DAY_FORMAT, "time_format": "HH:mm",
                "hint": f"{MOMENT_FORMAT} in UK time, e.g. 2027-01-12 09:30."}
    if base is date:
        return {"widget": "datetime", "format": DAY_FORMAT, "date_format": DAY_FORMAT, "time_format": False,
                "hint": f"{DAY_FORMAT}, e.g. 2027-01-12."}
    if base is str:
        return _text_widget(name, kind)
    raise UnmappedField(f"{model.__name__}.{name} ({kind.base!r}) has no editor widget; add one to "
                        "publisher/outputs/cms.py (widget_for) so the web editor can fill it in")


def _list_widget(model: type[BaseModel], name: str, item: Any, taxonomy: Taxonomy) -> dict:
    inner = unwrap(item)
    if is_model(inner.base):
        return {"widget": "list", "collapsed": True, "fields": model_fields(inner.base, taxonomy)}
    single = _widget_for_kind(model, name, inner, taxonomy, required=True)
    return {"widget": "list", "field": {"label": label_of(name), "name": name, **single}}


def _number_widget(kind: Kind) -> dict:
    config: dict[str, Any] = {"widget": "number", "value_type": "int"}
    lowest, highest = kind.constraint(annotated_types.Ge), kind.constraint(annotated_types.Le)
    if lowest is not None:
        config["min"] = lowest.ge
    if highest is not None:
        config["max"] = highest.le
    return config


def _text_widget(name: str, kind: Kind) -> dict:
    longest = kind.constraint(annotated_types.MaxLen)
    rule = next((TEXT_RULES[check] for check in kind.validators if check in TEXT_RULES), None)
    if rule:
        return {"widget": "string", "pattern": [rule.pattern, f"{name}: {rule.message}"], "hint": rule.hint}
    one_line = models._one_line in kind.validators or not longest or longest.max_length <= ONE_LINE_LIMIT
    config: dict[str, Any] = {"widget": "string" if one_line else "text"}
    if longest:
        limit = longest.max_length
        # The text must also hold something besides spaces: `publisher check` calls blank text empty.
        line = r"[^\n]" if one_line else r"[\s\S]"
        config["pattern"] = [rf"^(?=[\s\S]*\S){line}{{1,{limit}}}$",
                             f"{name}: is over the limit of {limit} characters; shorten it"]
        config["hint"] = f"{'One line, a' if one_line else 'A'}t most {limit} characters."
    return config


def body_field() -> dict:
    # Sections start at ##, so the toolbar offers no top-level heading; image alt text is asked for by the
    # image component, and raw HTML in the preview is sanitised as the build sanitises it.
    return {"label": "Body", "name": "body", "widget": "markdown", "required": False, "sanitize_preview": True,
            "buttons": ["bold", "italic", "link", "heading-two", "heading-three", "quote",
                        "bulleted-list", "numbered-list"],
            "editor_components": ["image"], "modes": ["rich_text", "raw"],
            "hint": "Start sections with a level-two heading. Link text must make sense on its own."}


@dataclass(frozen=True)
class CollectionSpec:
    """Where a content type's files live, and how the editor names new ones (our conventions, not Decap's)."""

    name: str
    label: str
    label_singular: str
    model: type[Strict]
    folder: str
    slug: str
    extra: dict = field(default_factory=dict)


COLLECTIONS = (
    # {{year}}-{{month}}-{{day}} come from the bulletin's own `date` field, so the name matches its date.
    CollectionSpec("bulletins", "Bulletins and news", "Bulletin", Bulletin, "bulletins",
                   "{{year}}-{{month}}-{{day}}-{{slug}}",
                   {"media_folder": "images", "public_folder": "images", "sortable_fields": ["date", "title"]}),
    # A folder each, with its downloads beside index.md.
    CollectionSpec("toolkits", "Toolkits", "Toolkit", Toolkit, "toolkits", "{{slug}}",
                   {"path": "{{slug}}/index", "media_folder": "", "public_folder": ""}),
    CollectionSpec("directory", "Directory entries", "Directory entry", DirectoryEntry, "content/directory",
                   "{{slug}}", {"media_folder": "", "public_folder": ""}),
    CollectionSpec("pages", "Pages", "Page", Page, "content", "{{slug}}",
                   {"media_folder": "", "public_folder": ""}),
)


def collection_config(spec: CollectionSpec, taxonomy: Taxonomy) -> dict:
    fields = model_fields(spec.model, taxonomy)
    if spec.model is Toolkit:
        _downloads_as_files(fields)
    return {"name": spec.name, "label": spec.label, "label_singular": spec.label_singular, "folder": spec.folder,
            "create": True, "extension": "md", "format": "yaml-frontmatter", "slug": spec.slug,
            "summary": "{{title}}", **spec.extra, "fields": fields + [body_field()]}


def _downloads_as_files(fields: list[dict]) -> None:
    """A toolkit download's `file` is a file in the toolkit's folder: the editor uploads it there."""
    downloads = next((entry for entry in fields if entry["name"] == "downloads"), None)
    for item in (downloads or {}).get("fields", []):
        if item["name"] == "file":
            item.update({"widget": "file", "choose_url": False,
                         "hint": "A form, template or guide in an accepted type (see the README), at most 10 MB."})
            item.pop("pattern", None)


def repository(repo_url: str | None) -> str | None:
    """owner/name from mkdocs.yml's repo_url, when it is a GitHub address."""
    match = GITHUB_REPO.match((repo_url or "").strip())
    return match["repo"] if match else None


def cms_config(taxonomy: Taxonomy, repo_url: str | None, site_url: str | None) -> dict:
    config: dict[str, Any] = {
        "backend": {"name": "github", "repo": repository(repo_url) or PLACEHOLDER_REPO, "branch": "main",
                    "squash_merges": True},
        # Only on localhost or 127.0.0.1 (`make cms`): Decap then writes through decap-server into the working copy.
        "local_backend": True,
        # Drafts and reviews live on branches, off the site; "Ready", then Publish, merges into main.
        "publish_mode": "editorial_workflow",
        "media_folder": "bulletins/images",
        "public_folder": "images",
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [collection_config(spec, taxonomy) for spec in COLLECTIONS],
    }
    if site_url:
        config["site_url"] = site_url
        config["display_url"] = site_url
    return config


CONFIG_HEADER = """\
# Written by `publisher build` and `publisher cms` from publisher/content/models.py and content/taxonomy.yml.
# Do not edit: change the models or the taxonomy, and build again. See the README, "The web editor".
"""


def config_yaml(config: dict) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's, where PyYAML has it: the same text, 5x sooner
    return CONFIG_HEADER + yaml.dump(config, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)


class _Stylesheets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "link" and (found.get("rel") or "").lower() == "stylesheet" and found.get("href"):
            self.hrefs.append(found["href"] or "")


def site_stylesheets(site_dir: Path) -> list[str]:
    """The stylesheets the home page links, as addresses relative to /admin/, for the editor's preview."""
    home = site_dir / "index.html"
    if not home.is_file():
        return []
    parser = _Stylesheets()
    parser.feed(home.read_text(encoding="utf-8"))
    return [href if re.match(r"[a-z]+:|/", href) else "../" + href for href in parser.hrefs]


def editor_settings(site_dir: Path) -> dict:
    """What admin/admin.js needs, handed over as JSON in the page (CSP forbids inline script)."""
    return {"stylesheets": site_stylesheets(site_dir),
            "messages": {"required": f"%{{fieldLabel}}: {REQUIRED_MESSAGE}",
                         "processing": f"%{{fieldLabel}}: {MEDIA_MESSAGE}"},
            "previews": [spec.name for spec in COLLECTIONS]}


def admin_page(site_name: str, settings: dict) -> str:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                              bytecode_cache=compiled_templates)
    environment.filters["script_json"] = script_json
    return environment.get_template("admin.html").render(site_name=site_name, settings=settings)


def write_config(site_dir: Path, taxonomy: Taxonomy, repo_url: str | None, site_url: str | None) -> Path:
    target = site_dir / ADMIN / "config.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(config_yaml(cms_config(taxonomy, repo_url, site_url)), encoding="utf-8")
    return target


def write_admin(site_dir: Path, taxonomy: Taxonomy, site_name: str, repo_url: str | None,
                site_url: str | None) -> None:
    """The editor's page and config; MkDocs has already copied the vendored bundle and admin.js from the theme."""
    write_config(site_dir, taxonomy, repo_url, site_url)
    (site_dir / ADMIN / "index.html").write_text(admin_page(site_name, editor_settings(site_dir)), encoding="utf-8")


EDITOR_PATTERN = f"/{ADMIN}/*"


def editor_policy() -> str:
    """What Decap CMS needs to run, and nothing more; each exception to the site's policy says why."""
    directives = {
        "default-src": ["'self'"],
        # Decap validates its config with Ajv, which compiles each schema with `new Function`.
        "script-src": ["'self'", "'unsafe-eval'"],
        # Its React components style themselves by writing <style> elements at run time (Emotion).
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", "https://api.github.com"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def editor_headers() -> dict[str, dict[str, str]]:
    """The editor's own headers in `_headers`, in place of the site's policy (see hosting.security_rules)."""
    return {EDITOR_PATTERN: {"Content-Security-Policy": editor_policy(), "X-Robots-Tag": "noindex, nofollow"}}
