"""The web editor (Decap CMS at /admin/): its config generated from the models and taxonomy, the vendored bundle,
its place on the built site and its own Content-Security-Policy, and real editing through decap-server in Chromium."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import socket
import subprocess
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from browser_support import header_rules, matching_headers, serve
from sitekit import ROOT, bulletin, build, make_site, run_publisher
from test_build import ENTRY

from publisher.content import models
from publisher.content.models import Bulletin, DirectoryEntry, Page, Taxonomy, Toolkit
from publisher.outputs import cms

VENDORED = ROOT / "publisher" / "theme" / "admin" / "decap"
DECAP_SERVER = ROOT / "node_modules" / ".bin" / "decap-server"
COLLECTION_MODELS = {"bulletins": Bulletin, "toolkits": Toolkit, "directory": DirectoryEntry, "pages": Page}


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    from sitekit import taxonomy_text

    return Taxonomy.model_validate(yaml.safe_load(taxonomy_text()))


@pytest.fixture(scope="module")
def config(taxonomy) -> dict:
    return cms.cms_config(taxonomy, "https://github.com/example-org/bulletins.git", "https://example.org/")


def collection(config: dict, name: str) -> dict:
    return next(entry for entry in config["collections"] if entry["name"] == name)


# -- the config mirrors the models ------------------------------------------------------------------------------

def expected_widget(model, name: str) -> str:
    """The widget a field's type calls for, worked out independently of cms.widget_for."""
    if name in getattr(model, "taxonomy_fields", {}):
        return "select"
    kind = cms.unwrap(model.model_fields[name].annotation, tuple(model.model_fields[name].metadata))
    origin = typing.get_origin(kind.base)
    if origin is list:
        return "list"
    if origin is typing.Literal:
        return "select"
    if cms.is_model(kind.base):
        return "object"
    return {str: "string", int: "number", bool: "boolean"}.get(kind.base, "datetime")


def assert_fields_mirror(model, fields: list[dict]) -> None:
    by_name = {entry["name"]: entry for entry in fields}
    assert set(model.model_fields) <= set(by_name), f"{model.__name__}: not in the editor config"
    for name, info in model.model_fields.items():
        entry = by_name[name]
        assert entry["widget"] in (expected_widget(model, name), "text", "file"), (model.__name__, name, entry)
        assert entry["required"] == info.is_required(), (model.__name__, name)
        kind = cms.unwrap(info.annotation)
        nested = typing.get_args(kind.base)[0] if typing.get_origin(kind.base) is list else kind.base
        nested = cms.unwrap(nested).base
        if cms.is_model(nested) and (info.is_required() or entry["widget"] == "list"):
            assert_fields_mirror(nested, entry["fields"])
        elif cms.is_model(nested):  # an optional block: its fields are optional in the editor, checked on save
            assert_present(nested, entry["fields"])


def assert_present(model, fields: list[dict]) -> None:
    assert set(model.model_fields) == {entry["name"] for entry in fields}, model.__name__


@pytest.mark.parametrize("name", COLLECTION_MODELS)
def test_every_model_field_is_in_the_editor_with_a_matching_widget(config, name):
    fields = collection(config, name)["fields"]
    assert_fields_mirror(COLLECTION_MODELS[name], fields)
    assert fields[-1] == cms.body_field()


def test_a_field_added_to_a_model_appears_in_the_editor(taxonomy):
    class Extended(Bulletin):
        subtitle: models.Summary | None = None
        reviewed: models.Day

    fields = {entry["name"]: entry for entry in cms.model_fields(Extended, taxonomy)}
    assert fields["subtitle"]["widget"] == "string" and fields["subtitle"]["required"] is False
    assert fields["reviewed"] == {**fields["reviewed"], "widget": "datetime", "format": "YYYY-MM-DD",
                                  "required": True}


def test_a_field_the_editor_cannot_map_stops_the_build_with_its_name(taxonomy):
    class Odd(Page):
        weights: dict[str, float] = {}

    with pytest.raises(cms.UnmappedField, match=r"Odd\.weights .*add one to publisher/outputs/cms\.py"):
        cms.model_fields(Odd, taxonomy)


