"""Safe builds: MkDocs writes into a staging folder that replaces the site in one step, only on success.

- One build of a site at a time: a lock file beside the site (`.site.lock`, there only during a build) serialises
  builds, so concurrent runs (CI, a second terminal) wait their turn instead of tearing each other's staging
  folders apart.
- The staging folder `.site.XXXXXXXX` is made with the umask's mode, so a web server running as another user can
  read the site (as after `mkdocs build`), and it lives beside the site so the switch is a rename on one disk.
- On Linux the switch is one `renameat2(RENAME_EXCHANGE)`: readers see the old site or the new one, never neither.
  Elsewhere two renames are used, with a gap of microseconds in which the site folder is missing.
- Staging folders left by a killed build are removed by the next build, which holds the lock and so knows no live
  build owns them.
- Disk full, read-only disks, a file in the way and Pagefind or MkDocs failures become one plain `BuildFailed`
  message; the staging folder is removed and the previous site is left as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import logging
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort, MkDocsException

from publisher.findings import ContentError, Findings
from publisher.outputs.mkdocs_plugin import PublisherPlugin
from publisher.site.model import Site
from publisher.content.validate import load_site

LOCK_TIMEOUT = 600.0  # seconds to wait for another build of the same site: longer than a large site's build
LOCK_POLL = 0.1
LOW_SPACE = 1 << 20  # bytes; less free than this after writing the site counts as a full disk
AT_FDCWD = -100
RENAME_EXCHANGE = 2
EXCHANGE_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


class BuildFailed(Exception):
    pass


def build_site(config_file: Path, site_dir: Path | None = None, *, lock_timeout: float = LOCK_TIMEOUT,
               on_wait: Callable[[str], None] | None = None) -> tuple[Path, Findings]:
    """Build into a staging folder beside the target and switch it in.

    Content errors raise ContentError and everything else BuildFailed, leaving the target as it was.
    `on_wait` is called once, with who holds the lock, if another build of this site is running.
    """
    root = config_file.resolve().parent
    site, findings = load_site(root)
    if site is None or findings.has_errors():
        raise ContentError(findings)
    target = (site_dir or root / "site").resolve()
    try:
        _prepare_parent(target)
        with _build_lock(target, lock_timeout, on_wait):
            _remove_stale_staging(target)
            staging = _make_staging(target)
            try:
                _mkdocs_with_space_check(config_file, staging, site, target)
                _switch(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # after the switch it holds the old site
    except OSError as exc:
        raise BuildFailed(_explain(exc, target)) from None
    return target, findings


def _prepare_parent(target: Path) -> None:
    """Fail before building if the target can never be switched in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target))
    if os.path.ismount(target):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(target))


# Locking -------------------------------------------------------------------------------------------------------


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def _build_lock(target: Path, timeout: float, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """Hold an exclusive flock on the site's lock file; the kernel releases it if the build dies.

    The file is removed while still locked, so a build that was waiting on it finds it gone and locks a new one.
    """
    path = lock_path(target)
    fd = _acquire(path, timeout, on_wait)
    try:
        os.ftruncate(fd, 0)  # a killed build may have left its number here
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # names this build in the message of one that waits
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _acquire(path: Path, timeout: float, on_wait: Callable[[str], None] | None) -> int:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd, path)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise BuildFailed(f"another build of this site is running ({holder}); "
                                  "wait for it to finish and build again") from None
            if not waited and on_wait is not None:
                on_wait(holder)
            waited = True
            time.sleep(LOCK_POLL)
            continue
        if _is_current(fd, path):
            return fd
        os.close(fd)  # locked a file the previous build had already removed; lock the one there now


