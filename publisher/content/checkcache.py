"""Keep what each source's own checks found, so the next `publisher check` or build re-reads only what changed.

The cache is one file, `<site>/.cache/sources.pickle`: for every source, the digest of its bytes and what
`validate.examine` made of it. An entry is used only when the source's path and bytes are the same as when it
was made, and the whole file only when everything else those results depend on is too: the taxonomy, the
acronyms file, mkdocs.yml, and the publisher's own code and versions (`inputs_digest`).

The file is a `publisher.cache.CacheFile`: signed, replaced in one step, ignored when damaged or foreign, and
skipped when the site folder cannot be written to.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import threading
from pathlib import Path
from typing import Any, Callable, NamedTuple

import markdown
import pydantic
import yaml

import publisher
from publisher.cache import CACHE_FOLDER, CacheFile, code_digest, file_digest, paused_collection
from publisher.content.load import MAX_FILE_BYTES
from publisher.content.sources import TAXONOMY, Source
from publisher.content.style import ACRONYMS_FILE
from publisher.parallel import fork_map

CACHE_FILE = "sources.pickle"
FORMAT = 2  # raise when the layout of the entries changes
# What the per-source results also depend on, besides the publisher's code: the taxonomy, the acronyms, and
# mkdocs.yml (whose settings decide how addresses are read).
GLOBAL_INPUTS = (TAXONOMY, ACRONYMS_FILE, "mkdocs.yml")
# Fewer sources than this are checked faster in this process than by starting workers.
PARALLEL_THRESHOLD = 400
CHUNK = 64


class Examination(NamedTuple):
    results: list[Any]
    digests: list[bytes | None]  # of each source's bytes; None where it could not be read whole
    inputs: bytes  # `inputs_digest`, which later caches of what sources find depend on too


FileState = tuple[int, int, int, int]  # inode, size, modification and change times


class SourceMemory:
    """What a long-running preview last made of each source, so a rebuild reads again only the files that changed.

    A source whose file has the same inode, size and times as when it was read is taken as it was, without reading,
    digesting or unpickling it again. That trusts the file system's clock, as MkDocs' own watcher does: a file
    rewritten at the same size within one tick of it would look unchanged until its next save. `publisher check`
    and `publisher build` never use it; they compare every source's bytes.
    """

    def __init__(self) -> None:
        self.inputs: bytes | None = None
        self.known: dict[str, tuple[FileState, bytes, bytes, Any]] = {}  # rel -> (state, digest, blob, result)

    def recall(self, source: Source, state: FileState | None) -> tuple[bytes, bytes, Any] | None:
        known = self.known.get(source.rel)
        return known[1:] if known is not None and state is not None and known[0] == state else None


def examine_all(root: Path, sources: list[Source], examine: Callable[[Source, bytes | None], Any],
                memory: SourceMemory | None = None) -> Examination:
    """`examine(source, raw)` for every source, from the cache where the source has not changed since.

    Each result must be picklable and have `attach(source, raw)`, called with the bytes of the source as read.
    """
    with paused_collection():  # hundreds of thousands of lasting objects are made here, and none is garbage
        return _examine_all(root, sources, examine, memory)


def _examine_all(root: Path, sources: list[Source], examine: Callable[[Source, bytes | None], Any],
                 memory: SourceMemory | None) -> Examination:
    inputs = inputs_digest(root)
    if memory is not None and memory.inputs != inputs:
        memory.inputs, memory.known = inputs, {}
    states = [_state(source.path) for source in sources] if memory is not None else [None] * len(sources)
    recalled = [memory.recall(source, state) if memory is not None else None
                for source, state in zip(sources, states)]
    to_read = [index for index, known in enumerate(recalled) if known is None]
    cache = CacheFile(root, CACHE_FILE)
    stored = cache.load(inputs) if to_read and (memory is None or not memory.known) else None
    stored = stored if isinstance(stored, dict) else {}
    if memory is not None:  # what the preview holds is as good as the cache file, and already unpickled
        stored.update((rel, known[1:3]) for rel, known in memory.known.items())
    raws: list[bytes | None] = [None] * len(sources)
    digests: list[bytes | None] = [known[0] if known else None for known in recalled]
    # Results travel from workers, and sit in the cache, pickled: a result kept or made is pickled only once.
    blobs: list[bytes] = [known[1] if known else b"" for known in recalled]
    missing = []
    for index in to_read:
        raws[index] = raw = _read(sources[index].path)
        digests[index] = digest = _digest(raw) if raw is not None else None
        entry = stored.get(sources[index].rel)
        if digest is not None and entry is not None and entry[0] == digest:
            blobs[index] = entry[1]
        else:
            missing.append(index)
    for index, blob in zip(missing, _examine_many(examine, sources, raws, missing)):
        blobs[index] = blob
    results = [known[2] if known else _restore(examine, sources[index], raws[index], blobs[index])
               for index, known in enumerate(recalled)]
    fresh = {source.rel: (digest, blob) for source, digest, blob in zip(sources, digests, blobs) if digest is not None}
    if missing or fresh.keys() != stored.keys():
        cache.save(inputs, fresh)
    if memory is not None:
        memory.known = {source.rel: (state, digest, blob, result)
                        for source, state, digest, blob, result in zip(sources, states, digests, blobs, results)
                        if state is not None and digest is not None}
    return Examination(results, digests, inputs)


def _state(path: Path) -> FileState | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def _restore(examine: Callable[[Source, bytes | None], Any], source: Source, raw: bytes | None, blob: bytes) -> Any:
    try:
        result = pickle.loads(blob)
    except Exception:  # cannot happen to a blob made and signed by this code; if it does, check the source again
        result = examine(source, raw)
    if raw is not None:
        result.attach(source, raw)
    return result


def _digest(raw: bytes) -> bytes:
    # SHA-256 is computed by the processor itself on most machines made since 2017 (x86 SHA extensions, ARMv8),
    # more than twice as fast as BLAKE2 there; every source is hashed on every run.
    return hashlib.sha256(raw).digest()


def _read(path: Path) -> bytes | None:
    """The file's bytes; None if it cannot be read, is over the limit or changes while it is read (`examine`
    then reads it again and says why). Reading the size first saves allocating the limit for every file, and one
    `read` of one byte more than the size both reads a file and shows it has not grown: a third fewer system calls
    than a file object, for thousands of files."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(descriptor).st_size
        if size > MAX_FILE_BYTES:
            return None
        raw = os.read(descriptor, size + 1)
        while 0 < len(raw) < size:  # a short read, as some network file systems give: read on to the end
            more = os.read(descriptor, size + 1 - len(raw))
            if not more:
                break
            raw += more
    except OSError:
        return None
    finally:
        os.close(descriptor)
    return raw if len(raw) == size else None


def _examine_many(examine: Callable[[Source, bytes | None], Any], sources: list[Source],
                  raws: list[bytes | None], indexes: list[int]) -> list[bytes]:
    """Each result pickled; on every core when there are many sources, but never from a process with threads
    (`mkdocs serve`), which forking would leave with locks no thread can release."""
    def one(index: int) -> bytes:
        return pickle.dumps(examine(sources[index], raws[index]), protocol=pickle.HIGHEST_PROTOCOL)

    forked = fork_map(one, indexes, chunksize=CHUNK, threshold=PARALLEL_THRESHOLD) \
        if threading.active_count() == 1 else None
    return list(forked) if forked is not None else [one(index) for index in indexes]


def inputs_digest(root: Path) -> bytes:
    """A digest of everything besides a source itself that what its checks find depends on."""
    digest = hashlib.blake2b(digest_size=16)
    versions = (FORMAT, sys.version, publisher.__version__, pydantic.VERSION, yaml.__version__, markdown.__version__)
    digest.update(repr(versions).encode())
    for rel in GLOBAL_INPUTS:
        digest.update(rel.encode() + b"\0" + file_digest(root / rel))
    digest.update(code_digest())
    return digest.digest()
