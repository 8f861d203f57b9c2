"""The benchmark scripts still run: each in its quick mode, as a user would start it.

Their figures are not checked (speed is measured in benchmarks/, never asserted in a test);
what is checked is that each script finishes and prints its table, so none of them rots.
benchmarks/train.py and benchmarks/kernels.py have no quick enough mode (they time full
epochs and a cold Numba cache) and are left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = {  # script and arguments: lines its output must contain
    "conv": ([], ["strategy", "im2col", "direct", "maxpool"]),
    "data": ([], ["tinygrad_edu workers=0", "tinygrad_edu workers=2"]),
    "optim": ([], ["Adam.step (fused kernel)", "tensor-op chain"]),
    "gpu": (["--simulator"], ["fp32 matmul", "zip add", "reduce sum", "tinygrad_edu GPU"]),
    "compile": (["--no-torch-compile"], ["mlp fwd+bwd", "tinygrad_edu compile"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_benchmark_runs_in_quick_mode(name: str) -> None:
    arguments, expected = CASES[name]
    env = dict(os.environ, TINYGRAD_EDU_FAST="1", MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if name == "gpu":
        env.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"),
                             *arguments], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, (f"benchmarks/{name}.py exited with {result.returncode}:\n"
                                    f"{result.stderr[-2000:]}")
    missing = [text for text in expected if text not in result.stdout]
    assert not missing, f"benchmarks/{name}.py printed no {missing}:\n{result.stdout[-2000:]}"
