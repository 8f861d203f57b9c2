"""The compile step: `tinygrad_edu.compile(model_or_function)` (PyTorch's torch.compile).

Read in this order: `api.py` (guards, tracing once per kind of input, graph breaks),
`graph.py` (which recorded ops fuse into groups, and the program that replays the rest),
`fused.py` (a group as one autograd node), and the code generator in `kernels/fusion.py`
(the Python source text of each fused kernel, forward and backward).
"""

from tinygrad_edu.compiler.api import (
    CompiledFunction,
    CompileError,
    OptimizedModule,
    compile,  # noqa: A004  (torch.compile's name)
    compile_module,
)

__all__ = ["CompileError", "CompiledFunction", "OptimizedModule", "compile", "compile_module"]