def test_select_options_are_the_taxonomy(config, taxonomy):
    for spec in cms.COLLECTIONS:
        fields = collection(config, spec.name)["fields"]
        for name, vocabulary in spec.model.taxonomy_fields.items():
            [entry] = [entry for entry in fields if entry["name"] == name]
            terms = getattr(taxonomy, vocabulary)
            assert entry["options"] == [{"label": term.label, "value": slug} for slug, term in terms.items()]
            assert entry.get("multiple", False) == (typing.get_origin(spec.model.model_fields[name].annotation) is list)
    opportunities = next(entry for entry in collection(config, "toolkits")["fields"] if entry["name"] == "opportunities")
    region = next(entry for entry in opportunities["fields"] if entry["name"] == "region")
    assert [option["value"] for option in region["options"]] == list(taxonomy.regions)


def test_literal_fields_offer_exactly_the_allowed_values(config):
    status = next(entry for entry in collection(config, "bulletins")["fields"] if entry["name"] == "status")
    allowed = typing.get_args(Bulletin.model_fields["status"].annotation)
    assert [option["value"] for option in status["options"]] == list(allowed)
    assert status["default"] == "published"


@pytest.mark.parametrize("model, field, good, bad", [
    (models.Link, "url", "https://example.org/a", "javascript:alert(1)"),
    (models.Contact, "email", "team@example.nhs.uk", "not an address"),
])
def test_patterns_agree_with_the_models_and_use_their_wording(taxonomy, model, field, good, bad):
    [entry] = [entry for entry in cms.model_fields(model, taxonomy) if entry["name"] == field]
    pattern, message = entry["pattern"]
    assert re.search(pattern, good) and not re.search(pattern, bad)
    other = {"title": "A title", "name": "A team", "url": "https://example.org/", "email": "a@b.org"}
    with pytest.raises(ValidationError) as raised:
        model.model_validate({**other, field: bad})
    assert message.removeprefix(f"{field}: ") in str(raised.value)


def test_length_limits_match_the_models(config):
    title = collection(config, "bulletins")["fields"][0]
    pattern = title["pattern"][0]
    assert re.search(pattern, "x" * 150) and not re.search(pattern, "x" * 151) and not re.search(pattern, "   ")
    with pytest.raises(ValidationError, match="150"):
        Bulletin.model_validate({"title": "x" * 151, "date": "2026-01-01", "summary": "s", "topics": ["covid-19"]})


def test_files_follow_our_conventions(config):
    bulletins, toolkits = collection(config, "bulletins"), collection(config, "toolkits")
    assert (bulletins["folder"], bulletins["slug"]) == ("bulletins", "{{year}}-{{month}}-{{day}}-{{slug}}")
    assert bulletins["media_folder"] == "images"  # bulletins/images/
    assert (toolkits["path"], toolkits["media_folder"]) == ("{{slug}}/index", "")  # downloads beside index.md
    downloads = next(entry for entry in toolkits["fields"] if entry["name"] == "downloads")
    assert next(entry for entry in downloads["fields"] if entry["name"] == "file")["widget"] == "file"
    assert config["publish_mode"] == "editorial_workflow" and config["local_backend"] is True
    assert config["backend"] == {**config["backend"], "name": "github", "repo": "example-org/bulletins"}


def test_decap_accepts_the_config_schema_keys(config):
    # Every key we write is one Decap documents for its widget; a typo would be silently ignored by Decap.
    known = {"label", "name", "required", "widget", "hint", "default", "pattern", "options", "multiple", "min",
             "max", "fields", "field", "collapsed", "format", "date_format", "time_format", "value_type",
             "choose_url", "buttons", "editor_components", "modes", "sanitize_preview"}

    def walk(fields):
        for entry in fields:
            assert set(entry) <= known, entry
            walk(entry.get("fields", []))
            walk([entry["field"]] if "field" in entry else [])

    for entry in config["collections"]:
        walk(entry["fields"])


# -- the vendored bundle ------------------------------------------------------------------------------------------

