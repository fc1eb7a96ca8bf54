"""The `publisher` command: check, build, new, schema."""

from __future__ import annotations

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


def print_findings(findings: Findings, output_format: str) -> None:
    for finding in findings.sorted():
        click.echo(finding.as_github() if output_format == "github" else finding.as_text())
    if output_format == "text":
        errors, warnings = len(findings.errors), len(findings.warnings)
        click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)


@click.group()
@click.version_option(package_name="nhs-bulletin-publisher")
def main() -> None:
    """Publish bulletins, toolkits and the best-practice directory as a static site."""


@main.command()
@config_option
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              help="github prints GitHub Actions annotations.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(config_file: str | None, output_format: str, strict: bool) -> None:
    """Check every source without building. Exit 1 if there are errors."""
    from publisher.validate import load_site

    _site, findings = load_site(site_root(config_file))
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
    from publisher.build import BuildFailed, build_site

    root = site_root(config_file)
    try:
        target, findings = build_site(root / "mkdocs.yml", Path(site_dir) if site_dir else None)
    except ContentError as exc:
        print_findings(exc.findings, "text")
        click.echo("The build stopped; the previous site was left as it was.", err=True)
        sys.exit(1)
    except BuildFailed as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("The build stopped; the previous site was left as it was.", err=True)
        sys.exit(1)
    for warning in findings.warnings:
        click.echo(warning.as_text(), err=True)
    click.echo(f"Built the site in {target}")


@main.command()
@config_option
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("title")
def new(config_file: str | None, kind: str, title: str) -> None:
    """Start a new bulletin, news item, toolkit or directory entry from a template."""
    from publisher.scaffold import new_source

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
    from publisher.models import Bulletin, DirectoryEntry, Page, Taxonomy, Toolkit

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
