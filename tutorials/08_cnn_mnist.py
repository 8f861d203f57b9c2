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
# # 08 — A convolutional network on MNIST
#
# An MLP sees an image as a bag of unrelated numbers; move the digit one pixel and every input
# changes. A **convolution** slides one small filter over the whole image, so the same
# pattern is detected wherever it appears, with a handful of weights. Here we look at the
# pieces of a LeNet-style network (convolution, pooling, batch norm, dropout), train it on
# MNIST, save and resume it, and look at what it gets wrong.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.vision import datasets

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# The whole of MNIST fits in memory: we normalise it once into tensors of shape
# (N, 1, 28, 28), with MNIST's mean 0.1307 and standard deviation 0.3081.

# %%
MEAN, STD = 0.1307, 0.3081
train_set, test_set = datasets.MNIST(train=True), datasets.MNIST(train=False)
n_train = 1024 if FAST else 12000
n_test = 1000 if FAST else 10000
x_train = ((train_set.data[:n_train].float() / 255 - MEAN) / STD).unsqueeze(1)
y_train = train_set.targets[:n_train]
x_test = ((test_set.data[:n_test].float() / 255 - MEAN) / STD).unsqueeze(1)
y_test = test_set.targets[:n_test]
print("train", tuple(x_train.shape), "test", tuple(x_test.shape))

# %% [markdown]
# ## 1. Convolution
#
# `F.conv2d(x, weight)` with a weight of shape (out_channels, in_channels, k, k) computes,
# for every output channel $o$ and position $(i, j)$,
# $y_{o,i,j} = \sum_{c,u,v} w_{o,c,u,v}\, x_{c,\,i+u,\,j+v}$ (plus a bias). With padding $p$
# and stride $s$ the output side is $\lfloor (H + 2p - k) / s \rfloor + 1$. Two hand-made
# 3x3 filters show what a filter detects: vertical and horizontal edges. A trained network
# learns its own.

# %%
image = x_train[:1]  # (1, 1, 28, 28)
sobel_x = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
edges = torch.stack([sobel_x, sobel_x.T]).unsqueeze(1)  # (2 filters, 1 channel, 3, 3)
response = F.conv2d(image, edges, padding=1)  # (1, 2, 28, 28)
pooled = F.max_pool2d(response, 2)  # (1, 2, 14, 14): the max of each 2x2 block
print("image", tuple(image.shape), "-> conv", tuple(response.shape), "-> max pool",
      tuple(pooled.shape))

fig, axes = plt.subplots(1, 4, figsize=(9, 2.5))
panels = [(image[0, 0], "input"), (response[0, 0], "vertical edges"),
          (response[0, 1], "horizontal edges"), (pooled[0, 0], "vertical, max-pooled 2x2")]
for ax, (panel, title) in zip(axes, panels):
    ax.imshow(panel.numpy(), cmap="gray" if title == "input" else "RdBu")
    ax.set_title(title, fontsize=9)
    ax.axis("off")
fig.tight_layout()
fig.savefig(OUT / "08_filters.png", dpi=100)
plt.close(fig)

# %% [markdown]
# **Max pooling** keeps the largest value of each 2x2 block: half the resolution, a little
# tolerance to small shifts, and a quarter of the work for the next layer.
#
# ## 2. Batch norm and dropout: layers that behave differently in training
#
# `BatchNorm2d(C)` normalises each channel with the mean and variance *of the current batch*
# during training, $\hat x = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$, then scales and shifts
# by learned $\gamma, \beta$. It also keeps running averages of $\mu_B$ and $\sigma_B^2$
# (`momentum` 0.1), and in evaluation mode uses those instead, so a prediction does not
# depend on the other images in the batch. `Dropout(p)` zeroes each value with probability
# $p$ in training and scales the rest by $1/(1-p)$; in evaluation it does nothing.
# `model.train()` and `model.eval()` switch every such layer of a model at once.

# %%
torch.manual_seed(0)
bn = nn.BatchNorm2d(2)
batch = torch.randn(16, 2, 4, 4) * 3 + 5  # mean 5, std 3
out = bn(batch)  # training mode (the default)
print(f"train mode: output mean {out.mean().item():+.3f}, std {out.std().item():.3f}")
print("running mean after one batch (0.9 * 0 + 0.1 * ~5):", bn.running_mean)
bn.eval()
print(f"eval mode, same batch: output mean {bn(batch).mean().item():+.3f} (uses the running "
      "statistics, which have not caught up yet)")

dropout = nn.Dropout(0.5)
print("dropout, train:", dropout(torch.ones(8)).tolist())
print("dropout, eval: ", dropout.eval()(torch.ones(8)).tolist())

# %% [markdown]
# ## 3. LeNet with batch norm and dropout
#
# Two convolution blocks (conv, batch norm, ReLU, max pool), then a classifier. The shapes,
# for one 28x28 image: (1, 28, 28) -> (6, 28, 28) -> (6, 14, 14) -> (16, 10, 10) ->
# (16, 5, 5) -> 400 -> 120 -> 84 -> 10.


# %%
def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(84, 10))


torch.manual_seed(0)
model = lenet()
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
x = x_train[:2]
for layer in model:
    x = layer(x)
    print(f"{type(layer).__name__:12s} -> {tuple(x.shape)}")

