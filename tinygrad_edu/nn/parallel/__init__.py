"""tinygrad_edu.nn.parallel: data-parallel training over processes (torch.nn.parallel).

    DistributedDataParallel   (distributed.py) averages gradients over the ranks in backward

PyTorch's single-process `DataParallel` (one model copied onto several GPUs by threads) does not
exist here.
"""

from tinygrad_edu.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