def _is_current(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (opened.st_dev, opened.st_ino)


def _holder(fd: int, path: Path) -> str:
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f"process {pid}, lock file {path}" if pid.isdigit() else f"lock file {path}"


# Staging -------------------------------------------------------------------------------------------------------


def _staging_pattern(target: Path) -> re.Pattern[str]:
    # `.site.` plus 8 characters is what this module and tempfile.mkdtemp (used before) name staging folders;
    # `.site.old` is the retired site of the two-rename switch. The lock file `.site.lock` does not match.
    return re.compile(rf"\.{re.escape(target.name)}\.([a-z0-9_]{{8}}|old)")


def _remove_stale_staging(target: Path) -> None:
    """Remove staging folders of killed builds; with the lock held, no live build owns any."""
    pattern = _staging_pattern(target)
    for entry in os.scandir(target.parent):
        if pattern.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


def _make_staging(target: Path) -> Path:
    """An empty folder beside the target, created with mode 0o777 so the umask decides, as for every other folder.

    (tempfile.mkdtemp makes 0o700 folders, which a web server running as another user cannot read.)
    """
    while True:
        staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        try:
            staging.mkdir(mode=0o777)
            return staging
        except FileExistsError:
            continue


# MkDocs --------------------------------------------------------------------------------------------------------


def _mkdocs_with_space_check(config_file: Path, staging: Path, site: Site, target: Path) -> None:
    """Run MkDocs, then make sure the disk did not fill up.

    Pagefind does not report failed writes (it leaves empty files and exits 0), and a full disk can surface as any
    error further on, so a build that leaves the disk full is a disk-full failure whatever else happened.
    """
    try:
        _mkdocs(config_file, staging, site, target)
    except Exception:
        if _disk_full(staging):
            raise _disk_full_error(staging) from None
        raise
    if _disk_full(staging):
        raise _disk_full_error(staging)


def _disk_full(path: Path) -> bool:
    try:
        stats = os.statvfs(path)
    except OSError:
        return False
    if stats.f_blocks == 0:  # a file system that reports no sizes at all
        return False
    free_blocks = stats.f_bfree if os.geteuid() == 0 else stats.f_bavail  # root may use the reserved blocks
    return free_blocks * stats.f_frsize < LOW_SPACE


def _disk_full_error(path: Path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


class _DropErrors(logging.Filter):
    """MkDocs logs an error and then raises it; we report the raised error once, in our own words."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


@contextlib.contextmanager
def _quiet_mkdocs_errors() -> Iterator[None]:
    logger = logging.getLogger("mkdocs.commands.build")
    quiet = _DropErrors()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _mkdocs(config_file: Path, staging: Path, site: Site, target: Path | None = None) -> None:
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    try:
        config = load_config(str(config_file), site_dir=str(staging))
        plugin = config.plugins.get("publisher")
        if isinstance(plugin, PublisherPlugin):
            plugin.validated = site  # already loaded and checked above; don't do it twice
            plugin.previous_site = target  # its unchanged pages are linked, not rendered again (`reuse.py`)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            with _quiet_mkdocs_errors():
                mkdocs_build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as exc:
        # MkDocs turns a plugin's error (Pagefind failing, say) into "Aborted with a BuildError!"; name the cause.
        cause = exc.__context__ if isinstance(exc, Abort) and isinstance(exc.__context__, MkDocsException) else exc
        raise BuildFailed(str(cause)) from None


# Switching -----------------------------------------------------------------------------------------------------


def _switch(staging: Path, target: Path) -> None:
    """Put the staging folder in the target's place; afterwards the staging path holds the old site, if any."""
    if not target.exists():
        staging.rename(target)
    elif not _exchange(staging, target):
        _two_renames(staging, target)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2  # glibc 2.28+, musl 1.1.24+
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step with renameat2(RENAME_EXCHANGE); False where the system or disk cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in EXCHANGE_UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(second))


def _two_renames(staging: Path, target: Path) -> None:
    """The portable switch: between the two renames (microseconds) the target is missing."""
    retired = target.with_name(f".{target.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    target.rename(retired)
    try:
        staging.rename(target)
    except OSError:
        retired.rename(target)
        raise
    retired.rename(staging)


# Messages ------------------------------------------------------------------------------------------------------


def _file_in_the_way(target: Path) -> Path | None:
    for path in [*reversed(target.parents), target]:
        if path.exists() and not path.is_dir():
            return path
    return None


def _explain(error: OSError, target: Path) -> str:
    """One plain sentence for an operating-system error while writing the site."""
    code = error.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk is full while writing the site to {target}; free some space and build again"
    if code == errno.EROFS:
        return f"{target} is on a read-only file system; choose another --site-dir"
    if code in (errno.ENOTDIR, errno.EEXIST) and (blocker := _file_in_the_way(target)):
        return f"{target} cannot be created because {blocker} is a file; move that file or choose another --site-dir"
    if code == errno.EBUSY and os.path.ismount(target):
        return (f"{target} is a mount point, so the new site cannot be switched in for it; "
                f"build into a folder inside it (--site-dir {target / 'site'}) and serve that")
    where = error.filename or target
    if code in (errno.EACCES, errno.EPERM):
        return f"{where}: permission denied while writing the site; choose another --site-dir or get write access"
    return f"{where}: {error.strerror or error} while writing the site to {target}; fix that and build again"
