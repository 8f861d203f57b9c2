"""Every CUDA kernel compiles for a real GPU (kernels/cuda/compile_check.py), GPU or not.

The simulator tests check what the kernels compute; this checks that Numba's CUDA compiler
accepts them, for every signature the backend launches them with, by compiling each to PTX
(and assembling it with ptxas, when the toolkit has it). It needs the CUDA toolkit's NVVM
library, not a GPU; without a toolkit it skips.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.gpu


def run_check(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kernels.cuda.compile_check", *arguments],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)


def test_every_kernel_compiles_for_a_real_gpu():
    result = run_check("--quick")
    if result.returncode == 77:
        pytest.skip(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout, result.stdout


def test_the_check_reports_a_kernel_that_does_not_compile(tmp_path):
    """A kernel the simulator runs happily (Python lists are fine there) fails to compile."""
    broken = tmp_path / "broken_kernels.py"
    broken.write_text(
        "from numba import cuda\n"
        "@cuda.jit\n"
        "def append_kernel(out):\n"
        "    values = []\n"
        "    values.append(out[0])\n"
        "    out[0] = values[0] + 1\n")
    script = (
        "import pickle, sys, numba\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from kernels.cuda import compile_check\n"
        "signature = (numba.types.Array(numba.float32, 1, 'C'),)\n"
        "pickle.dump({'launches': [('broken_kernels', 'append_kernel', signature)],\n"
        "             'never_launched': []}, open(sys.argv[1], 'wb'))\n"
        "sys.exit(compile_check.compile_all(sys.argv[1], (9, 0), 1))\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "l.pkl"),
                             str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=600, check=False)
    if result.returncode == 77:
        pytest.skip(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED append_kernel" in result.stdout
    assert "1 failed" in result.stdout
