"""Only files our pipeline loaded and checked reach the site (issues 15 and 16).

Symbolic links, stray files, web pages and scripts, SVGs that run script, other Markdown endings, oversized or
misnamed downloads, and the attachments of drafts and scheduled bulletins: each is refused or held back, with its
file and line, and the tests walk the built site to show what was (and was not) published.
"""

from __future__ import annotations

import gzip
import os
from datetime import datetime
from pathlib import Path

import pytest

from browser_support import serve
from publisher.content.assets import MAX_BYTES
from publisher.outputs.build import _mkdocs
from publisher.dates import LONDON
from publisher.content.sources import asset_url
from publisher.content.validate import load_site
from sitekit import ROOT, build, bulletin, make_site, run_publisher, toolkit

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=LONDON)
DOCX = b"PK\x03\x04" + b"0" * 2000
PDF = b"%PDF-1.4\n" + b"0" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100
SECRET = "okapisecretmarmoset"  # held by files outside the site folder: must never reach any output
LINK_ADVICE = "links are not published — copy the file here instead"
DOWNLOAD_LINE = 10  # the `file:` line of the toolkit's first download (sitekit.toolkit)
CLEAN_SVG = """\
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="120" height="60" viewBox="0 0 120 60">
  <title>Places filled</title>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#005eb8"/></linearGradient></defs>
  <style>rect { stroke: #003087; }</style>
  <inkscape:layer id="layer1"/>
  <a href="#bar"><rect id="bar" width="100" height="40" fill="url(#g)"/></a>
  <use xlink:href="#bar" x="10"/>
  <set attributeName="fill" to="red" begin="0s"/>
</svg>
"""


def svg(inner: str, attributes: str = "") -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg"{attributes}>\n{inner}\n</svg>\n'


def findings_for(root: Path, files: dict[str, str | bytes]) -> list[str]:
    make_site(root, files)
    _site, findings = load_site(root, now=NOW)
    return [finding.as_text() for finding in findings.sorted()]


def errors_for(root: Path, files: dict[str, str | bytes]) -> list[str]:
    return [text for text in findings_for(root, files) if ": error: " in text]


def attachments_for(root: Path, files: dict[str, str | bytes]) -> dict[str, bool]:
    make_site(root, files)
    site, findings = load_site(root, now=NOW)
    assert site is not None and not findings.has_errors(), [f.as_text() for f in findings.errors]
    return {attachment.rel: attachment.published for attachment in site.attachments}


