"""Kept for code that imports the browser settings from here (``tests/browser_support.py``): the screenshot
command lives in :mod:`explainers.cli.screenshots`, beside the command line."""

from .cli.screenshots import (
           CHROMIUM,
           CHROMIUM_ARGS,
           PAGES,
           WINDOW,
           free_port,
           start_app,
           take_screenshots,
           wait_until_drawn,
)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PAGES", "WINDOW", "free_port", "start_app", "take_screenshots",
           "wait_until_drawn"]
