"""The example scripts run as a user would run them (examples/cli_tour.sh: tests/test_cli.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_tour_runs_as_a_user_would(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "python_tour.py")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "class counts before: {0: 42, 1: 357} after: {0: 357, 1: 357}" in out
    assert re.search(r"pipeline balanced accuracy per fold: \[0\.\d+, 0\.\d+, 0\.\d+\]", out)
    rows = [line.split()[0] for line in out.splitlines()[-7:]]
    assert rows == ["sampler", "none", "vaeaug", "smote", "best", "vaeaug", "vaeaug"]
    assert re.search(r"\nvaeaug vs smote +[+-]0\.\d{3} \d/\d/\d", out)
    assert list(tmp_path.iterdir()) == []  # it writes nothing
