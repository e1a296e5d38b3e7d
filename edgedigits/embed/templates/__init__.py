"""Generated sources are real template files, one folder per target (`templates/<target>/<File>.<ext>.j2`).

They read like the language they generate, so a reviewer, a linter and the compile tests see the same text.
Every number in them comes from the manifest through the values passed to `render`; a value the template
names but the caller did not pass is an error (StrictUndefined), never an empty string in generated code.
"""

from __future__ import annotations

import functools
from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent


@functools.lru_cache(maxsize=None)
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,  # a {% %} line leaves no blank line behind
        lstrip_blocks=True,
        autoescape=False,  # the output is source code, not HTML
    )


def render(target: str, name: str, **values) -> str:
    """Render `templates/<target>/<name>.j2` with `values`."""
    return _environment().get_template(f"{target}/{name}.j2").render(**values)


def render_bytes(target: str, name: str, **values) -> bytes:
    return render(target, name, **values).encode("utf-8")