# %% [markdown]
# ## 4. Training, with a checkpoint half-way
#
# The loop of tutorial 06, with `model.train()` before training and `model.eval()` plus
# `no_grad` for testing. After the first epoch we save a **checkpoint**: everything needed to
# continue, i.e. the model's and the optimizer's `state_dict()` (Adam keeps two running
# averages per parameter), the epoch, and the RNG state (it drives shuffling and dropout).

# %%
BATCH = 64
EPOCHS = 2


def train_epoch(model, optimizer):
    model.train()
    order = torch.randperm(len(x_train))
    losses = []
    for first in range(0, len(order), BATCH):
        batch = order[first:first + BATCH]
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def predict(model, x, batch_size=500):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]).argmax(dim=1)
                          for i in range(0, len(x), batch_size)])


checkpoint_path = OUT / "08_lenet_checkpoint.tgedu"
torch.manual_seed(0)
model = lenet()
optimizer = optim.Adam(model.parameters(), lr=2e-3)
history = []
start = time.perf_counter()
for epoch in range(1, EPOCHS + 1):
    losses = train_epoch(model, optimizer)
    history.append(losses)
    accuracy = (predict(model, x_test) == y_test).float().mean().item()
    print(f"epoch {epoch}: mean loss {np.mean(losses):.4f}, test accuracy {accuracy:.4f} "
          f"({time.perf_counter() - start:.0f} s)")
    if epoch == 1:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": epoch, "rng": torch.get_rng_state()}, checkpoint_path)
        print("saved", checkpoint_path.name, "with keys", list(model.state_dict())[:4], "...")

# %% [markdown]
# ## 5. Resume from the checkpoint
#
# A new process (or a new notebook) would build a *fresh* model and optimizer, then load the
# saved state into them. Here we do that and re-run epoch 2: because weights, optimizer state
# and RNG all come back, the losses repeat the original epoch 2 exactly.

# %%
torch.manual_seed(123)  # a different seed: everything must come from the file
resumed_model = lenet()
resumed_optimizer = optim.Adam(resumed_model.parameters(), lr=2e-3)
checkpoint = torch.load(checkpoint_path)
resumed_model.load_state_dict(checkpoint["model"])
resumed_optimizer.load_state_dict(checkpoint["optimizer"])
torch.set_rng_state(checkpoint["rng"])
resumed_losses = train_epoch(resumed_model, resumed_optimizer)
print(f"resumed at epoch {checkpoint['epoch'] + 1}: losses identical to the uninterrupted "
      f"run: {resumed_losses == history[1]}")

fig, ax = plt.subplots(figsize=(6, 3))
steps = np.arange(len(history[0]) + len(history[1]))
ax.plot(steps, np.concatenate(history), label="uninterrupted")
ax.plot(steps[len(history[0]):], resumed_losses, "--", label="resumed from epoch 1")
ax.axvline(len(history[0]), color="gray", lw=0.8)
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "08_resume.png", dpi=100)
plt.close(fig)

# %% [markdown]
# ## 6. What does it get wrong?
#
# A **confusion matrix** counts, for every true class (row), how often each class was
# predicted (column): the diagonal is right, everything else is a mistake, and which
# off-diagonal cells light up tells *how* the model fails.

# %%
predictions = predict(model, x_test).numpy()
truth = y_test.numpy()
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (truth, predictions), 1)
print(f"test accuracy {np.trace(confusion) / confusion.sum():.4f} on {len(truth)} images")

fig, ax = plt.subplots(figsize=(5, 4.5))
ax.imshow(np.log1p(confusion), cmap="Blues")
for (i, j), count in np.ndenumerate(confusion):
    if count:
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                color="white" if i == j else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted")
ax.set_ylabel("true")
ax.set_title("confusion matrix (colour: log count)", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "08_confusion.png", dpi=100)
plt.close(fig)

wrong = np.flatnonzero(predictions != truth)[:16]
fig, axes = plt.subplots(2, 8, figsize=(9, 2.8))
for ax in axes.flat:
    ax.axis("off")
for ax, index in zip(axes.flat, wrong):
    ax.imshow(test_set.data[int(index)].numpy(), cmap="gray_r")
    ax.set_title(f"{truth[index]} as {predictions[index]}", fontsize=9, color="C3")
fig.suptitle("misclassified test images: true as predicted", fontsize=10)
fig.tight_layout()
fig.savefig(OUT / "08_misclassified.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "08_confusion.png", "and", OUT / "08_misclassified.png")

# %% [markdown]
# With a fraction of the data and two epochs this already beats the MLP of tutorial 06. The
# full run, `python -m tinygrad_edu.train --dataset mnist --model cnn`, trains the same network
# on all 60,000 images for 3 epochs.
#
# ## Exercises
#
# 1. Remove the two `BatchNorm2d` layers and retrain. How do the first epoch's losses compare?
# 2. Look at the 6 filters of the first layer after training (`model[0].weight`, shape
#    (6, 1, 5, 5)) as images. Do any look like the edge filters of section 1?
# 3. Forget `model.eval()` in `predict` and measure the test accuracy with batches of 500,
#    then of 1. Explain the difference using what batch norm does in training mode.
# 4. Resume from the checkpoint *without* restoring the RNG state. Are the losses of epoch 2
#    still identical? Which two things in the loop use the RNG?
# 5. Count the multiply-adds of one forward pass per layer. Which layer costs the most, and
#    which holds the most parameters?
