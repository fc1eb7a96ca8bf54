"""Builds that never half-publish, never crash and give a site a web server can read (issue 16).

Real builds of small sites; the CLI runs as a subprocess wherever the point is "a clear message, no traceback".
Full and read-only disks are real tmpfs mounts (root only; skipped with the reason otherwise).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from publisher.outputs import build as build_module
from publisher.outputs.build import BuildFailed, build_site, lock_path
from sitekit import EPOCH_2026_11_01, bulletin, make_site, run_publisher, toolkit

STAGING = re.compile(r"\.site\.[a-z0-9_]{8}")
PAGE = 4096  # tmpfs charges whole pages


def small_site(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    return make_site(root, {"bulletins/2022-02-02-a.md": bulletin("A", "2022-02-02"), **(files or {})})


def start_build(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "publisher", "build", *args], cwd=root, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH_2026_11_01})


def leftovers(folder: Path, name: str = "site") -> list[str]:
    """Staging folders, retired sites and lock files of builds into folder/name."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def digest(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def assert_clean_failure(result, message: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert f"error: {message}" in result.stderr, output
    assert "The build stopped; the previous site was left as it was." in result.stderr


# Permissions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "folder_mode", "file_mode"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)],
                         ids=["umask 022", "umask 027"])
def test_every_folder_and_file_gets_the_umask_mode(tmp_path, umask, folder_mode, file_mode):
    download = b"PK\x03\x04" + b"0" * 100
    root = small_site(tmp_path, {"toolkits/dental/index.md": toolkit(""),
                                 "toolkits/dental/application-form.docx": download})
    (root / "toolkits/dental/application-form.docx").chmod(0o600)  # saved private; must still be served
    previous = os.umask(umask)
    try:
        result = run_publisher("build", cwd=root)
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    site = root / "site"
    folders = [site, *(p for p in site.rglob("*") if p.is_dir())]
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(folders) > 5 and len(files) > 20
    assert {p.relative_to(root).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in folders
            if stat.S_IMODE(p.stat().st_mode) != folder_mode} == {}
    assert {p.relative_to(root).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
            if stat.S_IMODE(p.stat().st_mode) != file_mode} == {}
    assert (site / "toolkits/dental/application-form.docx").read_bytes() == download


# Concurrent builds ---------------------------------------------------------------------------------------------


def test_simultaneous_builds_take_turns(tmp_path):
    root = small_site(tmp_path)
    waited = 0
    for _round in range(3):
        builds = [start_build(root) for _ in range(4)]
        for process in builds:
            stdout, stderr = process.communicate(timeout=300)
            assert "Traceback" not in stdout + stderr
            assert process.returncode == 0 or "another build of this site is running" in stderr, stderr
            waited += "Waiting for another build of this site to finish" in stderr
        assert (root / "site/index.html").is_file()
        assert (root / "site/pagefind/pagefind-entry.json").stat().st_size > 0
        assert leftovers(root) == []
    assert waited > 0  # they did overlap, so the lock was what kept them apart


