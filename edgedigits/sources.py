"""Where a model comes from: the built-in registry (v1, v2, v3), the user's own `.keras` file, or the user's
own Python builder (`FILE.py:FUNCTION`, for `train`). Every source ends as a model folder under the artifacts
folder, and from there the same train/export/bench/embed code runs for all of them.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edgedigits.errors import UsageError


@dataclass(frozen=True)
class ModelSource:
    name: str  # the model folder's name: registry name, or chosen for the user's model
    model_dir: Path
    keras_file: Path | None = None  # the user's .keras to export (None: model_dir/model.keras)
    registry: bool = False


def is_keras_path(text: str) -> bool:
    return text.endswith(".keras") or "/" in text or "\\" in text


def resolve_sources(model: str, *, artifacts_dir: Path, out: Path | None = None) -> list[ModelSource]:
    """`model` as `export` reads it: 'all', a registry name, or a path to a .keras file; UsageError otherwise."""
    from edgedigits.models import MODELS, get_spec

    if not is_keras_path(model):
        if out is not None:
            raise UsageError("--out applies to your own .keras file; built-in models go to --artifacts-dir/NAME")
        names = list(MODELS) if model == "all" else [get_spec(model).name]
        return [ModelSource(name, Path(artifacts_dir) / name, registry=True) for name in names]
    path = Path(model)
    if path.suffix != ".keras":
        raise UsageError(f"{path}: not a .keras file (give a registry name, 'all', or a path to a .keras model)")
    if not path.is_file():
        raise UsageError(f"{path}: file not found")
    # artifacts/mine/model.keras -> "mine"; anything/digits_v4.keras -> "digits_v4".
    name = path.parent.name if path.stem == "model" and path.parent.name else path.stem
    if out is None and name in MODELS and path.resolve() != (Path(artifacts_dir) / name / "model.keras").resolve():
        raise UsageError(f"{path}: would export into {Path(artifacts_dir) / name}, the built-in {name}'s folder; "
                         "choose a folder with --out")
    model_dir = Path(out) if out is not None else Path(artifacts_dir) / name
    return [ModelSource(model_dir.name, model_dir, keras_file=path)]


Builder = Callable[[], object]  # returns an uncompiled keras.Model


def load_builder(spec: str) -> tuple[str, Builder]:
    """`FILE.py:FUNCTION` -> (FUNCTION, the function). Loading runs the user's file: that is the point of the
    option (a `.keras` file, by contrast, is always opened with Keras' safe_mode). One-line UsageError for a
    missing file or function, a syntax error, or an import that fails."""
    file_text, sep, function = spec.rpartition(":")
    if not sep or not file_text or not function:
        raise UsageError(f"--model-file {spec}: expected FILE.py:FUNCTION")
    path = Path(file_text)
    if path.suffix != ".py" or not path.is_file():
        raise UsageError(f"--model-file {spec}: {path} is not a Python file")
    if not function.isidentifier():
        raise UsageError(f"--model-file {spec}: '{function}' is not a function name")
    module_name = f"edgedigits_user_models_{abs(hash(path.resolve()))}"
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
    except SyntaxError as err:
        raise UsageError(f"--model-file {spec}: syntax error in {path} line {err.lineno}: {err.msg}") from None
    except Exception as err:  # the user's module failed at import time: their error, in one line
        raise UsageError(f"--model-file {spec}: importing {path} failed ({type(err).__name__}: "
                         f"{str(err).strip().splitlines()[0][:160] if str(err).strip() else ''})") from None
    builder = getattr(module, function, None)
    if not callable(builder):
        raise UsageError(f"--model-file {spec}: {path} has no function '{function}'")
    return function, builder


def build_user_model(spec: str, builder: Builder):
    """Call the user's builder; it must return a keras.Model (uncompiled or not)."""
    import keras

    try:
        model = builder()
    except Exception as err:
        raise UsageError(f"--model-file {spec}: the function raised {type(err).__name__}: "
                         f"{str(err).strip().splitlines()[0][:160] if str(err).strip() else ''}") from None
    if not isinstance(model, keras.Model):
        raise UsageError(f"--model-file {spec}: the function returned {type(model).__name__}, not a keras.Model")
    return model
