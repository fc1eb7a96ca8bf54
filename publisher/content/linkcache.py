"""Keep where each source's links were found to lead, so the next run resolves again only the links that may now
lead elsewhere.

Where a link leads depends on more than its own source: on every source's path, address and state (published,
draft, scheduled), on the sources that failed their own checks, on the site's address, and on files on disk. The
cache is one file, `<site>/.cache/links.pickle`, used only when the first of these, the *shape* of the site
(`shape_digest`), and everything `checkcache.inputs_digest` covers, are the same as when it was made. In it, for
every source: the digest of its bytes (`checkcache`'s), the questions its links put to the disk with the answers
they got, the problems found and the files linked to. An entry is used only when the source's bytes are the same
and every one of those questions gets the same answer now; otherwise the source's links are resolved again.

Sources whose links needed a "did you mean" suggestion are never kept: suggestions are rationed across the whole
run (`LinkResolver._may_suggest`), so what such a source is told depends on the sources checked before it. A
source that asks for none neither uses up nor depends on the ration, so reusing its findings changes nothing else.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import nh3

from publisher.cache import CacheFile
from publisher.content import bodycheck
from publisher.content.links import LinkResolver
from publisher.findings import Finding, Findings
from publisher.site.model import Item

CACHE_FILE = "links.pickle"
FORMAT = 1  # raise when the layout of the entries changes
IS_FILE, REFERENCE = "is file", "reference"  # the two questions a link can put to the disk


class Entry(NamedTuple):
    digest: bytes  # of the source's bytes
    asked: tuple[tuple[str, str, Any], ...]  # (question, path, answer)
    findings: tuple[Finding, ...]
    files: tuple[str, ...]  # the files beside the sources that its links point to


class ToCheck(NamedTuple):
    item: Item
    addresses: list[Any]  # bodycheck.Address, or the plain tuples the source cache keeps
    digest: bytes | None  # of the source's bytes; None: it could not be read whole, so nothing is kept


class RecordingResolver(LinkResolver):
    """A `LinkResolver` that notes what the links of the source being checked ask of the disk, and whether they
    needed a suggestion."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start()

    def start(self) -> None:
        """Begin the record of one source's links."""
        self.asked: list[tuple[str, str, Any]] = []
        self.suggested = False

    def _is_file(self, rel: str) -> bool:
        answer = super()._is_file(rel)
        self.asked.append((IS_FILE, rel, answer))
        return answer

    def _reference_problem(self, rel: str) -> str | None:
        answer = super()._reference_problem(rel)
        self.asked.append((REFERENCE, rel, answer))
        return answer

    def _may_suggest(self) -> bool:
        self.suggested = True
        return super()._may_suggest()

    def same_answers(self, asked: Iterable[tuple[str, str, Any]]) -> bool:
        """Would the disk answer each question as it did? Asked of the plain resolver, which records nothing."""
        return all((LinkResolver._is_file(self, rel) if question == IS_FILE else
                    LinkResolver._reference_problem(self, rel)) == answer for question, rel, answer in asked)


def shape_digest(resolver: LinkResolver, items: list[Item], sources: list[str]) -> bytes:
    """Everything in the site, besides files on disk and the linking source itself, that a link's fate depends on.

    Items in order, since the resolver keeps the first or the last of several with the same address or name.
    """
    shape = (FORMAT, nh3.__version__, resolver.host, resolver.base_path,
             [(item.rel, item.url, item.slug, item.state) for item in items], sources)
    return hashlib.blake2b(pickle.dumps(shape, protocol=pickle.HIGHEST_PROTOCOL), digest_size=16).digest()


def check_links(root: Path, inputs: bytes, resolver: RecordingResolver, items: list[Item], sources: list[str],
                checks: list[ToCheck], findings: Findings) -> None:
    """`bodycheck.check_addresses` for every source, in order, taking from the cache what cannot have changed.

    Fills `resolver.files_linked` as checking every source would, in the same order.
    """
    cache = CacheFile(root, CACHE_FILE)
    made_for = inputs + shape_digest(resolver, items, sources)
    stored = cache.load(made_for)
    stored = stored if isinstance(stored, dict) else {}
    fresh: dict[str, Entry] = {}
    changed = False
    for item, addresses, digest in checks:
        entry = stored.get(item.rel)
        keep = True
        if entry is None or digest is None or entry.digest != digest or not resolver.same_answers(entry.asked):
            entry, keep = _check(item, addresses, digest, resolver)
            changed = True
        else:
            for rel in entry.files:
                resolver.files_linked[item.rel].add(rel)
        findings.extend(entry.findings)
        if keep and digest is not None:
            fresh[item.rel] = entry
    if changed or fresh.keys() != stored.keys():
        cache.save(made_for, fresh)


def _check(item: Item, addresses: list[Any], digest: bytes | None,
           resolver: RecordingResolver) -> tuple[Entry, bool]:
    """The entry for one source, checked now, and whether it may be kept."""
    resolver.start()
    found = Findings()
    bodycheck.check_addresses(item, addresses, resolver, found)
    files = tuple(resolver.files_linked[item.rel]) if item.rel in resolver.files_linked else ()
    return Entry(digest or b"", tuple(resolver.asked), tuple(found), files), not resolver.suggested