def hold_lock(target: Path) -> int:
    """Lock the site as a running build does."""
    descriptor = os.open(lock_path(target), os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(descriptor, f"{os.getpid()}\n".encode())
    return descriptor


def test_a_build_waits_for_the_running_one_and_then_builds(tmp_path):
    root = small_site(tmp_path)
    held = hold_lock(root / "site")
    process = start_build(root)
    watchdog = threading.Timer(120, process.kill)  # if it never says it is waiting, fail instead of hanging
    watchdog.start()
    try:
        line = process.stderr.readline()
        assert f"Waiting for another build of this site to finish (process {os.getpid()}" in line
        assert not (root / "site").exists()
    finally:
        os.close(held)
        watchdog.cancel()
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert (root / "site/index.html").is_file()
    assert leftovers(root) == []


def test_waiting_too_long_gives_up_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    root = small_site(tmp_path)
    held = hold_lock(root / "site")
    try:
        started = time.monotonic()
        with pytest.raises(BuildFailed) as failure:
            build_site(root / "mkdocs.yml", lock_timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 10
    finally:
        os.close(held)
    assert str(failure.value) == (f"another build of this site is running (process {os.getpid()}, lock file "
                                  f"{root / '.site.lock'}); wait for it to finish and build again")
    assert not (root / "site").exists()
    assert leftovers(root) == [".site.lock"]  # the holder's, untouched


# Stale staging folders -----------------------------------------------------------------------------------------


def test_staging_folders_of_killed_builds_are_removed(tmp_path):
    root = small_site(tmp_path)
    for name in (".site.k3x9_q2a", ".site.old"):
        (root / name / "assets").mkdir(parents=True)
        (root / name / "assets/stale.css").write_text("old")
    (root / ".sitemap").mkdir()  # not ours
    result = run_publisher("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert leftovers(root) == []
    assert (root / ".sitemap").is_dir()


def wait_for_staging(root: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not any(STAGING.fullmatch(name) for name in leftovers(root)):
        assert process.poll() is None and time.monotonic() < deadline, "the build ended before it was stopped"
        time.sleep(0.005)


def test_a_build_killed_midway_is_cleaned_up_by_the_next(tmp_path):
    root = small_site(tmp_path)
    process = start_build(root)
    wait_for_staging(root, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert any(STAGING.fullmatch(name) for name in leftovers(root))  # what kill -9 leaves behind
    result = run_publisher("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert leftovers(root) == []
    assert (root / "site/index.html").is_file()


def test_an_interrupted_build_cleans_up_and_keeps_the_old_site(tmp_path):
    root = small_site(tmp_path)
    assert run_publisher("build", cwd=root).returncode == 0
    before = digest(root / "site")
    (root / "bulletins/2022-02-03-b.md").write_text(bulletin("B", "2022-02-03"))
    process = start_build(root)
    wait_for_staging(root, process)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stdout + stderr
    assert "The build was interrupted; the previous site was left as it was." in stderr
    assert digest(root / "site") == before
    assert leftovers(root) == []


# Atomic switch -------------------------------------------------------------------------------------------------


@pytest.mark.skipif(build_module._renameat2() is None, reason="needs Linux renameat2 (glibc 2.28+)")
def test_readers_never_see_the_site_missing_during_rebuilds(tmp_path):
    root = small_site(tmp_path)
    assert run_publisher("build", cwd=root).returncode == 0
    index = root / "site/index.html"
    stop = threading.Event()
    seen = {"reads": 0, "missing": 0, "partial": 0}

    def read_forever() -> None:
        while not stop.is_set():
            try:
                data = index.read_bytes()
            except FileNotFoundError:
                seen["missing"] += 1
                continue
            seen["reads"] += 1
            seen["partial"] += not data.rstrip().endswith(b"</html>")

    reader = threading.Thread(target=read_forever)
    reader.start()
    try:
        for _ in range(3):
            result = run_publisher("build", cwd=root)
            assert result.returncode == 0, result.stderr
    finally:
        stop.set()
        reader.join()
    assert seen["reads"] > 1000
    assert (seen["missing"], seen["partial"]) == (0, 0)


def test_without_renameat2_the_two_rename_switch_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH_2026_11_01)
    monkeypatch.setattr(build_module, "_renameat2", lambda: None)  # as on macOS or an old C library
    root = small_site(tmp_path)
    build_site(root / "mkdocs.yml")
    (root / "bulletins/2022-02-03-b.md").write_text(bulletin("B", "2022-02-03"))
    build_site(root / "mkdocs.yml")
    assert (root / "site/bulletins/2022/02/03/b/index.html").is_file()
    assert leftovers(root) == []


# Errors --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("site_dir", "blocker"), [("a-file/site", "a-file"), ("a-file/deeper/site", "a-file"),
                                                  (None, "site")])
def test_a_file_in_the_way_is_named(tmp_path, site_dir, blocker):
    root = small_site(tmp_path)
    (root / blocker).write_text("notes")
    result = run_publisher("build", *(("--site-dir", site_dir) if site_dir else ()), cwd=root)
    assert_clean_failure(result, f"{root / (site_dir or 'site')} cannot be created because {root / blocker} is a "
                                 "file; move that file or choose another --site-dir")
    assert (root / blocker).read_text() == "notes"
    assert leftovers(root) == []


def test_stray_pagefind_settings_do_not_change_the_index(tmp_path):
    root = small_site(tmp_path)
    assert run_publisher("build", "--site-dir", str(tmp_path / "clean"), cwd=root).returncode == 0
    (root / "pagefind.yml").write_text("exclude_selectors: 5\n")  # Pagefind reads this from the working folder
    result = run_publisher("build", "--site-dir", str(tmp_path / "stray"), cwd=root,
                           env={"PAGEFIND_FORCE_LANGUAGE": "fr"})
    assert result.returncode == 0, result.stderr
    assert digest(tmp_path / "stray" / "pagefind") == digest(tmp_path / "clean" / "pagefind")


def test_a_pagefind_failure_is_reported_once_and_the_old_site_kept(tmp_path):
    root = small_site(tmp_path)
    assert run_publisher("build", cwd=root).returncode == 0
    before = digest(root / "site")
    # New pages, so the last build's index cannot be reused and Pagefind must run.
    (root / "bulletins/2022-02-03-b.md").write_text(bulletin("B", "2022-02-03"))
    # A Pagefind that fails as the real one does on a bad index: it exits 1 with its reason on stderr.
    failing = tmp_path / "failing-pagefind"
    failing.write_text("#!/bin/sh\necho 'Error: could not write the index' >&2\nexit 1\n")
    failing.chmod(0o755)
    result = run_publisher("build", cwd=root, env={"PAGEFIND_BINARY_PATH": str(failing)})
    assert_clean_failure(result, "Pagefind could not index the site: Error: could not write the index")
    assert "Aborted with a BuildError" not in result.stderr
    assert result.stderr.count("Pagefind could not index the site") == 1
    assert "never retrieved" not in result.stderr  # asyncio's complaint about a reply nobody waited for
    assert digest(root / "site") == before
    assert leftovers(root) == []


@pytest.fixture
def tmpfs(tmp_path):
    """Mount small RAM disks under tmp_path; unmounted afterwards."""
    mounted: list[Path] = []

    def mount(kilobytes: int) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", "tmpfs", str(point)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs to make a full or read-only disk ({result.stderr.strip()}); "
                        "these tests need root")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "--lazy", str(point)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Write a file that leaves about `leave` bytes free on the disk."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as filler:
        filler.write(b"\0" * max(free - leave, 0))


def test_a_full_disk_is_reported_and_the_old_site_kept(tmp_path, tmpfs):
    disk = tmpfs(16 * 1024)
    root = small_site(tmp_path / "source")
    assert run_publisher("build", "--site-dir", str(disk / "site"), cwd=root).returncode == 0
    before = digest(disk / "site")
    fill(disk, leave=512 * 1024)  # room for the lock file, not for the theme's assets
    result = run_publisher("build", "--site-dir", str(disk / "site"), cwd=root)
    assert_clean_failure(result, f"the disk is full while writing the site to {disk / 'site'}; "
                                 "free some space and build again")
    assert digest(disk / "site") == before
    assert leftovers(disk) == []


def pages(files) -> int:
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in files if p.is_file())


def test_a_disk_filling_up_during_search_indexing_is_reported(tmp_path, tmpfs):
    root = small_site(tmp_path / "source")
    assert run_publisher("build", "--site-dir", str(tmp_path / "measure"), cwd=root).returncode == 0
    index = pages((tmp_path / "measure/pagefind").rglob("*"))
    everything_else = pages(p for p in (tmp_path / "measure").rglob("*")
                            if p.relative_to(tmp_path / "measure").parts[0] != "pagefind")
    # MkDocs' pages fit; Pagefind's index does not. Pagefind itself says nothing: it leaves empty files.
    disk = tmpfs((everything_else + index // 2) // 1024)
    result = run_publisher("build", "--site-dir", str(disk / "site"), cwd=root)
    assert_clean_failure(result, f"the disk is full while writing the site to {disk / 'site'}; "
                                 "free some space and build again")
    assert list(disk.iterdir()) == []


def test_a_read_only_disk_is_reported_and_the_old_site_kept(tmp_path, tmpfs):
    disk = tmpfs(16 * 1024)
    root = small_site(tmp_path / "source")
    assert run_publisher("build", "--site-dir", str(disk / "site"), cwd=root).returncode == 0
    before = digest(disk / "site")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    result = run_publisher("build", "--site-dir", str(disk / "site"), cwd=root)
    assert_clean_failure(result, f"{disk / 'site'} is on a read-only file system; choose another --site-dir")
    assert digest(disk / "site") == before
    assert sorted(p.name for p in disk.iterdir()) == ["site"]


def test_a_mount_point_as_the_site_folder_is_explained(tmp_path, tmpfs):
    disk = tmpfs(16 * 1024)
    root = small_site(tmp_path / "source")
    result = run_publisher("build", "--site-dir", str(disk), cwd=root)
    assert_clean_failure(result, f"{disk} is a mount point, so the new site cannot be switched in for it; "
                                 f"build into a folder inside it (--site-dir {disk / 'site'}) and serve that")
    assert list(disk.iterdir()) == []
    assert leftovers(disk.parent, disk.name) == []
