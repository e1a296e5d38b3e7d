"""`edgedigits serve`: serve a web bundle over HTTP on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edgedigits.cli.app import app, console, guarded

# edgedigits.embed.web.serve's defaults, repeated here so `edgedigits --help` does not import http.server.
DEFAULT_PORT = 8000
LOOPBACK = "127.0.0.1"


@app.command("serve")
@guarded(needs_tensorflow=False)
def serve_command(
    folder: Annotated[Path, typer.Argument(help="A web bundle, e.g. artifacts/v3/embed/web.")],
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free one).")] = DEFAULT_PORT,
    host: Annotated[str, typer.Option(
        "--host", help="Address to listen on. Only this machine can connect to the default; 0.0.0.0 opens the page "
                       "to the network.")] = LOOPBACK,
) -> None:
    """Serve a web bundle (`embed --target web`) with the right MIME types for .wasm and .mjs; Ctrl-C stops."""
    from rich.markup import escape

    from edgedigits.embed.web.serve import make_server, url_of

    server = make_server(folder=folder, host=host, port=port)
    try:
        console.print(escape(f"Serving {folder} at {url_of(server)}  (Ctrl-C to stop)"))
        if host not in (LOOPBACK, "localhost", "::1"):
            console.print(escape(f"warning: listening on {host}: other machines on the network can open the page"))
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) is how a server ends: not an error
        console.print("stopped")
    finally:
        server.server_close()
