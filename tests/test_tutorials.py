"""Every tutorials/*.py runs start to finish as a script, in fast mode, without a display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "tutorials").glob("*.py"))
TIMEOUT_S = 600


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_runs(path: Path) -> None:
    env = dict(os.environ, TINYGRAD_EDU_FAST="1", MPLBACKEND="Agg")
    # works from a plain checkout too (not installed): put the repository first on the path
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=TIMEOUT_S, check=False,
    )
    assert result.returncode == 0, (
        f"{path.name} exited with {result.returncode}\n--- stderr (tail) ---\n"
        f"{result.stderr[-3000:]}\n--- stdout (tail) ---\n{result.stdout[-1000:]}"
    )


def test_tutorials_exist() -> None:
    assert TUTORIALS, f"no tutorials found in {ROOT / 'tutorials'}"
