"""The `publisher` command: check, build, new, schema."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import click

from publisher import dates
from publisher.findings import ContentError, Findings

KINDS = ("bulletin", "news", "toolkit", "entry")


def site_root(config_file: str | None) -> Path:
    config = Path(config_file) if config_file else Path.cwd() / "mkdocs.yml"
    if not config.is_file():
        raise click.UsageError(f"{config} not found; run this in the site folder (the one holding mkdocs.yml) "
                               "or give -f path/to/mkdocs.yml")
    return config.resolve().parent


config_option = click.option("-f", "--config-file", type=click.Path(dir_okay=False), default=None,
                             help="The site's mkdocs.yml (default: ./mkdocs.yml).")


def say_waiting(holder: str) -> None:
    click.echo(f"Waiting for another build of this site to finish ({holder})...", err=True)


def build_or_exit(root: Path, site_dir: Path | None, stopped: str) -> tuple[Path, Findings]:
    """Build, or print why not (ending with `stopped`) and exit: 1 for errors, 130 for Ctrl-C."""
    from publisher.outputs.build import BuildFailed, build_site

    try:
        return build_site(root / "mkdocs.yml", site_dir, on_wait=say_waiting)
    except ContentError as exc:
        print_findings(exc.findings, "text")
        click.echo(stopped, err=True)
        sys.exit(1)
    except BuildFailed as exc:
        click.echo(f"error: {exc}\n{stopped}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("The build was interrupted; the previous site was left as it was.", err=True)
        sys.exit(130)


def print_findings(findings: Findings, output_format: str) -> None:
    for finding in findings.sorted():
        click.echo(finding.as_github() if output_format == "github" else finding.as_text())
    if output_format == "text":
        errors, warnings = len(findings.errors), len(findings.warnings)
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nhs-bulletin-publisher")
def main() -> None:
    """Publish bulletins, toolkits and the best-practice directory as a static site."""
    # Every command reads "now"; checking SOURCE_DATE_EPOCH once here, before MkDocs (which also reads it and
    # crashes on a bad value) or any content is loaded, gives one clear message instead of a traceback.
    try:
        dates.now()
    except dates.BadSourceDateEpoch as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command()
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              help="github prints GitHub Actions annotations.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--against", metavar="MANIFEST", default=None,
              help="Also check that every address in this manifest.json (a path, or the live site's https:// "
                   "address) still has a page, a withdrawal or a redirect. Exit 2 if it cannot be read.")
def check(config_file: str | None, output_format: str, strict: bool, against: str | None) -> None:
    """Check every source without building. Exit 1 if there are errors."""
    from publisher.site.schedule import note_scheduled
    from publisher.content.validate import load_site

    # A short run that makes a million lasting objects for a large site and little garbage: the cycle collector
    # would only scan them again and again (a tenth of a warm check).
    gc.disable()

    old_manifest = _read_old_manifest(against) if against else None
    site, findings = load_site(site_root(config_file))
    if site is not None:
        note_scheduled(site, findings)
    if site is not None and old_manifest is not None:
        _guard_addresses(site, old_manifest, against, findings)
    if strict:
        findings = findings.strict()
    print_findings(findings, output_format)
    sys.exit(1 if findings.has_errors() else 0)


@main.command()
@config_option
@click.option("-d", "--site-dir", type=click.Path(file_okay=False), default=None,
              help="Where to write the site (default: site/ beside mkdocs.yml).")
def build(config_file: str | None, site_dir: str | None) -> None:
    """Build the site; the previous site is replaced only if the build succeeds."""
    root = site_root(config_file)
    target, findings = build_or_exit(root, Path(site_dir) if site_dir else None,
                                     "The build stopped; the previous site was left as it was.")
    for warning in findings.warnings:
        click.echo(warning.as_text(), err=True)
    click.echo(f"Built the site in {target}")


@main.command()
@config_option
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("title")
def new(config_file: str | None, kind: str, title: str) -> None:
    """Start a new bulletin, news item, toolkit or directory entry from a template."""
    from publisher.content.scaffold import new_source

    root = site_root(config_file)
    try:
        path = new_source(root, kind, title, dates.today())
    except FileExistsError as exc:
        click.echo(f"error: {Path(exc.args[0]).relative_to(root)} already exists; choose another title", err=True)
        sys.exit(1)
    click.echo(path.relative_to(root).as_posix())


@main.command()
@click.argument("kind", type=click.Choice(["bulletin", "toolkit", "entry", "page", "taxonomy"]), required=False)
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Write one <kind>.schema.json per content type into this folder.")
def schema(kind: str | None, output: str | None) -> None:
    """Print the JSON Schema of a content type's front matter (for editor autocompletion)."""
    from publisher.content.models import Bulletin, DirectoryEntry, Page, Taxonomy, Toolkit

    models = {"bulletin": Bulletin, "toolkit": Toolkit, "entry": DirectoryEntry, "page": Page, "taxonomy": Taxonomy}
    chosen = {kind: models[kind]} if kind else models
    schemas = {name: model.model_json_schema() for name, model in chosen.items()}
    if output:
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in schemas.items():
            (folder / f"{name}.schema.json").write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
            click.echo((folder / f"{name}.schema.json").as_posix())
        return
    click.echo(json.dumps(schemas[kind] if kind else schemas, indent=2))


