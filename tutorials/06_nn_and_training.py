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
# # 06 — `nn` and `optim`: modules, losses, optimizers, and the training loop
#
# Tutorials 02 and 03 gave us tensors that remember how they were made. Training a network
# needs three more things, and `tinygrad_edu` names them as PyTorch does:
#
# - `nn.Module`: a container of parameters (tensors with `requires_grad=True`) and of other
#   modules, with a `forward`;
# - a **loss**: one number that says how wrong the outputs are;
# - an **optimizer** from `optim`: the rule that moves the parameters against the gradient.
#
# We build each by hand first, check the library's version against it, then train a classifier
# on the embedded 8x8 digits and compare SGD, SGD with momentum, and Adam.

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
from tinygrad_edu.vision.datasets import Digits

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| figures go to", OUT)

# %% [markdown]
# ## 1. `nn.Linear` is $y = x W^\top + b$
#
# A `Linear(in_features, out_features)` holds a weight of shape `(out, in)` and a bias of
# shape `(out,)`, both `nn.Parameter`s, initialised at random (uniform in
# $\pm 1/\sqrt{\text{in}}$). Calling the module runs its `forward`.

# %%
torch.manual_seed(0)
layer = nn.Linear(3, 2)
print(layer)
for name, parameter in layer.named_parameters():
    print(f"{name:6s} shape {tuple(parameter.shape)} requires_grad {parameter.requires_grad}")
x = torch.randn(4, 3)
by_hand = x @ layer.weight.T + layer.bias
print("module output equals x @ W.T + b:", torch.allclose(layer(x), by_hand))

# %% [markdown]
# ## 2. A `Module` of your own
#
# Subclass `nn.Module`, assign layers as attributes in `__init__`, write `forward`. The
# assignment is what registers them: `parameters()` walks the tree of submodules, and the
# module prints as that tree. `nn.Sequential` does the same for a plain chain of layers.


# %%
class TwoLayerNet(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        return self.out(self.hidden(x).relu())


net = TwoLayerNet(64, 32, 10)
print(net)
print("parameter tensors:", [name for name, _ in net.named_parameters()])
print("number of numbers to learn:", sum(p.numel() for p in net.parameters()))
same = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
print("the Sequential has as many:", sum(p.numel() for p in same.parameters()))

# %% [markdown]
# One thing this library's `nn.Sequential` does that PyTorch's does not: a `Linear` followed
# by a `ReLU` runs as one **fused** op. One kernel does the product, adds the bias and applies
# the ReLU, and the graph gets one node instead of two; fewer nodes means less Python per
# training step (~5% on a small MLP). The numbers are exactly the same. Calling the modules one
# by one gives PyTorch's graph:

# %%
x = torch.randn(4, 64)
fused, by_modules = same(x), same[2](same[1](same[0](x)))
print("same numbers:", torch.equal(fused, by_modules))
for label, y in (("fused", fused), ("module by module", by_modules)):
    chain, node = [], y.grad_fn
    while node is not None and node.next_functions:
        chain.append(node.name())
        node = node.next_functions[0][0]
    print(f"{label:>16}: {' <- '.join(chain)}")

# %% [markdown]
# ## 3. Losses
#
# For regression, the mean squared error $\frac{1}{N}\sum (\hat y - y)^2$. For classification
# with $C$ classes the network outputs $C$ scores (**logits**) per example and the
# **cross-entropy** is the mean over examples of $-\log \mathrm{softmax}(z)_{y}$: the negative
# log of the probability given to the right class. `F.cross_entropy` computes it from logits
# as `log_softmax` followed by picking the target's entry (`nll_loss`), in one stable step.

# %%
prediction, target = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.5, 2.0, 3.0])
print("MSE:", nn.MSELoss()(prediction, target).item(), "by hand:",
      ((prediction - target) ** 2).mean().item())

logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
labels = torch.tensor([0, 2])
probabilities = logits.softmax(dim=1)
by_hand = -(probabilities[0, 0].log() + probabilities[1, 2].log()) / 2
print("cross-entropy:", F.cross_entropy(logits, labels).item(), "by hand:", by_hand.item(),
      "| log_softmax + nll_loss:", F.nll_loss(F.log_softmax(logits, dim=1), labels).item())
print("a uniform guess over 10 classes costs log(10) =", round(np.log(10), 4))

# %% [markdown]
# ## 4. Optimizers
#
# Plain gradient descent is $\theta \leftarrow \theta - \eta\, g$. `optim.SGD` does exactly
# that on every parameter it was given; `zero_grad()` clears the gradients before the next
# backward (they accumulate, tutorial 03). Momentum keeps a running direction
# $v \leftarrow \mu v + g$, $\theta \leftarrow \theta - \eta v$, which smooths the noise of
# small batches and speeds up along consistent directions. **Adam** keeps running means of
# $g$ and $g^2$ and divides one by the square root of the other: a step size per parameter.

# %%
w = nn.Parameter(torch.tensor([1.0, -2.0]))
optimizer = optim.SGD([w], lr=0.1)
optimizer.zero_grad()
loss = (w**2).sum()  # gradient 2w
loss.backward()
expected = w.detach() - 0.1 * 2 * w.detach()
optimizer.step()
print("SGD step:", w.detach(), "by hand:", expected)

