"""The package's type hints hold (mypy, settings in pyproject.toml), and an installed vaeaug
gives them to its users' type checkers (the PEP 561 ``py.typed`` marker ships)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--python-executable", sys.executable,
                           *args], cwd=cwd, capture_output=True, text=True)


def test_the_package_type_checks(tmp_path):
    result = mypy("--cache-dir", str(tmp_path), cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None,
                    reason="installs vaeaug without build isolation, which needs setuptools")
def test_an_installed_vaeaug_gives_its_types_to_users(tmp_path):
    source, site = tmp_path / "source", tmp_path / "site"  # a copy: the build writes build/
    shutil.copytree(ROOT / "vaeaug", source / "vaeaug",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--disable-pip-version-check", "--target",
                    str(site), str(source)], check=True, capture_output=True)
    # what a user's mypy needs to read vaeaug's hints rather than take it all as Any (checked
    # by hand: without the file, "module is installed, but missing library stubs or py.typed
    # marker", and every vaeaug name revealed as Any)
    assert (site / "vaeaug" / "py.typed").is_file()
    assert (site / "vaeaug" / "sampler.py").is_file()
