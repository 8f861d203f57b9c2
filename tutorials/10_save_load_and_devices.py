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
# # 10 — Saving, loading, and code that runs on any device
#
# A trained model is worth keeping, and the same training script should run on a laptop and
# on a GPU machine. This tutorial covers:
#
# - `state_dict()`: a model's learned state as a dictionary of named tensors;
# - `torch.save` / `torch.load`: writing and reading such dictionaries (and checkpoints);
# - `load_state_dict`, strict and not, and what can go wrong;
# - device-agnostic code: one `device` variable, `.to(device)` for the model and the data,
#   and `map_location` when loading.
#
# As in tutorial 05, without an NVIDIA GPU the `"cuda"` device runs on Numba's CUDA simulator,
# which must be switched on before `numba.cuda` is imported.

# %%
import os
from pathlib import Path

if "NUMBA_ENABLE_CUDASIM" not in os.environ and not Path("/dev/nvidia0").exists():
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np  # noqa: E402

import tinygrad_edu as torch  # noqa: E402
import tinygrad_edu.nn as nn  # noqa: E402
import tinygrad_edu.nn.functional as F  # noqa: E402
import tinygrad_edu.optim as optim  # noqa: E402
from tinygrad_edu.vision.datasets import Digits  # noqa: E402

FAST = os.environ.get("TINYGRAD_EDU_FAST") == "1"  # the test suite runs a shrunken version
try:
    HERE = Path(__file__).resolve().parent
except NameError:  # in a notebook there is no __file__; the notebook sits in tutorials/
    HERE = Path.cwd()
OUT = HERE / "out"
OUT.mkdir(exist_ok=True)
print("fast mode:", FAST, "| files go to", OUT)

# %% [markdown]
# ## 1. What a `state_dict` holds
#
# `model.state_dict()` maps names, built from the attribute path (`"0.weight"` is the weight
# of the first layer of a `Sequential`), to tensors. It holds the **parameters** (learned by
# the optimizer) and the **buffers** (state that is not learned but must be kept, like batch
# norm's running statistics), and nothing else: not the code, not the optimizer.


# %%
def make_model():
    return nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10))


torch.manual_seed(0)
model = make_model()
for name, tensor in model.state_dict().items():
    print(f"{name:24s} {str(tuple(tensor.shape)):10s} {tensor.dtype}")
print("buffers:", [name for name, _ in model.named_buffers()])

# %% [markdown]
# Let us give it something worth saving: a few epochs on the digits.

# %%
train_set, test_set = Digits(train=True), Digits(train=False)
x_train, y_train = train_set.data.float().reshape(-1, 64) / 16, train_set.targets
x_test, y_test = test_set.data.float().reshape(-1, 64) / 16, test_set.targets
optimizer = optim.Adam(model.parameters(), lr=3e-3)
for _ in range(3 if FAST else 15):
    model.train()
    order = torch.randperm(len(x_train))
    for first in range(0, len(order), 32):
        batch = order[first:first + 32]
        loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


print(f"test accuracy {accuracy(model, x_test, y_test):.3f}")

# %% [markdown]
# ## 2. `save` and `load`
#
# `torch.save(obj, path)` writes tensors nested in dicts, lists and tuples, plus plain numbers
# and strings. The usual thing to save is the `state_dict`; to use it, build the model *in
# code* again and `load_state_dict` into it.

# %%
path = OUT / "10_digits_model.tgedu"
torch.save(model.state_dict(), path)
print(f"wrote {path.name}: {path.stat().st_size:,} bytes")

torch.manual_seed(1)
restored = make_model()  # fresh random weights ...
print(f"fresh model: test accuracy {accuracy(restored, x_test, y_test):.3f}")
print("load_state_dict:", restored.load_state_dict(torch.load(path)))  # ... replaced
print(f"restored:    test accuracy {accuracy(restored, x_test, y_test):.3f}")
with torch.no_grad():
    same = torch.equal(model.eval()(x_test), restored.eval()(x_test))
print("identical outputs:", same)

# %% [markdown]
# A **checkpoint** for resuming training is the same idea with more in the dictionary: the
# optimizer's `state_dict` (Adam's running averages), the epoch, the RNG state (tutorial 08
# shows a bit-for-bit resume; `python -m tinygrad_edu.train --save-model/--resume` uses it).

# %%
checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": 3,
              "rng": torch.get_rng_state(), "note": "digits MLP, 3 epochs"}