@main.command()
@config_option
@click.option("--since", metavar="TIMESTAMP", default=None,
              help="Exit 0 if a bulletin became due after TIMESTAMP (ISO 8601 or epoch seconds), 1 if none did.")
@click.option("--since-live", is_flag=True,
              help="Like --since, with the time the live site was built (its /manifest.json); exit 0 also when "
                   "the live site was built from another commit.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def due(config_file: str | None, since: str | None, since_live: bool, as_json: bool) -> None:
    """List scheduled bulletins, soonest first; with --since, say whether a rebuild would publish one.

    Exit codes with --since or --since-live: 0 publish (a bulletin became due, or the live site is from another
    commit or cannot be read), 1 nothing to do, 2 bad input or content errors.
    "Now" is the clock, or SOURCE_DATE_EPOCH as for builds.
    """
    from publisher.site.schedule import became_due, parse_since, scheduled
    from publisher.content.validate import load_site

    root = site_root(config_file)
    try:
        moment = _live_since(root) if since_live else parse_since(since) if since is not None else None
    except ValueError as exc:
        click.echo(f"error: --since: {exc}", err=True)
        sys.exit(2)
    except PublishAnyway as reason:
        click.echo(f"{reason}; publish", err=True)
        sys.exit(0)
    site, findings = load_site(root)
    if site is None or findings.has_errors():
        print_findings(findings, "text")
        click.echo("Fix the errors above first: until then no build can publish anything.", err=True)
        sys.exit(2)
    if moment is None:
        waiting = scheduled(site)
        if as_json:
            click.echo(json.dumps([entry.as_json() for entry in waiting], indent=1, ensure_ascii=False))
        else:
            for entry in waiting:
                click.echo(entry.as_text())
            click.echo(f"{len(waiting)} scheduled bulletin(s)", err=True)
        return
    newly = became_due(site, moment)
    if as_json:
        click.echo(json.dumps([{"path": item.rel, "url": "/" + item.url} for item in newly], indent=1))
    else:
        for item in newly:
            click.echo(f"{item.rel}  /{item.url}  due since {item.meta.date.isoformat()}")
    sys.exit(0 if newly else 1)


def _read_old_manifest(where: str) -> dict:
    from publisher.site.guard import read_manifest

    try:
        return read_manifest(where)
    except ValueError as exc:
        click.echo(f"error: --against: {exc}", err=True)
        sys.exit(2)


def _guard_addresses(site, manifest: dict, where: str, findings: Findings) -> None:
    from publisher.site.guard import check_against
    from publisher.site.render import base_path

    checked = check_against(site, manifest, base_path(_configured_site_url(site.root)), findings)
    click.echo(f"Checked {checked} address(es) from {where}: each needs a page, a withdrawal or a redirect.", err=True)


def _setting(root: Path, name: str):
    """One top-level setting of mkdocs.yml, read as MkDocs reads the file (with its !ENV tags)."""
    from mkdocs.utils.yaml import yaml_load

    with open(root / "mkdocs.yml", encoding="utf-8") as config:
        return (yaml_load(config) or {}).get(name)


def _configured_site_url(root: Path) -> str | None:
    """site_url from mkdocs.yml, or SITE_URL when set, as the build uses it."""
    from publisher.outputs.mkdocs_plugin import site_url_for

    return site_url_for(_setting(root, "site_url"))


class PublishAnyway(Exception):
    """The live site cannot be compared with this checkout, so a scheduler should rebuild."""


def _live_since(root: Path):
    from publisher.outputs.deploy import current_commit
    from publisher.site.schedule import read_live_site

    site_url = _configured_site_url(root)
    if not site_url:
        raise PublishAnyway("mkdocs.yml has no site_url, so the live site cannot be asked when it was built")
    try:
        live = read_live_site(site_url)
    except ValueError as exc:
        raise PublishAnyway(str(exc)) from None
    commit = current_commit(root)
    if live.commit != commit:
        raise PublishAnyway(f"the live site was built from commit {live.commit}, this checkout is {commit}")
    click.echo(f"The live site was built at {live.built.isoformat()} from this commit.", err=True)
    return live.built


@main.command()
@config_option
@click.option("--branch", default="gh-pages", show_default=True, help="The branch the host serves.")
@click.option("--remote", default="origin", show_default=True, help="The git remote to push it to.")
def deploy(config_file: str | None, branch: str, remote: str) -> None:
    """Build the site, commit it as the new tip of BRANCH and push it. A failed build pushes nothing."""
    from publisher.outputs.deploy import DeployFailed, deploy as deploy_branch

    root = site_root(config_file)
    target, _findings = build_or_exit(root, None, "The build stopped, so nothing was deployed.")
    try:
        message = deploy_branch(root, target, branch, remote)
    except DeployFailed as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Deployed to {remote}/{branch}: {message}")


@main.command("email")
@config_option
@click.argument("source", required=False)
@click.option("--latest", is_flag=True, help="The newest published bulletin, instead of SOURCE.")
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="Where to write the files (default: emails/ beside mkdocs.yml).")
@click.option("--preview", is_flag=True, help="Allow a draft or scheduled bulletin, marked 'Not yet published'.")
@click.option("--send-test", metavar="ADDRESS", default=None,
              help="Also send the .eml to ADDRESS through SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, "
                   "SMTP_STARTTLS.")
