"""Atomic builds: MkDocs writes into a temporary folder that replaces the site only on success."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

from publisher.findings import ContentError
from publisher.validate import load_site


class BuildFailed(Exception):
    pass


def build_site(config_file: Path, site_dir: Path | None = None) -> Path:
    root = config_file.resolve().parent
    _site, findings = load_site(root)
    if findings.has_errors():
        raise ContentError(findings)
    target = (site_dir or root / "site").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _mkdocs(config_file, staging)
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _mkdocs(config_file: Path, staging: Path) -> None:
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    try:
        config = load_config(str(config_file), site_dir=str(staging))
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