# %% [markdown]
# ## 5. The training loop, on real data
#
# `Digits` holds 1,797 handwritten digits, 8x8 pixels of 0..16 (train: the first 1,437, test:
# the last 360, written by other people). We scale them to [0, 1], flatten to 64 numbers, and
# train the usual loop: forward, loss, `zero_grad`, `backward`, `step`, on shuffled
# mini-batches. Evaluation runs under `no_grad` in `eval()` mode (it matters for dropout and
# batch norm, tutorial 08).

# %%
train_set, test_set = Digits(train=True), Digits(train=False)
x_train = train_set.data.float().reshape(-1, 64) / 16
y_train = train_set.targets
x_test = test_set.data.float().reshape(-1, 64) / 16
y_test = test_set.targets
print("train", tuple(x_train.shape), "test", tuple(x_test.shape), "labels", y_train[:10].tolist())

fig, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for ax, image, label in zip(axes, train_set.data[:8], train_set.targets[:8]):
    ax.imshow(image.numpy(), cmap="gray_r")
    ax.set_title(str(label.item()))
    ax.axis("off")
fig.savefig(OUT / "06_digits.png", dpi=100)
plt.close(fig)

EPOCHS = 4 if FAST else 20
BATCH = 32


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(model, optimizer, epochs=EPOCHS, batch_size=BATCH, seed=0):
    """The loop; returns the loss of every step and the test accuracy after every epoch."""
    torch.manual_seed(seed)
    losses, accuracies = [], []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        accuracies.append(accuracy(model, x_test, y_test))
    return losses, accuracies


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


model = make_model()
start = time.perf_counter()
losses, accuracies = train(model, optim.Adam(model.parameters(), lr=1e-3))
print(f"{EPOCHS} epochs in {time.perf_counter() - start:.1f} s; test accuracy per epoch:",
      [round(a, 3) for a in accuracies])

# %% [markdown]
# ## 6. SGD vs momentum vs Adam
#
# Same model, same initial weights, same batches; only the update rule changes. The loss is
# noisy from batch to batch, so we also plot a moving average.

# %%
runs = {
    "SGD lr 0.05": lambda p: optim.SGD(p, lr=0.05),
    "SGD + momentum 0.9, lr 0.05": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "Adam lr 1e-3": lambda p: optim.Adam(p, lr=1e-3),
}
results = {}
for name, make_optimizer in runs.items():
    model = make_model(seed=1)
    results[name] = train(model, make_optimizer(model.parameters()), seed=1)
    print(f"{name:28s} final loss {np.mean(results[name][0][-20:]):.4f}, "
          f"test accuracy {results[name][1][-1]:.3f}")


def smooth(values, width=20):
    values = np.asarray(values)
    if len(values) < width:
        return values
    return np.convolve(values, np.ones(width) / width, mode="valid")


fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
for index, (name, (losses, accuracies)) in enumerate(results.items()):
    loss_ax.plot(losses, color=f"C{index}", alpha=0.2)
    loss_ax.plot(np.arange(len(smooth(losses))) + 10, smooth(losses), color=f"C{index}",
                 label=name)
    accuracy_ax.plot(range(1, len(accuracies) + 1), accuracies, "o-", color=f"C{index}",
                     label=name)
loss_ax.set_yscale("log")
loss_ax.set_xlabel("step (batch of 32)")
loss_ax.set_ylabel("training loss")
loss_ax.legend()
accuracy_ax.set_xlabel("epoch")
accuracy_ax.set_ylabel("test accuracy")
accuracy_ax.legend()
fig.tight_layout()
fig.savefig(OUT / "06_optimizers.png", dpi=100)
plt.close(fig)
print("wrote", OUT / "06_optimizers.png")

# %% [markdown]
# Plain SGD with this learning rate creeps; momentum gets there several times faster, and so
# does Adam, whose default learning rate rarely needs tuning. The test accuracy levels off
# near 90% while the training loss keeps falling: the network starts memorising the training
# writers (overfitting; the test digits were written by other people). Tutorial 08
# fights that with convolutions, dropout and batch norm; `python -m tinygrad_edu.train` runs
# this same loop with all the trimmings (progress bars, checkpoints, curves).
#
# ## Exercises
#
# 1. Write the momentum update by hand (keep one velocity tensor per parameter, update them
#    under `no_grad`) and check it against `optim.SGD(..., momentum=0.9)` for three steps.
# 2. Try learning rates 0.005, 0.05 and 0.5 for plain SGD. Which diverges? What does the loss
#    curve look like when it does?
# 3. Add `nn.Dropout(0.5)` after each ReLU. What happens to the gap between training loss and
#    test accuracy? Why must `accuracy()` call `model.eval()`?
# 4. Replace `F.cross_entropy` by `nn.MSELoss()` on one-hot targets
#    (`F.one_hot(y, 10).float()`). Does it still train? How fast, compared with cross-entropy?
# 5. Use `optim.lr_scheduler.CosineAnnealingLR` with SGD + momentum (call `scheduler.step()`
#    once per epoch). Does the final accuracy change?