def cli(root: Path, *args: str, env: dict[str, str] | None = None):
    result = run_publisher(*args, cwd=root, env=env)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def failed_build(root: Path, files: dict[str, str | bytes], env: dict[str, str] | None = None) -> str:
    """Build into root/out, expecting the content errors to stop it; returns everything printed."""
    make_site(root, files)
    result = cli(root, "build", "--site-dir", str(root / "out"), env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The build stopped; the previous site was left as it was." in result.stderr
    return result.stdout + result.stderr


def output_files(site: Path) -> dict[str, bytes]:
    """Every output file's bytes, gzip-compressed ones (Pagefind, .gz) decompressed."""
    files = {}
    for path in site.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            files[path.relative_to(site).as_posix()] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return files


def published_files(site: Path, root: Path) -> set[str]:
    """The output files (walking the whole built site) that come from a file under the site's source folders."""
    addresses = {}
    for folder in ("bulletins", "toolkits", "content"):
        for here, folders, names in os.walk(root / folder):
            for name in folders + names:
                rel = (Path(here) / name).relative_to(root).as_posix()
                addresses[asset_url(rel)] = rel
    return {rel for rel in output_files(site) if rel in addresses}


def assert_secret_nowhere(*places: Path | str) -> None:
    hostname = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").is_file() else b""
    for place in places:
        if isinstance(place, str):
            assert SECRET not in place
            continue
        for rel, data in output_files(place).items() if place.exists() else []:
            assert SECRET.encode() not in data, rel
            assert "hostname" not in rel and (not hostname.strip() or data != hostname), rel
            if len(hostname.strip()) >= 8:  # a short host name ("vm") occurs anywhere by chance
                assert hostname.strip() not in data, rel


@pytest.fixture()
def outside(tmp_path) -> Path:
    """A folder beside (not inside) the site folder, holding a secret file and a Markdown source."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n")
    (folder / "2022-05-05-leak.md").write_text(bulletin("Leak", "2022-05-05", body=f"{SECRET}\n"))
    return folder


@pytest.fixture()
def site(tmp_path) -> Path:
    return tmp_path / "site"


@pytest.fixture()
def in_process_build(site):
    """For tests that run MkDocs in this process: MkDocs keeps one plugin object per process (for `mkdocs serve`),
    so the site handed to it must not outlive the test."""
    yield
    from mkdocs.config import load_config

    load_config(str(site / "mkdocs.yml")).plugins["publisher"].validated = None


def dental(tail: str = "", body: str = "## Before the placement\n\nPlan ahead.\n") -> dict[str, str | bytes]:
    return {"toolkits/dental/index.md": toolkit(tail, body), "toolkits/dental/application-form.docx": DOCX}


# --- 1. Symbolic links --------------------------------------------------------------------------------------------


def test_shipped_content_has_no_links():
    for folder in ("bulletins", "toolkits", "content"):
        for here, folders, names in os.walk(ROOT / folder):
            for name in folders + names:
                assert not (Path(here) / name).is_symlink(), Path(here) / name


def test_link_to_a_file_outside_the_site_is_refused_and_the_old_site_kept(site, outside):
    build(site, dental())
    before = output_files(site / "out")
    (site / "toolkits/dental/hostname.txt").symlink_to("/etc/hostname")
    (site / "toolkits/dental/secret.txt").symlink_to(outside / "secret.txt")
    (site / "bulletins").mkdir()
    (site / "bulletins/environ.txt").symlink_to("/proc/self/environ")  # the build's own environment
    printed = failed_build(site, {}, env={"PUBLISHER_TEST_SECRET": SECRET})
    assert ("toolkits/dental/hostname.txt:1: error: file: is a link to a file outside the site folder "
            f"(/etc/hostname); {LINK_ADVICE}") in printed
    assert "bulletins/environ.txt:1: error: file: is a link to a file outside the site folder (/proc/" in printed
    assert (f"toolkits/dental/secret.txt:1: error: file: is a link to a file outside the site folder "
            f"({outside.resolve() / 'secret.txt'}); {LINK_ADVICE}") in printed
    assert output_files(site / "out") == before
    assert_secret_nowhere(site / "out", printed)


def test_linked_file_listed_as_a_download_is_refused_at_the_link_and_the_listing(site, outside):
    files = dental("  - title: Secret\n    file: secret.txt\n    kind: guide\n    summary: The secret.\n")
    make_site(site, files)
    (site / "toolkits/dental/secret.txt").symlink_to(outside / "secret.txt")
    printed = failed_build(site, {})
    assert "toolkits/dental/secret.txt:1: error: file: is a link to a file outside the site folder" in printed
    assert (f'toolkits/dental/index.md:14: error: the 2nd download\'s file: "secret.txt" is a link '
            f"(toolkits/dental/secret.txt), not a file; {LINK_ADVICE}") in printed
    assert_secret_nowhere(site / "out", printed)


@pytest.mark.parametrize("listed", [False, True])
def test_link_to_a_folder_outside_the_site_is_refused(site, outside, listed):
    tail = "  - title: Secret\n    file: papers/secret.txt\n    kind: guide\n    summary: The secret.\n"
    make_site(site, dental(tail if listed else ""))
    (site / "toolkits/dental/papers").symlink_to(outside, target_is_directory=True)
    (site / "toolkits/dental/system").symlink_to("/etc", target_is_directory=True)
    printed = failed_build(site, {})
    assert (f"toolkits/dental/papers:1: error: file: is a link to a folder outside the site folder "
            f"({outside.resolve()}); {LINK_ADVICE}") in printed
    assert "toolkits/dental/system:1: error: file: is a link to a folder outside the site folder (/etc)" in printed
    download_error = ('toolkits/dental/index.md:14: error: the 2nd download\'s file: "papers/secret.txt" is a link '
                      f"(toolkits/dental/papers), not a file; {LINK_ADVICE}")
    assert (download_error in printed) is listed
    assert_secret_nowhere(site / "out", printed)


def test_linked_markdown_sources_and_source_folders_are_never_read(site, outside, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/2022-05-06-other.md").write_text(bulletin("Other", "2022-05-06", body=f"{SECRET}\n"))
    make_site(site, {})
    (site / "content/leak.md").symlink_to(outside / "2022-05-05-leak.md")
    (site / "bulletins").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    printed = failed_build(site, {})
    assert "content/leak.md:1: error: file: is a link to a file outside the site folder" in printed
    assert "bulletins:1: error: file: is a link to a folder outside the site folder" in printed
    assert "Leak" not in printed and "Other" not in printed
    assert_secret_nowhere(site / "out", printed)


def test_links_inside_the_site_are_refused_too(site):
    make_site(site, dental())
    (site / "toolkits/dental/copy.docx").symlink_to("application-form.docx")
    (site / "content/broken.pdf").symlink_to("nowhere.pdf")
    results = errors_for(site, {})
    assert results == [
        "content/broken.pdf:1: error: file: is a link to nowhere.pdf, which does not exist; links are not "
        "published — delete it",
        f"toolkits/dental/copy.docx:1: error: file: is a link to the file toolkits/dental/application-form.docx; "
        f"{LINK_ADVICE}",
    ]


def test_a_body_link_through_a_link_names_the_line(site, outside):
    make_site(site, {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body="Read [the notes](notes.txt).\n")})
    (site / "bulletins/notes.txt").symlink_to(outside / "secret.txt")
    results = errors_for(site, {})
    assert results == [
        'bulletins/2022-02-02-a.md:8: error: link: "notes.txt" is a link (bulletins/notes.txt), not a file; '
        f"{LINK_ADVICE}",
        "bulletins/notes.txt:1: error: file: is a link to a file outside the site folder "
        f"({outside.resolve() / 'secret.txt'}); {LINK_ADVICE}",
    ]


def test_files_appearing_after_the_check_are_still_not_published(site, outside, in_process_build):
    """MkDocs walks content/ itself; the plugin drops all it finds there and copies only the checked attachments."""
    make_site(site, {**dental(), "content/about.md": "---\ntitle: About\n---\n\nAbout us.\n"})
    checked, findings = load_site(site, now=NOW)
    assert checked is not None and not findings.has_errors()
    late = {"content/late.markdown": "# Late\n\n<script>alert(1)</script>\n", "content/late.html": "<script>x</script>",
            "content/notes.mkd": "# Notes\n", "toolkits/dental/late.pdf": PDF, "content/acronyms.yml": "known: []\n"}
    for rel, text in late.items():
        (site / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    (site / "content/secret.txt").symlink_to(outside / "secret.txt")
    (site / "toolkits/dental/hostname").symlink_to("/etc/hostname")
    _mkdocs(site / "mkdocs.yml", site / "out", checked)
    assert published_files(site / "out", site) == {"toolkits/dental/application-form.docx"}
    for rel in ("late", "notes", "late.markdown", "late.html", "notes.mkd", "acronyms.yml", "secret.txt",
                "toolkits/dental/late.pdf", "toolkits/dental/hostname"):
        assert not (site / "out" / rel).exists(), rel
    sitemap = (site / "out/sitemap.xml").read_text()
    assert "late" not in sitemap and "notes" not in sitemap
    assert_secret_nowhere(site / "out")


# --- 2 and 3. Only files a published source uses ------------------------------------------------------------------


def test_unused_files_warn_and_are_not_published(site):
    files = {**dental(), "toolkits/dental/old-form.docx": DOCX, "bulletins/spare.pdf": PDF,
             "content/images/logo.png": PNG, "content/acronyms.yml": "known: [WHO]\n"}
    out = build(site, files)
    result = cli(site, "check")
    assert result.returncode == 0
    warnings = [line for line in result.stdout.splitlines() if ": warning: file:" in line]
    message = "not used by any published page, so it is not published; link to it or delete it"
    assert warnings == [f"bulletins/spare.pdf:1: warning: file: {message}",
                        f"content/images/logo.png:1: warning: file: {message}",
                        f"toolkits/dental/old-form.docx:1: warning: file: {message}"]
    assert published_files(out, site) == {"toolkits/dental/application-form.docx"}


def test_files_a_published_source_links_to_are_published_at_their_addresses(site):
    files = {**dental(body="## Forms\n\nThe [placement guide (PDF, 2 KB)](guide.pdf).\n"),
             "toolkits/dental/guide.pdf": PDF,
             "bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body="![A chart of places](chart.png)\n"),
             "bulletins/chart.png": PNG,
             "content/about.md": "---\ntitle: About\n---\n\n![Our team](images/team.png)\n",
             "content/images/team.png": PNG}
    out = build(site, files)
    assert published_files(out, site) == {"toolkits/dental/application-form.docx", "toolkits/dental/guide.pdf",
                                    "bulletins/files/chart.png", "images/team.png"}
    assert (out / "bulletins/files/chart.png").read_bytes() == PNG


def test_settings_files_are_never_published(site):
    out = build(site, {"content/acronyms.yml": "known: [WHO]\n"})
    assert not (out / "taxonomy.yml").exists() and not (out / "acronyms.yml").exists()


def test_attachments_of_drafts_and_scheduled_bulletins_wait(site):
    files = {
        "bulletins/2022-02-02-live.md": bulletin("Live", "2022-02-02", body="The [shared plan](shared-plan.pdf).\n"),
        "bulletins/2022-03-01-draft.md": bulletin(
            "Draft", "2022-03-01", extra="status: draft\n",
            body="The [embargoed report](embargoed-report.pdf) and [shared plan](shared-plan.pdf).\n"),
        "bulletins/2027-01-01-future.md": bulletin("Future", "2027-01-01",
                                                   body="![Embargoed chart](embargoed-chart.png)\n"),
        "bulletins/shared-plan.pdf": PDF, "bulletins/embargoed-report.pdf": PDF, "bulletins/embargoed-chart.png": PNG,
    }
    assert attachments_for(site, files) == {"bulletins/shared-plan.pdf": True, "bulletins/embargoed-report.pdf": False,
                                            "bulletins/embargoed-chart.png": False}
    assert not [text for text in findings_for(site, files) if "not used" in text]
    out = build(site, files)
    assert published_files(out, site) == {"bulletins/files/shared-plan.pdf"}
    for rel, data in output_files(out).items():  # pages, feeds, sitemap, manifest, the Pagefind index
        assert b"embargoed" not in data, rel


def test_previews_in_mkdocs_serve_copy_the_files_of_drafts_and_builds_do_not(site, in_process_build):
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    files = {"bulletins/2022-03-01-draft.md": bulletin("Draft", "2022-03-01", extra="status: draft\n",
                                                       body="![Embargoed chart](embargoed-chart.png)\n"),
             "bulletins/embargoed-chart.png": PNG, **dental()}
    make_site(site, files)
    checked, _findings = load_site(site, now=NOW)
    for command, expected in (("build", {"toolkits/dental/application-form.docx"}),
                              ("serve", {"toolkits/dental/application-form.docx",
                                         "bulletins/files/embargoed-chart.png"})):
        config = load_config(str(site / "mkdocs.yml"))
        # As `publisher build` does; MkDocs also keeps one plugin object per process, so set it every time.
        config.plugins["publisher"].validated = checked
        config.plugins.on_startup(command=command, dirty=False)
        config = config.plugins.on_config(config)
        chosen = config.plugins.on_files(Files([]), config=config)
        config.plugins.on_shutdown()
        assert {file.src_uri for file in chosen if file.src_dir is None and not file.src_uri.endswith(".md")} == expected


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("../mkdocs.yml", "is not in bulletins/, toolkits/ or content/, so it cannot be published"),
        ("../content/taxonomy.yml", "holds the site's settings and is not published; remove the link"),
        (".env", "starts with a dot or is in a folder whose name does; such files (.env, .DS_Store, .git…) are never "
                 "published, not even when linked"),
        (".git/config", "starts with a dot or is in a folder whose name does"),
    ],
)
def test_links_to_files_that_are_never_published(site, written, problem):
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body=f"See [the file]({written}).\n"),
             "bulletins/.env": "SECRET=1\n", "bulletins/.git/config": "[core]\n"}
    result = errors_for(site, files)
    assert len(result) == 1 and result[0].startswith(f'bulletins/2022-02-02-a.md:8: error: link: "{written}" {problem}')


def test_dotfiles_are_ignored_unless_used_and_never_published(site):
    files = {**dental("  - title: Settings\n    file: .env\n    kind: guide\n    summary: Settings.\n"),
             "toolkits/dental/.env": f"TOKEN={SECRET}\n", "bulletins/.DS_Store": b"\0\0\0\1Bud1",
             "content/.hidden/page.md": "---\ntitle: Hidden\n---\n\nHidden.\n"}
    assert errors_for(site, files) == [
        'toolkits/dental/index.md:14: error: the 2nd download\'s file: ".env" starts with a dot or is in a folder whose '
        "name does; such files (.env, .DS_Store, .git…) are never published, not even when linked; rename the file "
        "or remove the link"]
    files["toolkits/dental/index.md"] = toolkit("")
    out = build(site, files)
    assert published_files(out, site) == {"toolkits/dental/application-form.docx"}
    assert not (out / "hidden").exists()
    assert_secret_nowhere(out)


def test_attachments_sharing_an_address_are_refused(site):
    files = {**dental(body="## Forms\n\n[Guide](guide.pdf) and [the other guide](../../content/toolkits/dental/"
                           "guide.pdf).\n"),
             "toolkits/dental/guide.pdf": PDF, "content/toolkits/dental/guide.pdf": PDF}
    assert errors_for(site, files) == [
        "content/toolkits/dental/guide.pdf:1: error: file: this publishes at /toolkits/dental/guide.pdf, the same "
        "address as toolkits/dental/guide.pdf; rename or move one of them",
        "toolkits/dental/guide.pdf:1: error: file: this publishes at /toolkits/dental/guide.pdf, the same address "
        "as content/toolkits/dental/guide.pdf; rename or move one of them"]


def test_a_theme_file_hidden_by_content_is_restored(site):
    theme_favicon = output_files(build(site / "plain", {}))["assets/images/favicon.png"]
    out = build(site / "shadowed", {"content/assets/images/favicon.png": PNG})
    assert (out / "assets/images/favicon.png").read_bytes() == theme_favicon


# --- 4. Other Markdown endings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", ["content/evil.markdown", "content/notes.mdown", "bulletins/2022-02-02-x.mkd",
                                 "toolkits/dental/extra.mkdn", "content/wiki.mdwn", "content/about.MD"])
def test_other_markdown_endings_are_refused(site, rel):
    text = "---\ntitle: Sneaky\n---\n\n<script>alert(1)</script>\n"
    stem = Path(rel).stem
    assert errors_for(site, {**dental(), rel: text}) == [
        f'{rel}:1: error: file: Markdown files must end in .md; rename it to "{stem}.md" so it is checked and '
        "published like every other page"]


def test_other_markdown_endings_stop_the_build(site):
    printed = failed_build(site, {"content/evil.markdown": "# Evil\n\n<script>alert(1)</script>\n"})
    assert 'content/evil.markdown:1: error: file: Markdown files must end in .md; rename it to "evil.md"' in printed
    assert not (site / "out").exists()


# --- 5. Active files and content that does not match its name -----------------------------------------------------


@pytest.mark.parametrize("rel", ["bulletins/page.html", "toolkits/dental/app.js", "content/page.xhtml",
                                 "bulletins/style.css", "bulletins/feed.xml", "bulletins/old.swf",
                                 "content/shell.php", "bulletins/page.htm", "bulletins/module.mjs",
                                 "bulletins/pack.zip", "toolkits/dental/README"])
def test_files_of_other_types_are_refused_naming_the_accepted_types(site, rel):
    ending = f"ending {Path(rel).suffix}" if Path(rel).suffix else "without an ending such as .pdf"
    assert errors_for(site, {**dental(), rel: "<script>alert(document.domain)</script>\n"}) == [
        f"{rel}:1: error: file: files {ending} are not published, because web pages, scripts and unknown files "
        "could run code on the site or mislead readers; the accepted types are pdf, doc, docx, xls, xlsx, ppt, "
        "pptx, odt, ods, odp, rtf, csv, txt, png, jpg, jpeg, gif, webp, svg; convert the file to one of them"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("chart.png", b"<html><script>alert(1)</script></html>", "not really a PNG image, although its name ends "
                                                                 ".png: it looks like a web page, SVG or XML file"),
        ("guide.pdf", DOCX, "not really a PDF document, although its name ends .pdf: it looks like a zip archive or "
                            "an Office document"),
        ("form.docx", PDF, "not really a Word document, although its name ends .docx: it looks like a PDF document"),
        ("photo.jpg", PNG, "not really a JPEG image, although its name ends .jpg: it looks like a PNG image"),
        ("notes.txt", b"  <!DOCTYPE html><script>alert(1)</script>", "not really a plain text file, although its "
                                                                     "name ends .txt: it looks like a web page"),
        ("data.csv", b"a,b\0c", "not really a CSV file, although its name ends .csv: it looks like something else"),
        ("empty.pdf", b"", "the file is empty; export it again or delete it"),
    ],
)
def test_content_must_match_the_name(site, name, content, expected):
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body=f"[The file]({name})\n"),
             f"bulletins/{name}": content}
    result = errors_for(site, files)
    assert len(result) == 1 and result[0].startswith(f"bulletins/{name}:1: error: file: "), result
    assert expected in result[0]


def test_accepted_types_with_matching_content_pass(site):
    samples = {"a.pdf": PDF, "b.docx": DOCX, "c.xlsx": DOCX, "d.odt": DOCX, "e.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a"
               b"\xe1" + b"0" * 50, "f.rtf": b"{\\rtf1 Hello}", "g.csv": "name,places\nDental,4\n",
               "h.txt": "Plain notes.\n", "i.png": PNG, "j.jpeg": b"\xff\xd8\xff\xe0" + b"0" * 50,
               "k.gif": b"GIF89a" + b"0" * 50, "l.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"0" * 50,
               "m.svg": CLEAN_SVG}
    body = "\n".join(f"- [File {name}]({name})" for name in samples) + "\n"
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body=body),
             **{f"bulletins/{name}": data for name, data in samples.items()}}
    assert errors_for(site, files) == []


@pytest.mark.parametrize(
    ("document", "line", "problem"),
    [
        (svg("<script>alert(document.domain)</script>"), 2, "the SVG contains a <script>, which would run on the site"),
        (svg("<rect/>", ' onload="alert(1)"'), 1, "the SVG has an onload attribute, which runs script"),
        (svg('<g>\n<rect width="5" onclick="alert(1)"/>\n</g>'), 3, "the SVG has an onclick attribute"),
        (svg("<foreignObject><div>Hi</div></foreignObject>"), 2, "the SVG contains a <foreignObject>"),
        (svg('<h:iframe xmlns:h="http://www.w3.org/1999/xhtml" src="https://evil.example/"/>'), 2,
         "the SVG contains HTML (<iframe>), which can run script"),
        (svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'), 2, "the SVG contains HTML"),
        (svg('<a href="javascript:alert(1)"><rect/></a>'), 2,
         'the SVG refers to "javascript:alert(1)", outside the image'),
        (svg('<image xmlns:x="http://www.w3.org/1999/xlink" x:href="https://tracker.example/p.png"/>'), 2,
         'the SVG refers to "https://tracker.example/p.png", outside the image'),
        (svg('<use href="other.svg#icon"/>'), 2, 'the SVG refers to "other.svg#icon", outside the image'),
        (svg('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a>'), 2,
         "the SVG animates the href attribute, which can run script"),
        (svg('<animate attributeName="xlink:href" values="javascript:alert(1)"/>'), 2,
         "the SVG animates the xlink:href attribute"),
        (svg("<style>@import url(https://evil.example/x.css);</style>"), 2, "the SVG's <style> loads other files"),
        (svg("<style>rect { fill: url('https://evil.example/p.svg#g') }</style>"), 2,
         "the SVG's <style> loads other files"),
        (svg('<rect style="fill: url(https://evil.example/p)"/>'), 2, "the SVG's style attribute loads another file"),
        (svg('<rect fill="&#x75;rl(https://evil.example/p)"/>'), 2, "the SVG's fill attribute loads another file"),
        (svg("<style>rect { fill: \\75rl(https://evil.example/p) }</style>"), 2, "the SVG's <style> loads other"),
        (svg('<rect style="background: image-set(\'https://evil.example/p.png\' 1x)"/>'), 2,
         "the SVG's style attribute loads another file"),
        ('<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="evil.xsl"?>\n' + svg("<rect/>"), 2,
         "the SVG has a processing instruction (<?xml-stylesheet …?>), which can load a style sheet"),
        ('<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY x SYSTEM "file:///etc/hostname">\n]>\n' + svg("&x;"), 2,
         "the SVG has a <!DOCTYPE>, which can pull in other files"),
        ("\n\n" + svg("<rect/>").replace("<rect/>", '<!ENTITY y "z">'), 4, "the SVG has a <!ENTITY>"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>', 1,
         "the file is not an SVG image (it does not start with <svg>)"),
        (svg("<rect>\n<g>\n</rect>"), 4, "the SVG could not be read"),
    ],
)
def test_svg_that_could_run_script_or_fetch_files_is_refused(site, document, line, problem):
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body="![A chart](chart.svg)\n"),
             "bulletins/chart.svg": document}
    result = errors_for(site, files)
    assert len(result) == 1, result
    assert result[0].startswith(f"bulletins/chart.svg:{line}: error: file: {problem}"), result[0]
    assert result[0].endswith("; export the image again as a plain, static SVG (in Inkscape: Save As › Plain SVG)")


def test_active_files_stop_a_real_build_and_nothing_is_published(site):
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body="![A chart](chart.svg) [page](page.html)\n"),
             "bulletins/chart.svg": svg("<script>alert(document.cookie)</script>"),
             "bulletins/page.html": "<script>alert(document.cookie)</script>",
             "content/evil.svg": svg("<rect/>", ' onload="alert(1)"')}
    printed = failed_build(site, files)
    assert "bulletins/chart.svg:2: error: file: the SVG contains a <script>" in printed
    assert "bulletins/page.html:1: error: file: files ending .html are not published" in printed
    assert "content/evil.svg:1: error: file: the SVG has an onload attribute" in printed
    assert not (site / "out").exists()


# --- 6. Size ------------------------------------------------------------------------------------------------------


def sized_pdf(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        stream.write(b"%PDF-1.7\n")
        stream.truncate(size)  # sparse: quick to write, the right size on disk


def test_files_over_ten_megabytes_are_refused(site):
    make_site(site, dental(body="## Guides\n\n[Big guide](big.pdf) and [largest guide](largest.pdf).\n"))
    sized_pdf(site / "toolkits/dental/big.pdf", MAX_BYTES)
    sized_pdf(site / "toolkits/dental/largest.pdf", 12 * 1024 * 1024 + 1)
    assert errors_for(site, {}) == [
        "toolkits/dental/largest.pdf:1: error: file: the file is 12.0 MB, over the limit of 10 MB; make it smaller "
        "(compress the images, or split the document) or publish it elsewhere and link to it"]


# --- 7. Download names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "part", "suggestion"),
    [
        ("Application Form.docx", "Application Form.docx", "application-form.docx"),
        ("FORM.DOCX", "FORM.DOCX", "form.docx"),
        ("café-menu.docx", "café-menu.docx", "cafe-menu.docx"),
        ("form?.docx", "form?.docx", "form.docx"),
        ("form#2.docx", "form#2.docx", "form-2.docx"),
        ("Forms/form.docx", "Forms", "forms"),
    ],
)
def test_download_names_must_work_in_web_addresses(site, name, part, suggestion):
    files = dental()
    files["toolkits/dental/index.md"] = files["toolkits/dental/index.md"].replace(
        "file: application-form.docx", f'file: "{name}"')
    files[f"toolkits/dental/{name}"] = DOCX
    result = errors_for(site, files)
    assert result == [
        f'toolkits/dental/index.md:{DOWNLOAD_LINE}: error: the 1st download\'s file: "{name}" has "{part}" in its name, '
        "which breaks web addresses; names may hold only lower-case letters, digits, hyphens, dots and "
        f'underscores, so rename it "{suggestion}" and write that name']


def test_download_name_problems_come_from_the_real_cli_without_traceback(site):
    files = dental()
    files["toolkits/dental/index.md"] = files["toolkits/dental/index.md"].replace(
        "file: application-form.docx", "file: Application Form.docx")
    files["toolkits/dental/Application Form.docx"] = DOCX
    make_site(site, files)
    result = cli(site, "check")
    assert result.returncode == 1
    assert (f'toolkits/dental/index.md:{DOWNLOAD_LINE}: error: the 1st download\'s file: "Application Form.docx" has '
            '"Application Form.docx" in its name') in result.stdout


def test_download_that_is_a_folder_is_refused(site):
    files = dental()
    files["toolkits/dental/index.md"] = files["toolkits/dental/index.md"].replace(
        "file: application-form.docx", "file: forms")
    files["toolkits/dental/forms/a.docx"] = DOCX
    assert f'toolkits/dental/index.md:{DOWNLOAD_LINE}: error: the 1st download\'s file: "forms" is a folder, not a file; ' \
           "give the name of one file in it" in errors_for(site, files)


# --- The clean SVG in a real browser --------------------------------------------------------------------------------

PROBE = "document.documentElement.getAttribute('data-ran')"
HOSTILE_SVG = svg("<script>document.documentElement.setAttribute('data-ran', 'script')</script>",
                  " onload=\"document.documentElement.setAttribute('data-ran', 'onload')\"")


def open_svg(browser, base_url: str, path: str) -> tuple[str | None, str, list[str], list[str]]:
    """Open an SVG as a document, as a reader following a link would: (probe, root tag, requests, console)."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    # Chromium asks for /favicon.ico by itself (the site has none there); that is not the SVG's doing.
    page.on("console", lambda message: None if message.location.get("url", "").endswith("/favicon.ico")
            else console.append(message.text))
    page.on("dialog", lambda dialog: (console.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    response = page.goto(f"{base_url}/{path}")
    assert response is not None and response.ok
    page.wait_for_timeout(300)  # let onload handlers and animations fire
    result = page.evaluate(PROBE), page.evaluate("document.documentElement.localName"), requests, console
    context.close()
    return result


def test_probe_sees_script_in_a_hostile_svg(browser, tmp_path):
    """The control: served as it is (never by our build), the hostile SVG does run, and the probe notices."""
    (tmp_path / "hostile.svg").write_text(HOSTILE_SVG)
    with serve(tmp_path) as base_url:
        ran, root, _requests, _console = open_svg(browser, base_url, "hostile.svg")
    assert root == "svg" and ran in ("script", "onload")


def test_accepted_svg_runs_no_script_and_fetches_nothing_in_chromium(browser, site):
    files = {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02", body="![Places filled](places.svg)\n"),
             "bulletins/places.svg": CLEAN_SVG}
    out = build(site, files)
    assert (out / "bulletins/files/places.svg").read_text() == CLEAN_SVG
    # Served without the site's _headers on purpose: its Content-Security-Policy would block script anyway, and
    # this test is about the file itself being inert.
    with serve(out) as base_url:
        ran, root, requests, console = open_svg(browser, base_url, "bulletins/files/places.svg")
    assert root == "svg"
    assert ran is None
    assert requests == [f"{base_url}/bulletins/files/places.svg"]
    assert console == []