torch.save(checkpoint, OUT / "10_checkpoint.tgedu")
loaded = torch.load(OUT / "10_checkpoint.tgedu")
print("checkpoint keys:", list(loaded), "| optimizer state for",
      len(loaded["optimizer"]["state"]), "parameters")

# %% [markdown]
# ## 3. When loading goes wrong
#
# `load_state_dict` is **strict** by default: every key must match, with the same shape.
# With `strict=False` it loads what matches and *returns* the missing and unexpected keys, the
# way to reuse part of a model (for example all but the last layer).

# %%
wider_head = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 12))
try:
    wider_head.load_state_dict(torch.load(path))
except RuntimeError as error:
    print("strict load failed:\n ", str(error).splitlines()[1].strip()[:95])
body_only = nn.Sequential(nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU())
print("strict=False:", body_only.load_state_dict(torch.load(path), strict=False))

# %% [markdown]
# The file format holds **data only**: there is no pickle inside, so loading a file can never
# run code (PyTorch's `torch.load` gives that guarantee with `weights_only=True`, its default
# since version 2.6). The price:
# only tensors, numbers, strings, None, dtypes and devices, in dicts, lists and tuples, can
# be saved. A damaged or foreign file is refused with a clear message.

# %%
try:
    torch.save({"activation": lambda x: x.relu()}, OUT / "10_refused.tgedu")
except TypeError as error:
    print("refused:", str(error)[:90], "...")
(OUT / "10_not_a_checkpoint.tgedu").write_bytes(b"just some bytes")
try:
    torch.load(OUT / "10_not_a_checkpoint.tgedu")
except torch.CheckpointError as error:
    print("refused:", str(error).split(": ", 1)[1][:80])

# %% [markdown]
# ## 4. Device-agnostic code
#
# Pick the device once, at the top, and send the model and every batch there. A module's
# `.to(device)` moves its parameters and buffers *in place* and returns the module itself; a
# tensor's `.to(device)` returns a *new* tensor (and the same one if nothing changes), so
# write `x = x.to(device)`.

# %%
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.cuda.is_simulator():
    device = torch.device("cuda")  # no GPU, but the simulator runs "cuda" tensors (slowly)
else:
    device = torch.device("cpu")
print("device:", device, "|", torch.cuda.get_device_name() if device.type == "cuda" else "")

moved = restored.to(device)
print("module .to is in place:", moved is restored, "| a parameter is now on",
      next(restored.parameters()).device)
x = x_test[:16]  # small: under the simulator every GPU thread is a Python thread
x_device = x.to(device)
print("tensor .to makes a new tensor:", x_device is not x, "| same device is a no-op:",
      x_device.to(device) is x_device)
with torch.no_grad():
    on_device = restored.eval()(x_device)
    on_cpu = model.eval()(x)
print("logits on", on_device.device, "match the CPU's:",
      np.allclose(on_device.cpu().numpy(), on_cpu.numpy(), atol=1e-5))

# %% [markdown]
# ## 5. Saving on one device, loading on another
#
# Tensors remember their device in the file, and `load` puts them back there. A checkpoint
# written on a GPU machine and opened on a laptop needs `map_location="cpu"` (or any device).
# `load_state_dict` copies values into the model's own tensors, wherever those live.

# %%
gpu_path = OUT / "10_saved_on_device.tgedu"
torch.save(restored.state_dict(), gpu_path)
print("loaded as saved:       ", torch.load(gpu_path)["0.weight"].device)
print("with map_location='cpu':", torch.load(gpu_path, map_location="cpu")["0.weight"].device)
cpu_model = make_model()
cpu_model.load_state_dict(torch.load(gpu_path, map_location="cpu"))
print(f"CPU copy of the device model: test accuracy {accuracy(cpu_model, x_test, y_test):.3f}")
restored.cpu()  # and back

# %% [markdown]
# ## Exercises
#
# 1. Save only the first `Linear` layer's `state_dict` (`model[0].state_dict()`) and load it
#    into a new `nn.Linear(64, 32)`. What are the keys called now?
# 2. Train the model above for one more epoch after loading the checkpoint of section 2, once
#    with the optimizer state restored and once with a fresh Adam. Compare the first losses.
# 3. Change a `BatchNorm1d`'s `running_mean` by hand, save and load: is it restored? Why must
#    buffers be in the `state_dict`?
# 4. Write `save_for_inference(model, path, mean, std)` that stores the weights together with
#    the input normalisation, and a loader that rebuilds a ready-to-use model.
# 5. Open `tinygrad_edu/serialization.py` and read the file format at the top. Use
#    `open(path, "rb").read(64)` to check the magic bytes and lengths of the file you saved.
