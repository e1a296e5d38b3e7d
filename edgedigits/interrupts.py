"""Ctrl-C and SIGTERM that can neither be lost nor tear a commit in half.

TensorFlow calls Python back from C++ (the int8 converter pulls calibration images from a generator) and may
swallow a KeyboardInterrupt raised there, so an interrupt is also *recorded*: `check()` re-raises it at the
next safe point. During `deferred()` (renaming a set of staged files into place) the handler only records it;
it is raised when the block ends, so the files on disk are either all old or all new.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

_requested = threading.Event()
_deferring = threading.Event()


def _handler(signum, frame) -> None:
    _requested.set()
    if not _deferring.is_set():
        raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT and SIGTERM through `_handler` (Python's default SIGTERM action would skip `finally`)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _handler)


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt arrived, even one something else swallowed."""
    if _requested.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold interrupts for the duration of the block, then deliver any that arrived."""
    check()
    _deferring.set()
    try:
        yield
    finally:
        _deferring.clear()
    check()
