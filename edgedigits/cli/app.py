"""The Typer application, shared console objects and the error boundary every command goes through."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from typer.core import TyperGroup

try:
    from click import ClickException
except ImportError:  # recent Typer releases vendor Click instead of depending on it
    from typer._click import ClickException
from rich.console import Console
from rich.markup import escape

from edgedigits import __version__
from edgedigits.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EdgeDigitsError
from edgedigits.quiet import import_tensorflow_quietly, quiet_environment

class OneLineErrors(TyperGroup):
    """Click's usage errors (bad option value, missing argument) as one `error:` line and exit 2, like every
    other error of edgedigits, instead of a framed usage box."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except ClickException as err:
            message = err.format_message()
            if message:  # empty for "no arguments": the help text was printed instead
                hint = f" (see: {err.ctx.command_path} --help)" if getattr(err, "ctx", None) is not None else ""
                fail(message + hint, err.exit_code)
            sys.exit(err.exit_code)
        except typer.Abort:
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    name="edgedigits",
    help="Train the seed's MNIST CNNs, export them to TFLite/ONNX, and prove the artifacts answer like Keras.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals here are 60k-image arrays
    add_completion=False,
)
# emoji=False: user text such as "models.py:x:" must print as is, never as an emoji.
console = Console(soft_wrap=True, emoji=False)
err_console = Console(stderr=True, soft_wrap=True, emoji=False)

# Options shared by several commands.
ArtifactsDir = Annotated[Path, typer.Option("--artifacts-dir", "-o", help="Folder holding one sub-folder per model.")]
DataDir = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Folder with the four MNIST .gz files (default: $EDGEDIGITS_DATA, then the vendored copy).")]


def _version(value: bool) -> None:
    if value:
        console.print(f"edgedigits {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and native library logs.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    if debug:
        os.environ["EDGEDIGITS_DEBUG"] = "1"
    else:
        quiet_environment()


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    # The message carries user input (paths, names): escape it so "[x]" prints literally and cannot crash rich.
    err_console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(command: Callable | None = None, *, needs_tensorflow: bool = True) -> Callable:
    """Turn EdgeDigitsError into a one-line message and its exit code; keep tracebacks for --debug.

    Commands that need TensorFlow get it imported up front with its start-up banners silenced.
    """
    if command is None:
        return functools.partial(guarded, needs_tensorflow=needs_tensorflow)

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            if needs_tensorflow:
                import_tensorflow_quietly()
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except EdgeDigitsError as err:
            if os.environ.get("EDGEDIGITS_DEBUG"):
                raise
            raise fail(str(err), err.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted; artifacts on disk are unchanged or complete", 130) from None
        except OSError as err:  # unwritable output folder, disk full, a file where a folder should be …
            if os.environ.get("EDGEDIGITS_DEBUG"):
                raise
            where = err.filename or "file system"
            raise fail(f"{where}: {err.strerror or err}", EXIT_BAD_INPUT) from None
        except MemoryError:
            raise fail("out of memory", EXIT_BAD_INPUT) from None
        except Exception as err:  # a bug: say so in one line, the traceback is one flag away
            if os.environ.get("EDGEDIGITS_DEBUG"):
                raise
            detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
            raise fail(f"internal error {type(err).__name__}: {detail} (rerun with --debug for the traceback)",
                       EXIT_INTERNAL) from None

    return wrapper


def model_names(name: str) -> list[str]:
    """'all' -> every registry model; else the one name (validated by the caller through get_spec)."""
    from edgedigits.models import MODELS, get_spec

    if name == "all":
        return list(MODELS)
    return [get_spec(name).name]

