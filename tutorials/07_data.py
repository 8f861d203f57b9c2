# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 — Data: `Dataset`, `DataLoader`, shuffling, workers, transforms, MNIST
#
# A training loop wants shuffled mini-batches of tensors; data lives in files, one example at
# a time. `tinygrad_edu.utils.data` bridges the two with PyTorch's design:
#
# - a **Dataset** answers `len(ds)` and `ds[i]` (one example);
# - a **sampler** decides the order of the indices (shuffled or not);
# - the **DataLoader** groups indices into batches, fetches the examples (optionally in
#   worker processes) and **collates** them: stacks the tensors of a batch into one.
#
# Then `tinygrad_edu.vision` adds torchvision's datasets (MNIST, Fashion-MNIST, the digits)
# and image **transforms**.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch
from tinygrad_edu.utils.data import DataLoader, Dataset, TensorDataset, get_worker_info
from tinygrad_edu.vision import datasets, transforms

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. A Dataset is `__len__` plus `__getitem__`
#
# Anything with those two methods works. This one makes noisy points of $y = \sin x$ on the
# fly; a real one would read an image file in `__getitem__`. An example can be any structure
# (here a tuple of two tensors).


# %%
class NoisySine(Dataset):
    def __init__(self, n, noise=0.1, seed=0):
        rng = np.random.default_rng(seed)
        self.x = rng.uniform(-3, 3, n).astype(np.float32)
        self.y = (np.sin(self.x) + noise * rng.standard_normal(n)).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, index):
        return torch.tensor([self.x[index]]), torch.tensor([self.y[index]])


sine = NoisySine(10)
print("len:", len(sine), "| example 0:", sine[0])
# for data that is already in tensors, TensorDataset does this for you
pairs = TensorDataset(torch.arange(10.0).reshape(10, 1), torch.arange(10))
print("TensorDataset example 3:", pairs[3])

# %% [markdown]
# ## 2. The DataLoader batches and collates
#
# `DataLoader(ds, batch_size=4)` fetches examples 0-3, 4-7, 8-9 and **collates** each group:
# tensors are stacked along a new first dimension, numbers become a tensor, tuples stay
# tuples. The last batch is smaller unless `drop_last=True`.

# %%
loader = DataLoader(sine, batch_size=4)
for x, y in loader:
    print("x", tuple(x.shape), "y", tuple(y.shape))
print("batches:", len(loader), "| with drop_last:", len(DataLoader(sine, 4, drop_last=True)))

# %% [markdown]
# ## 3. Shuffling
#
# `shuffle=True` draws a new random order **every epoch** (a `RandomSampler`), so the batches
# differ from epoch to epoch: that randomness is the "stochastic" in stochastic gradient
# descent. The order comes from the global RNG (`torch.manual_seed`) or from a
# `torch.Generator` you pass, which makes it reproducible on its own.

# %%
generator = torch.Generator().manual_seed(0)
shuffled = DataLoader(pairs, batch_size=5, shuffle=True, generator=generator)
orders = []
for epoch in range(4):
    order = [int(i) for _, indices in shuffled for i in indices]
    orders.append(order)
    print(f"epoch {epoch}: {order}")

