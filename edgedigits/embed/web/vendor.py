"""The browser runtimes a web bundle copies in: which npm files each page loads, and where they are installed.

The packages are pinned in the repository's `package.json` + `package-lock.json` and installed by `make node`
into `node_modules/` beside it (git-ignored). `EDGEDIGITS_NODE_MODULES` points elsewhere (e.g. an installed
wheel, or a shared cache). Only the files the page loads are copied: no CDN, the page works offline.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from edgedigits.errors import UsageError

NODE_MODULES_ENV = "EDGEDIGITS_NODE_MODULES"
REPO_ROOT = Path(__file__).resolve().parents[3]  # edgedigits/embed/web/vendor.py -> the checkout
INSTALL_HINT = "run `make node` in the edgedigits checkout (npm ci of package.json)"


@dataclass(frozen=True)
class WebRuntime:
    name: str  # "litert" or "onnx": the --runtime choice
    title: str  # shown on the page
    package: str  # the npm package whose version the bundle records
    license: str  # of the copied files, repeated in the bundle README
    files: tuple[tuple[str, str], ...]  # (path under node_modules, path inside the bundle)
    import_map: dict[str, str]  # bare module specifier -> bundle path (index.html's <script type="importmap">)
    adapter: str  # template file that becomes the bundle's runtime.js


# LiteRT.js picks its .wasm by the browser's features: litert_wasm_internal (relaxed SIMD, e.g. Chromium) or
# litert_wasm_compat_internal (browsers without it). Both ship; the threaded and JSPI builds are never loaded.
LITERT = WebRuntime(
    name="litert", title="LiteRT.js", package="@litertjs/core", license="Apache-2.0",
    files=(("@litertjs/core/dist/index.js", "vendor/litertjs/core/index.js"),
           ("@litertjs/wasm-utils/dist/index.js", "vendor/litertjs/wasm-utils/index.js"),
           ("@litertjs/core/wasm/litert_wasm_internal.js", "vendor/litertjs/core/wasm/litert_wasm_internal.js"),
           ("@litertjs/core/wasm/litert_wasm_internal.wasm", "vendor/litertjs/core/wasm/litert_wasm_internal.wasm"),
           ("@litertjs/core/wasm/litert_wasm_compat_internal.js",
            "vendor/litertjs/core/wasm/litert_wasm_compat_internal.js"),
           ("@litertjs/core/wasm/litert_wasm_compat_internal.wasm",
            "vendor/litertjs/core/wasm/litert_wasm_compat_internal.wasm")),
    # @litertjs/core imports "@litertjs/wasm-utils" by its bare name: the import map resolves it.
    import_map={"@litertjs/wasm-utils": "./vendor/litertjs/wasm-utils/index.js"},
    adapter="runtime-litert.js",
)
# onnxruntime-web's wasm-only build: one ES module plus its single-file wasm (SIMD; threads stay off).
ONNX = WebRuntime(
    name="onnx", title="ONNX Runtime Web", package="onnxruntime-web", license="MIT",
    files=(("onnxruntime-web/dist/ort.wasm.min.mjs", "vendor/onnxruntime-web/ort.wasm.min.mjs"),
           ("onnxruntime-web/dist/ort-wasm-simd-threaded.mjs", "vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs"),
           ("onnxruntime-web/dist/ort-wasm-simd-threaded.wasm", "vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm")),
    import_map={},
    adapter="runtime-onnx.js",
)
WEB_RUNTIMES = {runtime.name: runtime for runtime in (LITERT, ONNX)}


def node_modules() -> Path:
    """The folder holding the npm packages: $EDGEDIGITS_NODE_MODULES, else node_modules/ of the checkout."""
    configured = os.environ.get(NODE_MODULES_ENV)
    return Path(configured) if configured else REPO_ROOT / "node_modules"


def _pinned_versions(folder: Path) -> dict[str, str]:
    """package.json's pins when `folder` is the checkout's node_modules (empty for an external folder)."""
    manifest = folder.parent / "package.json"
    try:
        return dict(json.loads(manifest.read_text(encoding="utf-8")).get("dependencies", {}))
    except (OSError, ValueError):
        return {}


def installed_version(runtime: WebRuntime) -> str:
    """The installed version of `runtime.package`; UsageError saying how to install it when it is missing
    or differs from the version package.json pins."""
    folder = node_modules()
    package_json = folder / runtime.package / "package.json"
    try:
        version = str(json.loads(package_json.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        raise UsageError(f"{runtime.package} is not installed in {folder} (needed by the {runtime.name} web "
                         f"bundle): {INSTALL_HINT}, or set {NODE_MODULES_ENV}") from None
    pinned = _pinned_versions(folder).get(runtime.package)
    if pinned is not None and pinned != version:
        raise UsageError(f"{package_json}: version {version}, but package.json pins {pinned}: {INSTALL_HINT}")
    return version


def runtime_files(runtime: WebRuntime) -> dict[str, bytes]:
    """{bundle path: bytes} of the files the page loads for `runtime`; UsageError if any is missing."""
    installed_version(runtime)
    folder = node_modules()
    files = {}
    for source, destination in runtime.files:
        path = folder / source
        try:
            files[destination] = path.read_bytes()
        except OSError:
            raise UsageError(f"{path}: missing from the {runtime.package} install: {INSTALL_HINT}") from None
    return files
