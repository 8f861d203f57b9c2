"""Compiled compute for tinygrad_edu: arrays in, arrays out; no tensors, no autograd.

- `scalar_math`: one plain-Python definition of each scalar function and its derivative;
- `strided`: how an n-d view sits in a flat buffer, and the index math on it;
- `ops`: the op codes that name elementwise operations and reductions;
- `backend`: the interface every device implements;
- `reference` (NumPy, the definition and test oracle), `cpu` (Numba), `cuda` (numba.cuda).
"""

import os

# LLVM optimisation level for every Numba kernel: 2 instead of Numba's default 3. Measured
# on the main job (2 cores, empty cache, alternating runs): 44-49 s of CPU time with 3,
# 36-40 s with 2, and the same warm speed (3.0-3.3 s both). Set before numba is imported,
# since Numba reads it then; a NUMBA_OPT that the user set wins.
os.environ.setdefault("NUMBA_OPT", "2")
