"""Deploy a built site to a branch that a host serves (GitHub Pages "deploy from a branch", and the like).

The branch holds exactly the built tree plus `.nojekyll` (so GitHub serves folders starting with `_` as they
are), one commit per deploy, naming the source commit. ghp-import (which `mkdocs gh-deploy` uses too) writes the
commit without touching the working tree.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

from ghp_import import GhpError, ghp_import

from publisher import dates
class DeployFailed(Exception):
    pass


def source_commit(root: Path) -> str:
    """The commit the site was built from; a deploy must be traceable to its source."""
    commit = current_commit(root)
    if commit is None:
        raise DeployFailed(f"{root} is not a git checkout with at least one commit; deploying needs the site's "
                           "repository, so run this in it")
    return commit


def current_commit(root: Path) -> str | None:
    """The checked-out commit, or None outside a repository (recorded in the manifest for `due --since-live`)."""
    result = _git(root, "rev-parse", "HEAD")
    return result.stdout.strip() if result.returncode == 0 else None


def has_uncommitted_changes(root: Path) -> bool:
    return bool(_git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip())


def deploy_message(commit: str, dirty: bool) -> str:
    stamp = dates.now().isoformat(timespec="seconds")
    suffix = " with uncommitted changes" if dirty else ""
    return f"Deploy {commit}{suffix} ({stamp})"


def deploy(root: Path, site_dir: Path, branch: str, remote: str, push: bool = True) -> str:
    """Commit `site_dir` as the new tip of `branch` and push it; returns the commit message."""
    message = deploy_message(source_commit(root), has_uncommitted_changes(root))
    if push and _git(root, "remote", "get-url", remote).returncode != 0:
        raise DeployFailed(f'there is no git remote called "{remote}"; add it with git remote add, or name '
                           "another with --remote")
    if push:
        _git(root, "fetch", remote, branch)  # continue the live branch's history; a first deploy has none yet
    try:
        with contextlib.chdir(root), _committer_identity(root):  # ghp-import runs git in the current folder
            ghp_import(str(site_dir.resolve()), mesg=message, remote=remote, branch=branch, push=push,
                       nojekyll=True)
    except GhpError as exc:
        raise DeployFailed(f"git could not update the {branch} branch: {exc.message}") from None
    return message


@contextlib.contextmanager
def _committer_identity(root: Path):
    """A CI runner often has no git identity; ghp-import then writes commits git refuses. Lend it one."""
    missing = {key: value for key, value in (("user.name", "publisher"), ("user.email", "publisher@localhost"))
               if not _git(root, "config", key).stdout.strip()}
    saved = {name: os.environ.get(name) for name in ("GIT_CONFIG_COUNT",) +
             tuple(f"GIT_CONFIG_{kind}_{i}" for i in range(len(missing)) for kind in ("KEY", "VALUE"))}
    os.environ["GIT_CONFIG_COUNT"] = str(len(missing))
    for index, (key, value) in enumerate(missing.items()):
        os.environ[f"GIT_CONFIG_KEY_{index}"], os.environ[f"GIT_CONFIG_VALUE_{index}"] = key, value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
