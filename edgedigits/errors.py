"""One exception family for every domain error; the CLI turns it into a one-line message and an exit code.

Public: `edgedigits.EdgeDigitsError` is the base of everything the Python API raises on purpose.
  InputError (exit 2): the input cannot be used. UsageError: an option value or name; DataError: images or
             labels; ArtifactError: a model file, artifact or manifest.
  CheckFailed (exit 1): everything ran, but the numbers are out of tolerance (the artifact is not fit to ship).
  InternalError (exit 3): a bug in edgedigits; the original exception is its __cause__.
The API never raises SystemExit; OSError (an unwritable folder, a full disk) and KeyboardInterrupt pass through.
"""

from __future__ import annotations

# Exit codes, decided in one place: edgedigits.cli.app.guarded.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a parity/accuracy check failed: the artifact is not fit to ship
EXIT_BAD_INPUT = 2  # bad usage, missing or corrupt input
EXIT_INTERNAL = 3  # a bug in edgedigits, not in the user's input


class EdgeDigitsError(Exception):
    """Base class: `str(err)` is the one-line message shown to the user."""

    exit_code = EXIT_BAD_INPUT


class InputError(EdgeDigitsError):
    """The input cannot be used: catch this for any of UsageError, DataError and ArtifactError."""


class UsageError(InputError):
    """A nonsensical option value or an unknown name."""


class DataError(InputError):
    """MNIST (or user) data missing, truncated or failing its checksum."""


class ArtifactError(InputError):
    """An artifact or manifest that is missing, corrupt, tampered with or of the wrong format."""


class CheckFailed(EdgeDigitsError):
    """A verification that ran fine but whose numbers are out of tolerance."""

    exit_code = EXIT_CHECK_FAILED


class InternalError(EdgeDigitsError):
    """A bug in edgedigits, not in the user's input (the Python API wraps unexpected exceptions in it)."""

    exit_code = EXIT_INTERNAL
