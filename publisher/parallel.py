"""Spread CPU-bound work over every core with forked workers.

Workers are forked, so they inherit the parent's objects (the site model, the Jinja environments) instead of
receiving them pickled; only indexes go out and results travel back. Forking is safe only from a single-threaded process, such
as `publisher build`; `mkdocs serve` runs server threads, so callers do the work in-process there.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8
# Workers give way to the parent and to Pagefind when every core is busy: the parent feeds Pagefind the pages the
# workers render, and Pagefind, one process that must index every page before it can write, finishes last. With
# cores to spare, a lower priority costs the workers nothing.
WORKER_NICENESS = 5
# The parent's function and work list, inherited by the forked workers: only indexes travel to them.
_task: Callable[[Any], Any] | None = None
_work: list[Any] = []


def worker_count() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


def fork_map(function: Callable[[T], R], items: Iterable[T], *, chunksize: int = 32,
             threshold: int = 0) -> Iterator[R] | None:
    """Results of `function` over `items`, in order, computed in forked workers.

    None when fewer than `threshold` items or a single core make workers cost more than they save: the caller
    then does the work itself. `function` may be a closure or a bound method; it is never pickled.
    """
    work = list(items)
    workers = worker_count()
    if workers < 2 or len(work) < max(threshold, 2):
        return None
    return _run(function, work, workers, chunksize)


def _run(function: Callable[[T], R], work: list[T], workers: int, chunksize: int) -> Iterator[R]:
    global _task, _work
    _task, _work = function, work
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=os.nice, initargs=(WORKER_NICENESS,)) \
                as pool:
            yield from pool.imap(_call, range(len(work)), chunksize=chunksize)
    finally:
        _task, _work = None, []


def _call(index: int) -> Any:
    assert _task is not None
    return _task(_work[index])
