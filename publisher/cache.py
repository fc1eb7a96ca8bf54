"""Signed cache files under `<site>/.cache/`, which let the next check, build or preview redo only what changed.

Every cache is never wrong and never in the way:
- a file is used only when it was made for the same inputs (`made_for`, a digest each user of a cache computes
  from everything its entries depend on, always including the publisher's own code: `code_digest`);
- a missing, damaged or foreign file is ignored and replaced, and a folder that cannot be written to means
  running without one;
- since unpickling runs code, each file carries a keyed digest made with a secret kept in the user's own cache
  folder (outside the site), so a cache file that arrived with the site's files, from a branch or a pull
  request, was not made here and is never unpickled;
- files are replaced in one step, so a run reading one at the same time sees the old file or the new.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import hmac
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import publisher

CACHE_FOLDER = ".cache"
CODE_SUFFIXES = (".py", ".html", ".js", ".css")  # the publisher's checks, templates and theme
SIGNATURE_BYTES = 32


@functools.cache
def code_digest() -> bytes:
    """The publisher's own code, templates and theme, so someone editing them is never served the old results."""
    package = Path(publisher.__file__).parent
    digest = hashlib.blake2b(digest_size=16)
    for here, folders, names in os.walk(package):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            if name.endswith(CODE_SUFFIXES):
                path = Path(here, name)
                digest.update(path.relative_to(package).as_posix().encode() + b"\0")
                digest.update(hashlib.blake2b(path.read_bytes()).digest())
    return digest.digest()


def file_digest(path: Path) -> bytes:
    """A digest of a file's bytes, or of its absence."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except OSError:
        return b"missing"


class CacheFile:
    def __init__(self, root: Path, name: str) -> None:
        self.folder = root / CACHE_FOLDER
        self.path = self.folder / name

    def load(self, made_for: bytes) -> Any | None:
        """What was saved for these inputs, or None if there is nothing usable."""
        secret = user_secret()
        if secret is None:
            return None
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        signature, payload = data[:SIGNATURE_BYTES], data[SIGNATURE_BYTES:]
        if not hmac.compare_digest(signature, _signature(secret, payload)):
            return None
        try:
            with paused_collection():
                stored_for, value = pickle.loads(payload)
        except Exception:  # signed by us but unreadable now (a Python or library upgrade): start again
            return None
        return value if stored_for == made_for else None

    def save(self, made_for: bytes, value: Any) -> None:
        secret = user_secret()
        if secret is None:
            return
        try:
            payload = pickle.dumps((made_for, value), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # something in it cannot be kept; the run itself is not affected
            return
        temporary = None
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Made by the publisher; never commit it.\n*\n", encoding="utf-8")
            descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{self.path.stem}-", suffix=".tmp")
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(_signature(secret, payload) + payload)
            os.replace(temporary, self.path)
            temporary = None
        except OSError:
            pass  # a read-only checkout, or a full disk: the next run starts without this cache
        finally:
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass


@contextmanager
def paused_collection() -> Iterator[None]:
    """Pause the cycle collector, which would otherwise scan the growing heap again and again while it grows by
    hundreds of thousands of lasting objects (unpickling a cache took three times as long)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def user_secret() -> bytes | None:
    """This user's key for signing cache files, made on first use; None (no cache) if it cannot be kept."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(home) / "nhs-bulletin-publisher" / "cache-key"
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
    except FileExistsError:
        pass  # another run made it first
    except OSError:
        return None
    try:
        return _read_secret(path)
    except OSError:
        return None


def _read_secret(path: Path) -> bytes | None:
    secret = path.read_bytes()
    return secret if len(secret) == 32 else None  # half-written by a run that was stopped: no cache this time


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=secret, digest_size=SIGNATURE_BYTES).digest()
