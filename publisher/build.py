"""Atomic builds: MkDocs writes into a temporary folder that replaces the site only on success."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

from publisher.findings import ContentError, Findings
from publisher.mkdocs_plugin import PublisherPlugin
from publisher.site import Site
from publisher.validate import load_site


class BuildFailed(Exception):
    pass


def build_site(config_file: Path, site_dir: Path | None = None) -> tuple[Path, Findings]:
    """Build into a staging folder beside the target; content errors raise ContentError, leaving the target."""
    root = config_file.resolve().parent
    site, findings = load_site(root)
    if site is None or findings.has_errors():
        raise ContentError(findings)
    target = (site_dir or root / "site").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _mkdocs(config_file, staging, site)
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, findings


def _mkdocs(config_file: Path, staging: Path, site: Site) -> None:
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    try:
        config = load_config(str(config_file), site_dir=str(staging))
        plugin = config.plugins.get("publisher")
        if isinstance(plugin, PublisherPlugin):
            plugin.validated = site  # already loaded and checked above; don't do it twice
        config.plugins.on_startup(command="build", dirty=False)
        try:
            mkdocs_build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:
        raise BuildFailed(str(exc)) from None


def _swap(staging: Path, target: Path) -> None:
    """Replace the target by renames on one file system, so readers never see a half-written site."""
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}.old")
        shutil.rmtree(retired, ignore_errors=True)
        target.rename(retired)
    staging.rename(target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
