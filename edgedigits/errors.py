"""One exception family for every domain error; the CLI turns it into a one-line message and an exit code."""

from __future__ import annotations

# Exit codes, decided in one place: edgedigits.cli.app.guarded.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a parity/accuracy check failed: the artifact is not fit to ship
EXIT_BAD_INPUT = 2  # bad usage, missing or corrupt input
EXIT_INTERNAL = 3  # a bug in edgedigits, not in the user's input


class EdgeDigitsError(Exception):
    """Base class: `str(err)` is the one-line message shown to the user."""

    exit_code = EXIT_BAD_INPUT


class UsageError(EdgeDigitsError):
    """A nonsensical option value or an unknown name."""


class DataError(EdgeDigitsError):
    """MNIST (or user) data missing, truncated or failing its checksum."""


class ArtifactError(EdgeDigitsError):
    """An artifact or manifest that is missing, corrupt, tampered with or of the wrong format."""


class CheckFailed(EdgeDigitsError):
    """A verification that ran fine but whose numbers are out of tolerance."""

    exit_code = EXIT_CHECK_FAILED
