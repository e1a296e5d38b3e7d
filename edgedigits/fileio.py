"""Crash-safe file writes and checksums.

Every file edgedigits produces goes through `atomic_path`/`atomic_write_*`: it is written under a temporary
name in the destination folder and renamed into place only once complete, so an exception, SIGINT or SIGTERM
at any point leaves the previous file intact and never a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

TEMP_PREFIX = ".edgedigits-tmp-"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """Yield a temporary path beside `destination`; rename it over `destination` only if the block succeeds."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Same folder as the destination, so the final rename is atomic (same file system).
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=destination.suffix, dir=destination.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the final file the permissions a plain open() would (umask applied).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, destination)
    finally:
        # BaseException included: KeyboardInterrupt must not leave temp files behind either.
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(destination: Path, data: bytes) -> None:
    with atomic_path(destination) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())


def atomic_write_text(destination: Path, text: str) -> None:
    atomic_write_bytes(destination, text.encode("utf-8"))


def atomic_write_json(destination: Path, payload: Any) -> None:
    atomic_write_text(destination, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def remove_stale_temp_files(folder: Path) -> None:
    """Remove temp files a killed process (SIGKILL cannot be caught) may have left in `folder`."""
    for stale in Path(folder).glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            stale.unlink()


class StagedFiles:
    """Several files written under temporary names, renamed into place together by `commit()`.

    Until `commit()`, the destinations are untouched; on leaving the `with` block, any file not committed is
    removed. `commit()` first re-raises an interrupt that arrived earlier (even one TensorFlow swallowed), then
    holds SIGINT/SIGTERM while it renames, so an interrupt cannot leave half the set renamed (see
    `edgedigits.interrupts`; only when the CLI installed its handler).
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._pending: dict[Path, Path] = {}  # destination -> temp

    def __enter__(self) -> "StagedFiles":
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def path_for(self, destination: Path) -> Path:
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=Path(destination).suffix, dir=self.folder)
        os.close(fd)
        self._pending[Path(destination)] = Path(tmp_name)
        return Path(tmp_name)

    def commit(self, last: tuple[Path, bytes] | None = None) -> None:
        """Rename every staged file into place, then write `last` (e.g. the manifest) atomically."""
        from edgedigits import interrupts

        with interrupts.deferred():
            umask = os.umask(0)
            os.umask(umask)
            for destination, tmp in list(self._pending.items()):
                os.chmod(tmp, 0o666 & ~umask)
                os.replace(tmp, destination)
                del self._pending[destination]
            if last is not None:
                atomic_write_bytes(*last)

    def __exit__(self, *exc) -> None:
        for tmp in self._pending.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._pending.clear()


def ensure_writable_dir(folder: Path) -> Path:
    """Create `folder` if needed and prove we can write there, before any long computation starts."""
    from edgedigits.errors import ArtifactError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(prefix=TEMP_PREFIX, dir=folder):
            pass
    except OSError as err:
        raise ArtifactError(f"{folder}: output folder is not writable ({err.strerror or err})") from None
    return folder


LOCK_NAME = ".edgedigits.lock"


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Serialise writers (train, export) of one model folder: a second one waits for the first."""
    import fcntl

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
