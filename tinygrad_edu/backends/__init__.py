"""`tinygrad_edu.backends`: the switches of PyTorch's `torch.backends` that training scripts set.

Scripts commonly write `torch.backends.cudnn.deterministic = True`, `...cudnn.benchmark = False`
or ask `torch.backends.mps.is_available()`. There is no cuDNN, MPS or TF32 here: the flags are
plain attributes, kept so those scripts run, and they change nothing. The CPU kernels are
deterministic already (the same inputs give the same bits on every run, on a given machine
and thread count), which is what `cudnn.deterministic = True` asks PyTorch for; on a GPU,
scatter-add (index_add, embedding gradients) uses atomic adds, whose order may vary.
"""

from types import SimpleNamespace

__all__ = ["cuda", "cudnn", "mps"]

cudnn = SimpleNamespace(enabled=True, deterministic=False, benchmark=False, allow_tf32=True,
                        is_available=lambda: False, version=lambda: None)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cuda = SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False))
