"""`edgedigits serve`: a static HTTP server for a web bundle, on 127.0.0.1 unless another address is asked for.

Browsers load module scripts and WebAssembly only over HTTP, and compile `.wasm` with streaming only when it
is sent as `application/wasm`; Python's own table lacks some of these types, so they are set here. Files are
sent with `Cache-Control: no-cache` so a re-embedded bundle is picked up on reload.
"""

from __future__ import annotations

import errno
import functools
import socket
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from edgedigits.errors import UsageError

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8000
MIME_TYPES = {
    ".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
    ".json": "application/json", ".html": "text/html; charset=utf-8", ".css": "text/css",
    ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".tflite": "application/octet-stream", ".onnx": "application/octet-stream", ".bin": "application/octet-stream",
}


class BundleRequestHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_request(self, code="-", size="-") -> None:  # only failures: a page load is ~15 requests
        if isinstance(code, int) and code >= 400 or str(code).startswith(("4", "5")):
            super().log_request(code, size)


def make_server(*, folder: Path, host: str = LOOPBACK, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server for `folder` bound to host:port (port 0: any free one); UsageError naming the problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; make a web bundle with `edgedigits embed MODEL_DIR --target web`")
    if not (folder / "index.html").is_file():
        raise UsageError(f"{folder}: no index.html, not a web bundle; make one with "
                         "`edgedigits embed MODEL_DIR --target web`")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: must be between 0 and 65535")
    handler = functools.partial(BundleRequestHandler, directory=str(folder.resolve()))
    server_class = ThreadingHTTPServer
    if ":" in host:  # an IPv6 address, e.g. ::1
        server_class = type("ThreadingHTTPServerV6", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
    try:
        return server_class((host, port), handler)
    except socket.gaierror:
        raise UsageError(f"--host {host}: not an address of this machine") from None
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise UsageError(f"--port {port}: already in use on {host}; choose another (--port 0 picks a free one)") from None
        if err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise UsageError(f"--host {host}: not an address of this machine") from None
        if err.errno == errno.EACCES:
            raise UsageError(f"--port {port}: permission denied (ports below 1024 need privileges)") from None
        raise


def url_of(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}/" if ":" in str(host) else f"http://{host}:{port}/"