def email_command(config_file: str | None, source: str | None, latest: bool, out: str | None, preview: bool,
                  send_test: str | None) -> None:
    """Write a bulletin's email edition: SOURCE is its file path or slug (e.g. key-messages), or use --latest.

    Writes <slug>.html, <slug>.txt, <slug>.eml and <slug>.notify.md for any mailing service.
    """
    from publisher.outputs.email import EmailError, make_edition, size_warning, write_edition
    from publisher.outputs.email_send import send_test as send

    root = site_root(config_file)
    if (source is None) != latest:
        raise click.UsageError("give one bulletin: its file path or slug (e.g. key-messages), or --latest")
    try:
        edition, item = make_edition(root, source, preview)
        for path in write_edition(edition, Path(out) if out else root / "emails"):
            click.echo(path.as_posix())
        warning = size_warning(edition)
        if warning:
            click.echo(f"{item.rel}: warning: email: {warning}", err=True)
        if send_test:
            smtp = send(edition.message, edition.sender, send_test)
            click.echo(f"Sent a test of {item.rel} to {send_test} through {smtp.host}:{smtp.port}", err=True)
    except ContentError as exc:
        print_findings(exc.findings, "text")
        click.echo("Fix the errors above, then run publisher email again.", err=True)
        sys.exit(1)
    except EmailError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


@main.command("cms")
@config_option
@click.option("-d", "--site-dir", type=click.Path(file_okay=False), default=None,
              help="The site folder to write admin/config.yml into (default: site/ beside mkdocs.yml).")
def cms_command(config_file: str | None, site_dir: str | None) -> None:
    """Write the web editor's config (admin/config.yml) from the models and the taxonomy; every build does too."""
    from publisher.content.validate import load_site
    from publisher.outputs.cms import PLACEHOLDER_REPO, UnmappedField, repository, write_config

    root = site_root(config_file)
    site, findings = load_site(root)
    if site is None or findings.has_errors():
        print_findings(findings, "text")
        click.echo("Fix the errors above, then run publisher cms again.", err=True)
        sys.exit(1)
    repo_url = _setting(root, "repo_url")
    try:
        target = write_config(Path(site_dir) if site_dir else root / "site", site.taxonomy, repo_url,
                              _configured_site_url(root))
    except UnmappedField as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if not repository(repo_url):
        click.echo(f"mkdocs.yml: warning: repo_url: no GitHub repository is named, so the editor's config says "
                   f"{PLACEHOLDER_REPO}; add a line 'repo_url: https://github.com/OWNER/REPOSITORY' for the editor "
                   "on the live site (make cms works without it)", err=True)
    click.echo(target.relative_to(root).as_posix() if target.is_relative_to(root) else target.as_posix())
