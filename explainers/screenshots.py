"""Kept for code that imports the browser settings from here (``tests/browser_support.py``): the screenshot
command lives in :mod:`explainers.cli.screenshots`, beside the command line."""

from .cli.screenshots import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGES,
    WINDOW,
    Shot,
    app_pages,
    free_port,
    start_app,
    take_screenshots,
    wait_until_drawn,
    write_manifest,
)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PAGES", "WINDOW", "Shot", "app_pages", "free_port", "start_app",
           "take_screenshots", "wait_until_drawn", "write_manifest"]
