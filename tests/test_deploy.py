"""`publisher deploy`: the built tree, exactly, as one commit per deploy on a branch of a (local, bare) remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sitekit import make_site, run_publisher
from test_build import fixture_files


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def source_repo(tmp_path: Path, files: dict | None = None) -> tuple[Path, Path]:
    """A committed site with a bare repository as its `origin`; no git identity, as on a fresh CI runner."""
    root = make_site(tmp_path / "source", files or fixture_files())
    (root / ".gitignore").write_text("site/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=Editor", "-c", "user.email=editor@example.org", "commit", "-q", "-m", "Content")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    return root, remote


def branch_files(remote: Path, branch: str = "gh-pages") -> dict[str, str]:
    """path -> blob id of every file on the branch."""
    listing = git(remote, "ls-tree", "-r", branch)
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing.splitlines()}


def tree_files(site: Path) -> dict[str, str]:
    paths = sorted(p for p in site.rglob("*") if p.is_file())
    hashed = subprocess.run(["git", "hash-object", "--stdin-paths"], input="\n".join(map(str, paths)),
                            capture_output=True, text=True, check=True).stdout.split()
    return {p.relative_to(site).as_posix(): blob for p, blob in zip(paths, hashed)}


def test_deploy_pushes_exactly_the_built_tree_with_its_source_commit(tmp_path):
    root, remote = source_repo(tmp_path)
    result = run_publisher("deploy", cwd=root, env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    expected = tree_files(root / "site")
    empty_blob = git(root, "hash-object", "/dev/null").strip()
    assert branch_files(remote) == {**expected, ".nojekyll": empty_blob}
    source = git(root, "rev-parse", "HEAD").strip()
    assert f"Deploy {source} (" in git(remote, "log", "-1", "--format=%s", "gh-pages")

    again = run_publisher("deploy", cwd=root, env={"HOME": str(tmp_path)})
    assert again.returncode == 0, again.stderr
    assert git(remote, "rev-list", "--count", "gh-pages").strip() == "2"  # one commit per deploy
    assert git(root, "status", "--porcelain") == ""  # the working tree is left alone


def test_a_failed_build_pushes_nothing(tmp_path):
    files = fixture_files()
    files["bulletins/2021-06-01-rural.md"] = files["bulletins/2021-06-01-rural.md"].replace("date: 2021-06-01",
                                                                                          "date: 1st June 2021")
    root, remote = source_repo(tmp_path, files)
    result = run_publisher("deploy", cwd=root, env={"HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "bulletins/2021-06-01-rural.md:3: error: date:" in result.stdout
    assert "nothing was deployed" in result.stderr and "Traceback" not in result.stderr
    assert git(remote, "branch", "--list") == ""


def test_deploy_outside_a_repository_or_without_the_remote_is_a_clear_error(tmp_path):
    root = make_site(tmp_path / "plain", fixture_files())
    result = run_publisher("deploy", cwd=root, env={"HOME": str(tmp_path), "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert result.returncode == 1
    assert "is not a git checkout with at least one commit" in result.stderr
    repo, _remote = source_repo(tmp_path)
    missing = run_publisher("deploy", "--remote", "upstream", cwd=repo, env={"HOME": str(tmp_path)})
    assert missing.returncode == 1
    assert 'there is no git remote called "upstream"' in missing.stderr
    assert "Traceback" not in result.stderr + missing.stderr
