"""Silence the chatter native libraries write straight to file descriptors 1 and 2.

TensorFlow's converter prints "Saved artifact at …" and LiteRT logs "Created TensorFlow Lite XNNPACK
delegate" from C++; neither is useful to a user of a CLI. Output is captured, and replayed if the block fails
so a real error message is never lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Iterator

QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GLOG_minloglevel": "3", "ABSL_MIN_LOG_LEVEL": "3"}


def quiet_environment() -> None:
    """Lower native log levels; must run before TensorFlow is imported."""
    if os.environ.get("EDGEDIGITS_DEBUG"):
        return
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


class NativeOutput:
    """What native code wrote to fds 1 and 2 inside `native_output_captured()`; `text` is set on exit."""

    text: str = ""


@contextlib.contextmanager
def native_output_captured(*, replay_on_failure: bool = True) -> Iterator[NativeOutput]:
    """Redirect fds 1 and 2 (what C++ writes) to a temp file for the block; its text is kept on the yielded
    object, for callers that read a native report (TFLite Micro's arena printout), and never reaches the
    terminal. With EDGEDIGITS_SHOW_NATIVE_LOG set, a failing block replays it to stderr."""
    captured = NativeOutput()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        failed = True
        try:
            with contextlib.redirect_stdout(open(os.devnull, "w")) as devnull:
                try:
                    yield captured
                finally:
                    devnull.close()
            failed = False
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            sink.seek(0)
            captured.text = sink.read().decode(errors="replace")
            if failed and replay_on_failure and os.environ.get("EDGEDIGITS_SHOW_NATIVE_LOG"):
                sys.stderr.write(captured.text)


@contextlib.contextmanager
def native_output_silenced() -> Iterator[None]:
    if os.environ.get("EDGEDIGITS_DEBUG"):
        yield
        return
    with native_output_captured():
        yield


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with their start-up banners (oneDNN, CUDA stubs, absl) silenced.

    Commands that need TensorFlow call this first; `edgedigits --help` and `models` never do.
    """
    if "tensorflow" in sys.modules:
        return
    quiet_environment()
    with native_output_silenced():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
