"""edgedigits: take a Keras digit classifier to a phone or a microcontroller and prove nothing was lost.

    import edgedigits
    exported = edgedigits.export("v1", formats="float32,int8,onnx")
    report = edgedigits.bench(exported.model_dir)       # a notebook shows the bench table
    report.passed, report.row("tflite_int8").agreement

The API (train, export, bench, predict, embed, inspect, explain, in edgedigits.api) is loaded on first use
(PEP 562), so `import edgedigits` imports no TensorFlow; errors are the classes below (docs/api.md).
Data flows one way: data -> models -> train -> export -> runtimes -> bench -> report.
"""

import sys as _sys
import types as _types

from edgedigits.errors import (  # noqa: F401 - public: the exceptions the API raises
    ArtifactError,
    CheckFailed,
    DataError,
    EdgeDigitsError,
    InputError,
    InternalError,
    UsageError,
)

__version__ = "0.1.0"

_FUNCTIONS = ("train", "export", "bench", "predict", "embed", "inspect", "explain")
_RESULTS = ("BenchReport", "BenchRow", "ExportResult", "Bundle")
__all__ = [*_FUNCTIONS, *_RESULTS, "Prediction", "TrainResult", "EdgeDigitsError", "InputError", "UsageError",
           "DataError", "ArtifactError", "CheckFailed", "InternalError", "__version__"]
_LAZY = {**{name: "edgedigits.api" for name in _FUNCTIONS}, **{name: "edgedigits.results" for name in _RESULTS},
         "Prediction": "edgedigits.prediction", "TrainResult": "edgedigits.train"}


_SHARED = ("train", "export", "bench", "embed", "explain")  # API functions named like a library module


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'edgedigits' has no attribute '{name}'")
    import importlib

    if name in _SHARED:  # the module, made callable (below): one object whether or not it was imported before
        return importlib.import_module(f"{__name__}.{name}")
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _CallableModule(_types.ModuleType):
    """A library module that shares its name with an API function (edgedigits.train, .export, .bench, .embed,
    .explain): calling it calls the function, so `edgedigits.export(...)` works after `edgedigits.export` the
    module was imported (the import system binds a submodule as an attribute of its package)."""

    def __call__(self, *args, **kwargs):
        from edgedigits import api

        return getattr(api, self.__name__.rpartition(".")[2])(*args, **kwargs)

    @property
    def __wrapped__(self):  # inspect.signature() and help() on the call show the API function's
        from edgedigits import api

        return getattr(api, self.__name__.rpartition(".")[2])


class _Package(_types.ModuleType):
    def __setattr__(self, name: str, value) -> None:
        if name in _SHARED and type(value) is _types.ModuleType:
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
for _name in _SHARED:  # a submodule imported before this line (none today) is made callable too
    if f"{__name__}.{_name}" in _sys.modules:
        setattr(_sys.modules[__name__], _name, _sys.modules[f"{__name__}.{_name}"])