fig, ax = plt.subplots(figsize=(5, 2))
ax.imshow(np.array(orders), cmap="viridis")
ax.set_xlabel("position in the epoch")
ax.set_ylabel("epoch")
ax.set_title("which example comes when (colour = index)", fontsize=9)
fig.tight_layout()
fig.savefig(OUT / "07_shuffle.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## 4. Workers: loading in parallel
#
# When fetching an example is slow (reading and decoding a file), `num_workers=N` starts N
# processes that fetch whole batches in parallel while your loop trains on the previous one.
# Batches still come out in order. Inside a worker, `get_worker_info()` tells which worker it
# is (in the main process it returns None), and each worker's RNG is seeded differently, so
# random transforms do not repeat across workers.


# %%
class SlowDataset(Dataset):
    """Pretends to read a file: each example takes `delay` seconds."""

    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        time.sleep(self.delay)
        info = get_worker_info()
        return torch.tensor(float(index)), -1 if info is None else info.id


slow = SlowDataset(16 if FAST else 48, delay=0.03)
for workers in (0, 2):
    start = time.perf_counter()
    batches = list(DataLoader(slow, batch_size=4, num_workers=workers))
    worker_ids = [batch[1][0].item() for batch in batches]
    print(f"num_workers={workers}: {time.perf_counter() - start:.2f} s, batch made by "
          f"worker {worker_ids}")

# %% [markdown]
# Starting workers costs time too (a process each), so for data already in memory, like the
# digits, `num_workers=0` is usually fastest.
#
# ## 5. Transforms
#
# A vision dataset hands each raw image to its `transform` (and the label to
# `target_transform`). `transforms.Compose` chains them; the classic pair is `ToTensor()`
# (uint8 H x W -> float C x H x W in [0, 1]) then `Normalize(mean, std)`. *Random* transforms
# (`RandomCrop`, `RandomRotation`, `RandomAffine`) are data **augmentation**: each epoch sees
# a slightly different version of every training image, which helps the model generalise.

# %%
digits = datasets.Digits(train=True)
image, label = digits[0]  # uint8 (8, 8), values 0..16
print("raw:", image.dtype, image.shape, "label", label)
to_tensor = transforms.Compose([
    transforms.Lambda(lambda img: (img * 16).astype(np.uint8)),  # 0..16 -> 0..255
    transforms.ToTensor(),
    transforms.Normalize((0.5,), (0.5,)),  # [0, 1] -> [-1, 1]
])
tensor = to_tensor(image)
print("after the transforms:", tuple(tensor.shape), tensor.dtype,
      f"min {tensor.min().item():.2f} max {tensor.max().item():.2f}")

torch.manual_seed(0)
augment = transforms.RandomAffine(degrees=15, translate=(0.15, 0.15), scale=(0.85, 1.15),
                                  interpolation="bilinear")
fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
axes[0].imshow(image, cmap="gray_r")
axes[0].set_title("original", fontsize=8)
for ax in axes[1:]:
    ax.imshow(augment(image), cmap="gray_r")
for ax in axes:
    ax.axis("off")
fig.savefig(OUT / "07_augmentation.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "07_augmentation.png")

# %% [markdown]
# ## 6. MNIST
#
# The 70,000 handwritten digits of MNIST (28 x 28) ship with the repository in `data/mnist/`
# as the original IDX files; `datasets.MNIST` finds them (it never downloads). The recipe is
# torchvision's, with MNIST's own mean and standard deviation.

# %%
mnist_transform = transforms.Compose([transforms.ToTensor(),
                                      transforms.Normalize((0.1307,), (0.3081,))])
mnist = datasets.MNIST(train=True, transform=mnist_transform)
print(mnist)
torch.manual_seed(0)
loader = DataLoader(mnist, batch_size=64, shuffle=True)
images, labels = next(iter(loader))
print("one batch:", tuple(images.shape), images.dtype, "| labels", tuple(labels.shape),
      labels.dtype)

start = time.perf_counter()
n_batches = 20 if FAST else 200
for index, (images, labels) in enumerate(loader):  # noqa: B007  (the last one is drawn)
    if index + 1 == n_batches:
        break
elapsed = time.perf_counter() - start
print(f"{n_batches * 64 / elapsed:.0f} examples/s through the per-example transforms")

fig, axes = plt.subplots(2, 10, figsize=(10, 2.4))
for ax, image, label in zip(axes.flat, images[:20], labels[:20]):
    ax.imshow(image[0].numpy(), cmap="gray_r")
    ax.set_title(str(label.item()), fontsize=9)
    ax.axis("off")
fig.savefig(OUT / "07_mnist_batch.png", dpi=100)
plt.close(fig)

counts = np.bincount(mnist.targets.numpy(), minlength=10)
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.bar(range(10), counts)
ax.set_xticks(range(10))
ax.set_xlabel("digit")
ax.set_ylabel("training images")
fig.tight_layout()
fig.savefig(OUT / "07_mnist_classes.png", dpi=100)
plt.close(fig)
print("class counts:", counts.tolist())

# %% [markdown]
# Per-example transforms cost Python time for every image of every epoch. When the whole set
# fits in memory, normalising it once into one tensor and indexing whole batches out of it is
# much faster; `python -m tinygrad_edu.train` does that (see `make_loader` there).
#
# ## Exercises
#
# 1. Write a `Dataset` over the lines of a text file that returns `(line_number, length)`.
#    What does the DataLoader's collate make of a batch of such pairs?
# 2. Pass `collate_fn=lambda batch: batch` and look at what a batch is then.
# 3. Give two DataLoaders the same `torch.Generator().manual_seed(1)`: do they produce the same
#    order? And two epochs of one loader?
# 4. With `SlowDataset` and `delay=0.05`, time `num_workers` = 0, 1, 2, 4. Why does it stop
#    improving on a 2-core machine?
# 5. Add `transforms.RandomCrop(28, padding=2)` to the MNIST transform and draw a batch. Why
#    is such a transform applied to the training set only?
