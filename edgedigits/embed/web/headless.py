"""Headless Chromium for checking a web bundle (the tests and benchmarks/web.py): the system browser, driven
by Playwright for Python, which never downloads a browser of its own here.

Debian's `chromium` package runs headless as root with `--no-sandbox`. The machine may have no network, so
every background service that would call home is switched off.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_ENV = "EDGEDIGITS_CHROMIUM"  # path of the browser binary, if not on PATH as chromium
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def find_chromium() -> str | None:
    """The Chromium binary: $EDGEDIGITS_CHROMIUM, else the first of CHROMIUM_NAMES on PATH; None if absent."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def missing_browser() -> str | None:
    """Why a headless browser check cannot run here (one line), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if find_chromium() is None:
        return (f"no Chromium found ({' or '.join(CHROMIUM_NAMES)} on PATH, or ${CHROMIUM_ENV}); "
                "install it with `apt-get install -y chromium`")
    return None


def launch(playwright):
    """A headless Chromium browser from a started `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=find_chromium(), args=list(CHROMIUM_ARGS))
