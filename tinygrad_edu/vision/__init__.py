"""tinygrad_edu.vision: datasets and transforms in torchvision's shape.

`import tinygrad_edu.vision as torchvision` then `torchvision.datasets.MNIST(...)` and
`torchvision.transforms.Compose([...])` run the usual recipes, offline.
"""

from . import datasets, idx, transforms

__all__ = ["datasets", "idx", "transforms"]
