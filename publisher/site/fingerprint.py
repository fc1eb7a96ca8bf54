"""Digests of what a page is made from, so a page whose inputs have not changed is not rendered again.

A digest covers a value completely or not at all: a type it does not know is an error, never skipped, so a
page can never be reused because part of what it shows was left out of its digest.

Values are serialised with pickle, whose C code walks strings, lists and dicts quickly; only sources, front matter
and dataclasses come back to Python (`reducer_override`), to stand for themselves by digest or by their fields.
Fast mode turns pickle's memo off, so equal values give equal bytes however their objects happen to be shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from datetime import date, datetime, time, tzinfo
from enum import Enum
from types import BuiltinFunctionType, FunctionType
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel

from publisher.site.model import Item

PLAIN = {int, float, bool, bytes, str, list, tuple, dict, set, frozenset, type(None)}
KNOWN_AS_THEY_ARE = (date, datetime, time, tzinfo, Enum, Markup)  # pickled by their own, deterministic, reduction


def _stands_for(*parts: Any) -> tuple:
    """What a source, front matter or dataclass becomes in the pickled stream; never called back."""
    return parts


class Fingerprints:
    """Digests, remembering each source's and each front matter's, which many listings and pages share."""

    def __init__(self) -> None:
        self._known: dict[int, bytes] = {}
        self._kept: list[Any] = []  # while a digest is remembered by id, the object must live so the id is not reused

    def of(self, *values: Any) -> bytes:
        return self.of_with_sources(*values)[0]

    def of_with_sources(self, *values: Any) -> tuple[bytes, frozenset[str]]:
        """The digest, and the sources (by path) the values hold, which a later change to them would change."""
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, self)
        pickler.dump(values)
        return hashlib.blake2b(buffer.getbuffer(), digest_size=16).digest(), frozenset(pickler.sources)

    def item(self, item: Item) -> bytes:
        """A source as published: its place, its state, its front matter and its body."""
        return self._remembered(item, lambda: self.of(item.rel, item.url, item.slug, item.state,
                                                      repr(item.doc.data), item.doc.body))

    def model(self, model: BaseModel) -> bytes:
        return self._remembered(model, lambda: self.of(type(model).__name__, model.model_dump(mode="python")))

    def _remembered(self, value: Any, digest) -> bytes:
        known = self._known.get(id(value))
        if known is None:
            known = self._known[id(value)] = digest()
            self._kept.append(value)
        return known


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, fingerprints: Fingerprints) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.fast = True
        self.fingerprints = fingerprints
        self.sources: set[str] = set()

    def reducer_override(self, value: Any) -> Any:
        # Called for tens of thousands of values per build: what to do is decided once per type (`_handling`).
        handling = _HANDLING.get(type(value)) or _handling(type(value))
        if handling is _AS_THEY_ARE:
            return NotImplemented
        if handling is _ITEM:
            self.sources.add(value.rel)
            return _stands_for, ("item", self.fingerprints.item(value))
        if handling is _MODEL:
            return _stands_for, ("model", self.fingerprints.model(value))
        return _stands_for, (type(value).__name__, tuple(getattr(value, name) for name in handling))


_AS_THEY_ARE, _ITEM, _MODEL = "as they are", "item", "model"
_HANDLING: dict[type, Any] = {}  # a type's handling, or for a dataclass the names of its fields


def _handling(kind: type) -> Any:
    if issubclass(kind, Item):
        handling: Any = _ITEM
    elif issubclass(kind, BaseModel):
        handling = _MODEL
    elif dataclasses.is_dataclass(kind):
        handling = tuple(field.name for field in dataclasses.fields(kind))
    elif issubclass(kind, KNOWN_AS_THEY_ARE) or kind in PLAIN:
        handling = _AS_THEY_ARE
    elif issubclass(kind, (type, FunctionType, BuiltinFunctionType)):  # pickled by name, as part of a reduction
        handling = _AS_THEY_ARE
    else:
        raise TypeError(f"no fingerprint for {kind.__name__}; add it here rather than reuse pages blindly")
    _HANDLING[kind] = handling
    return handling
