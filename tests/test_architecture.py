"""The engine's shape: its layers and the absence of import cycles (``[tool.importlinter]`` in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    """``lint-imports``: a lower layer never imports a higher one, no module cycle at any depth, and the engine
    never imports streamlit. A failure names each offending import."""
    command = shutil.which("lint-imports")
    if command is None:
        pytest.fail("lint-imports is missing: python3 -m pip install -r requirements-dev.txt")
    done = subprocess.run([command, "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