def test_the_vendored_bundle_matches_its_checksums():
    lines = (VENDORED / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# decap-cms 3.") and "integrity sha512-" in lines[0]
    listed = dict(reversed(line.split("  ", 1)) for line in lines[1:])
    present = {path.name for path in VENDORED.iterdir()} - {"SHA256SUMS"}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (VENDORED / "LICENSE.txt").read_text(encoding="utf-8")


# -- on the built site -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cms") / "source"
    files = {"bulletins/2026-10-01-autumn-update.md": bulletin("Autumn update", "2026-10-01"),
             "content/directory/mentoring-care-leavers.md": ENTRY}
    build(root, files)
    return root


def test_the_editor_is_published_but_never_listed(small_site):
    out = small_site / "out"
    page = (out / "admin/index.html").read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex, nofollow">' in page and "<script>" not in page
    assert (out / "admin/decap/decap-cms.js").is_file() and (out / "admin/config.yml").is_file()
    for listing in ("sitemap.xml", "manifest.json", "feed.xml", "bulletins/index.html", "index.html"):
        assert "admin" not in (out / listing).read_text(encoding="utf-8"), listing
    fragments = [gzip.decompress(path.read_bytes()) for path in (out / "pagefind").rglob("*.pf_fragment")]
    assert fragments and not any(b"admin/" in fragment for fragment in fragments)


def test_every_path_gets_exactly_one_policy_and_the_editor_its_own(small_site):
    out = small_site / "out"
    rules = header_rules(out)
    for path in ["/", "/admin/", "/admin/decap/decap-cms.js", "/bulletins/", "/index.html", "/feed.xml"]:
        policies = [value for name, value in matching_headers(rules, path) if name == "Content-Security-Policy"]
        assert len(policies) == 1, (path, policies)
    [editor] = [value for name, value in matching_headers(rules, "/admin/") if name == "Content-Security-Policy"]
    [site] = [value for name, value in matching_headers(rules, "/") if name == "Content-Security-Policy"]
    assert editor == cms.editor_policy() and "'unsafe-eval'" not in site and "unsafe-inline" not in site
    assert "connect-src 'self' https://api.github.com" in editor and "frame-ancestors 'none'" in editor
    assert dict(matching_headers(rules, "/admin/"))["X-Robots-Tag"] == "noindex, nofollow"


def test_publisher_cms_writes_the_config_with_the_repository(tmp_path):
    make_site(tmp_path)
    mkdocs = tmp_path / "mkdocs.yml"
    mkdocs.write_text(mkdocs.read_text() + "repo_url: https://github.com/example-org/bulletins\n")
    result = run_publisher("cms", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((tmp_path / "site/admin/config.yml").read_text(encoding="utf-8"))
    assert written["backend"]["repo"] == "example-org/bulletins"
    assert "site/admin/config.yml" in result.stdout


def test_publisher_cms_says_how_to_name_the_repository(tmp_path):
    make_site(tmp_path)
    result = run_publisher("cms", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "repo_url" in result.stderr and cms.PLACEHOLDER_REPO in (tmp_path / "site/admin/config.yml").read_text()


# -- in the browser ----------------------------------------------------------------------------------------------

CSP_PROBE = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


def test_the_editor_starts_under_its_own_policy(browser, small_site):
    with serve(small_site / "out", with_headers=True) as base:
        context = browser.new_context()
        context.add_init_script(CSP_PROBE)
        tab = context.new_page()
        response = tab.goto(base + "/admin/", wait_until="load")
        assert response.headers["content-security-policy"] == cms.editor_policy()
        tab.get_by_role("button", name="Login with GitHub").wait_for(timeout=60_000)
        # On 127.0.0.1 Decap looks for a local decap-server, which the live site's address never does.
        violations = [v for v in tab.evaluate("window.__csp") if not v.startswith("connect-src http://localhost:8081")]
        assert violations == []
        context.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def editing(browser, tmp_path, small_site):
    """A copy of the small site, decap-server writing into it, and its built site served: yields (copy, tab, base)."""
    if not DECAP_SERVER.exists():
        if os.environ.get("CI"):
            pytest.fail("decap-server is missing; run 'make test', which installs the npm packages")
        pytest.skip("decap-server is missing; run 'npm ci' (make test does) to install it")
    copy = tmp_path / "copy"
    shutil.copytree(small_site, copy, ignore=shutil.ignore_patterns("out"))
    out = tmp_path / "out"
    shutil.copytree(small_site / "out", out)
    port = free_port()
    config = out / "admin/config.yml"
    config.write_text(config.read_text().replace("local_backend: true",
                                                 f"local_backend:\n  url: http://127.0.0.1:{port}/api/v1"))
    server = subprocess.Popen([str(DECAP_SERVER)], cwd=copy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PORT": str(port), "GIT_REPO_DIRECTORY": str(copy)})
    try:
        with serve(out) as base:
            context = browser.new_context(timezone_id="Europe/London")
            tab = context.new_page()
            tab.set_default_timeout(60_000)
            yield copy, tab, base
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def open_editor(tab, base: str, route: str) -> None:
    tab.goto(f"{base}/admin/#/{route}", wait_until="load")
    tab.get_by_role("button", name="Login").click()


def choose(tab, label: str, option: str) -> None:
    tab.get_by_label(label, exact=True).click()
    tab.get_by_role("option", name=option, exact=True).click()


def publish(tab) -> None:
    tab.get_by_role("button", name="Publish").first.click()
    tab.get_by_text("Publish now", exact=True).click()


def test_a_bulletin_written_in_the_editor_passes_the_checks(editing):
    copy, tab, base = editing
    open_editor(tab, base, "collections/bulletins/new")
    tab.get_by_label("Title", exact=True).fill("Winter placements: what's new?")
    tab.get_by_label("Date", exact=True).fill("2026-11-20T09:30")
    tab.get_by_label("Summary", exact=True).fill("New placements for the winter term.")
    choose(tab, "Topics", "Mental health")
    choose(tab, "Topics", "Work experience")
    body = tab.locator("[aria-label='markdown field']")
    body.get_by_role("switch").click()  # from "Rich Text" to "Markdown": the body as plain Markdown
    body.get_by_role("textbox").click()
    tab.keyboard.type("## What changes\n\nRead the [placement guide](https://www.healthcareers.nhs.uk/guide) before you apply.")
    publish(tab)
    target = copy / "bulletins/2026-11-20-winter-placements-whats-new.md"
    tab.wait_for_url(re.compile("/entries/"), timeout=60_000)
    assert target.is_file(), sorted(p.name for p in (copy / "bulletins").iterdir())
    written = yaml.safe_load(target.read_text(encoding="utf-8").split("---")[1])
    assert written["topics"] == ["mental-health", "work-experience"]
    assert all(value not in ("", None, [], {}) for value in written.values()), written  # no empty fields left
    assert "## What changes" in target.read_text() and "(https://www.healthcareers.nhs.uk/guide)" in target.read_text()
    check = run_publisher("check", "--strict", cwd=copy)
    assert check.returncode == 0, check.stdout + check.stderr


def test_editing_a_directory_entry_changes_its_region(editing):
    copy, tab, base = editing
    open_editor(tab, base, "collections/directory/entries/mentoring-care-leavers")
    tab.get_by_label("Title", exact=True).wait_for()
    choose(tab, "Region", "London")
    publish(tab)
    source = copy / "content/directory/mentoring-care-leavers.md"
    tab.get_by_text("Entry saved", exact=False).wait_for(timeout=60_000)
    assert "region: london" in source.read_text(encoding="utf-8")
    check = run_publisher("check", "--strict", cwd=copy)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_required_field_left_empty_is_refused_in_our_words(editing):
    copy, tab, base = editing
    open_editor(tab, base, "collections/bulletins/new")
    tab.get_by_label("Summary", exact=True).fill("A summary without a title.")
    publish(tab)
    tab.get_by_text(f"Title: {cms.REQUIRED_MESSAGE}").wait_for()
    assert sorted(p.name for p in (copy / "bulletins").iterdir()) == ["2026-10-01-autumn-update.md"]
