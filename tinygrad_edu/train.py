"""Train an image classifier: the main job, modelled on PyTorch's official MNIST example.

    python -m tinygrad_edu.train                                # small CNN, embedded digits
    python -m tinygrad_edu.train --model mlp                    # an MLP on the digits
    python -m tinygrad_edu.train --dataset mnist                # LeNet-like CNN, 3 epochs
    python -m tinygrad_edu.train --dataset mnist --model mlp    # MLP, 10 epochs
    python -m tinygrad_edu.train --dataset mnist --save-model run.tgedu --epochs 2
    python -m tinygrad_edu.train --resume run.tgedu --epochs 4  # continue to epoch 4

The loop is the usual one, written once for any device:

    for epoch in range(first_epoch, epochs + 1):
        model.train()
        for x, y in train_loader:                    # x: (B, 1, H, W) float32, y: (B,) int64
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)      # mean of -log softmax(model(x))[y]
            loss.backward()
            optimizer.step()
        scheduler.step()                             # one learning-rate step per epoch
        model.eval(); evaluate on the test set under no_grad

Data: the whole set is normalised once, (x / max - mean) / std with the training set's mean
and std, and kept as one tensor; the DataLoader draws shuffled *batches of indices*
(`BatchSampler`) and indexes the tensor once per batch, which is several times faster than
fetching and stacking samples one by one (`--workers N` moves that into N processes).

A checkpoint (`--save-model PATH`, written atomically after every epoch) holds the model,
optimizer and scheduler state, the epoch, the RNG state, the history and the settings.
`--resume PATH` restores all of it and continues; the settings that define the run (data,
model, optimizer, batch size, ...) come from the checkpoint, so a resumed run is the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu.optim as optim
from tinygrad_edu.optim import lr_scheduler
from tinygrad_edu.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
)
from tinygrad_edu.vision import datasets

DATASETS = ("digits", "mnist", "fashion-mnist")
MODELS = ("mlp", "cnn")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("cosine", "step", "none")
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-3, "adagrad": 0.01}
# defaults that depend on the data and the model (measured: see the README for the results)
RUN_DEFAULTS = {
    ("digits", "cnn"): {"epochs": 15, "shift": 1},
    ("digits", "mlp"): {"epochs": 40, "hidden": [512, 256], "dropout": 0.5, "shift": 0,
                        "label_smoothing": 0.1, "lr_factor": 3.0},
    ("mnist", "cnn"): {"epochs": 3, "shift": 0},
    ("mnist", "mlp"): {"epochs": 10, "hidden": [256, 128], "dropout": 0.2, "shift": 0},
    ("fashion-mnist", "cnn"): {"epochs": 5, "shift": 0},
    ("fashion-mnist", "mlp"): {"epochs": 10, "hidden": [256, 128], "dropout": 0.2, "shift": 0},
}
# options that define a run: a resumed run takes them from its checkpoint
RUN_OPTIONS = ("dataset", "model", "hidden", "dropout", "shift", "batch_size", "test_batch_size",
               "lr", "optimizer", "momentum", "weight_decay", "scheduler", "gamma",
               "label_smoothing", "seed", "limit_batches")


# ---------------------------------------------------------------------------- models


class MLP(nn.Module):
    """Flatten, then Linear-ReLU-Dropout per hidden size, then Linear to the classes.

    in_features -> hidden[0] -> hidden[1] -> ... -> classes (digits: 64-128-64-10).
    """

    def __init__(self, in_features: int, hidden: Sequence[int], classes: int = 10,
                 dropout: float = 0.2) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class LeNet(nn.Module):
    """LeNet-5 with BatchNorm and Dropout, for 28x28 images:

    conv 5x5 (6, padding 2) -> BN -> ReLU -> maxpool 2     (6, 14, 14)
    conv 5x5 (16)           -> BN -> ReLU -> maxpool 2     (16, 5, 5)
    flatten 400 -> Linear 120 -> ReLU -> Dropout -> Linear 84 -> ReLU -> Dropout -> Linear 10
    """

    def __init__(self, classes: int = 10, dropout: float = 0.25) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(dropout), nn.Linear(84, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class SmallCNN(nn.Module):
    """A CNN for 8x8 images (the digits), where LeNet's 5x5 convolutions would not fit:

    conv 3x3 (16, padding 1) -> BN -> ReLU                 (16, 8, 8)
    conv 3x3 (32, padding 1) -> BN -> ReLU -> maxpool 2    (32, 4, 4)
    flatten 512 -> Linear 128 -> ReLU -> Dropout -> Linear 10
    """

    def __init__(self, classes: int = 10, dropout: float = 0.5) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 4 * 4, 128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def build_model(name: str, image_size: int, hidden: Sequence[int], classes: int = 10,
                dropout: float | None = None) -> nn.Module:
    """The `--model` network for square images of side `image_size` (8 or 28); dropout None
    keeps the model's own default."""
    extra = {} if dropout is None else {"dropout": dropout}
    if name == "mlp":
        return MLP(image_size * image_size, hidden, classes, **extra)
    if image_size == 28:
        return LeNet(classes, **extra)
    if image_size == 8:
        return SmallCNN(classes, **extra)
    raise ValueError(f"no CNN for {image_size}x{image_size} images")


def build_optimizer(name: str, parameters: Any, lr: float, momentum: float,
                    weight_decay: float | None) -> optim.Optimizer:
    """The `--optimizer`; weight_decay None keeps each optimizer's own default."""
    extra = {} if weight_decay is None else {"weight_decay": weight_decay}
    if name == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=momentum, **extra)
    if name == "adam":
        return optim.Adam(parameters, lr=lr, **extra)
    if name == "adamw":
        return optim.AdamW(parameters, lr=lr, **extra)
    if name == "rmsprop":
        return optim.RMSprop(parameters, lr=lr, momentum=momentum, **extra)
    if name == "adagrad":
        return optim.Adagrad(parameters, lr=lr, **extra)
    raise ValueError(f"unknown optimizer {name!r}")


def build_scheduler(name: str, optimizer: optim.Optimizer, epochs: int, gamma: float
                    ) -> lr_scheduler.LRScheduler | None:
    """Per-epoch schedule: cosine from lr to 0 over `epochs`, or lr * gamma**epoch, or none."""
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=1, gamma=gamma)
    return None


# ---------------------------------------------------------------------------- data


def load_arrays(name: str, root: str | None) -> dict[str, Any]:
    """Train and test images as float32 (N, 1, H, W) arrays, normalised with the training
    set's statistics, (x / max_value - mean) / std; labels as int64 (N,) arrays."""
    if name == "digits":
        train, test = datasets.Digits(train=True), datasets.Digits(train=False)
        max_value = float(datasets.Digits.max_value)
    elif name == "mnist":
        train, test = datasets.MNIST(root, train=True), datasets.MNIST(root, train=False)
        max_value = 255.0
    elif name == "fashion-mnist":
        train = datasets.FashionMNIST(root, train=True)
        test = datasets.FashionMNIST(root, train=False)
        max_value = 255.0
    else:
        raise ValueError(f"unknown dataset {name!r}")
    train_x = train.data.numpy().astype(np.float32) / max_value
    test_x = test.data.numpy().astype(np.float32) / max_value
    mean, std = float(train_x.mean()), float(train_x.std())
    return {
        "train_x": ((train_x - mean) / std)[:, None], "train_y": train.targets.numpy(),
        "test_x": ((test_x - mean) / std)[:, None], "test_y": test.targets.numpy(),
        "mean": mean, "std": std, "max_value": max_value, "classes": list(train.classes),
        "background": -mean / std,  # where a 0 pixel lands after normalising
    }


def make_loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool,
                workers: int) -> DataLoader:
    """Batches of (x, y) tensors: a sampler of index *lists* over one TensorDataset.

    With `batch_size=None` the DataLoader does no collating of its own: each item of the
    sampler is a list of indices and `dataset[indices]` returns the whole batch at once.
    Shuffling draws from the global RNG, so `manual_seed` (and a restored RNG state) fix it.
    """
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    order = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(dataset, batch_size=None, num_workers=workers,
                      sampler=BatchSampler(order, batch_size, drop_last=False))


def random_shift(x: torch.Tensor, pixels: int, fill: float) -> torch.Tensor:
    """Augmentation: move every image of a (B, C, H, W) batch by its own random offset,
    dy, dx uniform in {-pixels, ..., pixels}, filling the uncovered border with `fill`:

        out[b, c, i, j] = x[b, c, i - dy_b, j - dx_b]   (fill where that is outside)

    The offsets come from the global RNG, so a seed (or a restored RNG state) repeats them.
    """
    batch, _, height, width = x.shape
    offsets = torch.randint(0, 2 * pixels + 1, (2, batch)).numpy()
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (pixels, pixels), (pixels, pixels)),
                    constant_values=fill).transpose(0, 2, 3, 1)  # (B, H + 2p, W + 2p, C)
    rows = offsets[0][:, None, None] + np.arange(height)[None, :, None]  # (B, H, 1)
    cols = offsets[1][:, None, None] + np.arange(width)[None, None, :]  # (B, 1, W)
    shifted = padded[np.arange(batch)[:, None, None], rows, cols]  # (B, H, W, C)
    return torch.from_numpy(np.ascontiguousarray(shifted.transpose(0, 3, 1, 2)))


# ---------------------------------------------------------------------------- train / test


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: optim.Optimizer,
                device: torch.device, epoch: int, epochs: int, label_smoothing: float,
                shift: int, fill: float, limit: int | None, quiet: bool) -> dict[str, float]:
    """One pass over the training batches (each moved by up to `shift` pixels when shift > 0,
    see random_shift); returns the mean loss, seconds and samples/s."""
    from tqdm import tqdm

    model.train()
    n_batches = len(loader) if limit is None else min(limit, len(loader))
    bar = tqdm(total=n_batches, desc=f"epoch {epoch}/{epochs}", unit="batch", disable=quiet,
               leave=False, file=sys.stderr, dynamic_ncols=True)
    total_loss, seen, start = 0.0, 0, time.perf_counter()
    for index, (x, y) in enumerate(loader):
        if index >= n_batches:
            break
        if shift:
            x = random_shift(x, shift, fill)
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y, label_smoothing=label_smoothing)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        seen += len(y)
        bar.update(1)
        if index % 10 == 0 or index == n_batches - 1:
            elapsed = time.perf_counter() - start
            bar.set_postfix(loss=f"{total_loss / seen:.4f}",
                            samples_per_s=f"{seen / max(elapsed, 1e-9):.0f}")
    bar.close()
    seconds = time.perf_counter() - start
    return {"loss": total_loss / max(seen, 1), "seconds": seconds,
            "samples_per_s": seen / max(seconds, 1e-9), "samples": seen}


def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> dict[str, float]:
    """Mean cross-entropy and accuracy over the whole test set (eval mode, no graph)."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += F.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(dim=1) == y).sum().item())
            count += len(y)
    return {"loss": total_loss / max(count, 1), "accuracy": correct / max(count, 1),
            "correct": correct, "count": count}


def plot_history(history: dict[str, list], path: str, title: str) -> None:
    """Two panels: train and test loss per epoch; test accuracy per epoch. Saved as PNG."""
    import matplotlib

    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")  # a command-line run only ever writes the file
    import matplotlib.pyplot as plt

    epochs = history["epoch"]
    fig, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(9, 3.5))
    loss_ax.plot(epochs, history["train_loss"], "o-", label="train")
    loss_ax.plot(epochs, history["test_loss"], "o-", label="test")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy")
    loss_ax.set_yscale("log")
    loss_ax.legend()
    accuracy_ax.plot(epochs, [100 * a for a in history["test_accuracy"]], "o-", color="C1")
    accuracy_ax.set_xlabel("epoch")
    accuracy_ax.set_ylabel("test accuracy (%)")
    best = max(history["test_accuracy"])
    accuracy_ax.set_title(f"final {100 * history['test_accuracy'][-1]:.2f}%, "
                          f"best {100 * best:.2f}%", fontsize=10)
    for ax in (loss_ax, accuracy_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu.train",
        description="Train an MLP or a CNN on digits, MNIST or Fashion-MNIST (PyTorch's MNIST "
                    "example, on tinygrad_edu).",
        epilog="Options left unset get defaults that depend on the data and model: epochs "
               + ", ".join(f"{d} {m} {o['epochs']}" for (d, m), o in RUN_DEFAULTS.items())
               + "; lr " + ", ".join(f"{o} {lr:g}" for o, lr in DEFAULT_LR.items()) + ".")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="digits (embedded, 8x8), mnist or fashion-mnist (28x28); "
                             "default digits")
    parser.add_argument("--data-root", default=None,
                        help="folder with the MNIST / Fashion-MNIST IDX files (default: the "
                             "places tinygrad_edu.vision.datasets looks in)")
    parser.add_argument("--model", choices=MODELS, default=None,
                        help="default cnn (LeNet-like for 28x28, a small CNN for 8x8)")
    parser.add_argument("--hidden", default=None,
                        help="MLP hidden sizes, comma-separated (default digits 512,256; "
                             "MNIST 256,128)")
    parser.add_argument("--dropout", type=float, default=None,
                        help="dropout probability (default: MLP digits 0.5, MNIST 0.2; CNN "
                             "digits 0.5, MNIST 0.25)")
    parser.add_argument("--shift", type=int, default=None,
                        help="augmentation: move each training image by up to this many "
                             "pixels (default 1 for the digits CNN, else 0)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="total number of epochs (with --resume: the new total)")
    parser.add_argument("--batch-size", type=int, default=None, help="default 64")
    parser.add_argument("--test-batch-size", type=int, default=None, help="default 1000")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default depends on the optimizer; 3x that for "
                             "the digits MLP)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="default adam")
    parser.add_argument("--momentum", type=float, default=None,
                        help="momentum for sgd and rmsprop (default 0.9 for sgd, 0 rmsprop)")
    parser.add_argument("--weight-decay", type=float, default=None,
                        help="weight decay (default: the optimizer's own)")
    parser.add_argument("--scheduler", choices=SCHEDULERS, default=None,
                        help="per-epoch learning-rate schedule (default cosine)")
    parser.add_argument("--gamma", type=float, default=None,
                        help="lr factor per epoch for --scheduler step (default 0.7)")
    parser.add_argument("--label-smoothing", type=float, default=None,
                        help="cross-entropy label smoothing (default 0.1 for the digits MLP, "
                             "else 0)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=default_device,
                        help=f"default here: {default_device} (cuda when a GPU is available)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    parser.add_argument("--workers", type=int, default=0,
                        help="DataLoader worker processes (default 0: load in this process)")
    parser.add_argument("--limit-batches", type=int, default=None,
                        help="train on at most this many batches per epoch (quick runs)")
    parser.add_argument("--save-model", metavar="PATH", default=None,
                        help="write a checkpoint here after every epoch")
    parser.add_argument("--resume", metavar="PATH", default=None,
                        help="continue the run saved in this checkpoint")
    parser.add_argument("--plot", metavar="PATH", default="train_curves.png",
                        help="PNG of the loss and accuracy curves (default train_curves.png; "
                             "'' for none)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "test_batch_size", "limit_batches"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.workers < 0:
        parser.error("--workers must be at least 0")
    if args.hidden is not None:
        try:
            args.hidden = [int(size) for size in args.hidden.split(",") if size.strip()]
        except ValueError:
            parser.error(f"--hidden wants comma-separated integers, got {args.hidden!r}")
        if not args.hidden or min(args.hidden) < 1:
            parser.error("--hidden wants at least one positive size")
    return args


def fill_defaults(args: argparse.Namespace) -> None:
    """Give every run option left unset its default (which may depend on the others)."""
    args.dataset = args.dataset or "digits"
    args.model = args.model or "cnn"
    run_defaults = dict(RUN_DEFAULTS[(args.dataset, args.model)])
    lr_factor = run_defaults.pop("lr_factor", 1.0)  # times the optimizer's default lr
    for name, value in run_defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.hidden is None:  # only the MLP uses it
        args.hidden = []
    args.optimizer = args.optimizer or "adam"
    defaults = {"batch_size": 64, "test_batch_size": 1000,
                "lr": DEFAULT_LR[args.optimizer] * lr_factor,
                "momentum": 0.9 if args.optimizer == "sgd" else 0.0, "scheduler": "cosine",
                "gamma": 0.7, "label_smoothing": 0.0, "seed": 1}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def main(argv: Sequence[str] | None = None) -> dict[str, list]:
    """Run the command line; returns the history (epoch, losses, accuracy, time per epoch)."""
    args = parse_args(argv)
    device = torch.device(args.device)
    checkpoint = None
    if args.resume:
        checkpoint = torch.load(args.resume, map_location=device)
        saved = checkpoint["args"]
        for name in RUN_OPTIONS:
            given = getattr(args, name)
            kept = saved.get(name)  # None: an option newer than the checkpoint, its default
            if given is not None and name != "limit_batches" and given != kept:
                print(f"note: --{name.replace('_', '-')} {given} ignored: resuming uses the "
                      f"checkpoint's {kept}", file=sys.stderr)
            if name != "limit_batches" or given is None:
                setattr(args, name, kept)
        if args.epochs is None:
            args.epochs = saved["epochs"]
    fill_defaults(args)

    torch.manual_seed(args.seed)
    data = load_arrays(args.dataset, args.data_root)
    image_size = data["train_x"].shape[-1]
    train_loader = make_loader(data["train_x"], data["train_y"], args.batch_size, True,
                               args.workers)
    test_loader = make_loader(data["test_x"], data["test_y"], args.test_batch_size, False,
                              args.workers)
    model = build_model(args.model, image_size, args.hidden, len(data["classes"]),
                        args.dropout).to(device)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr, args.momentum,
                                args.weight_decay)
    scheduler = build_scheduler(args.scheduler, optimizer, args.epochs, args.gamma)
    history: dict[str, list] = {"epoch": [], "train_loss": [], "test_loss": [],
                                "test_accuracy": [], "seconds": [], "samples_per_s": [],
                                "lr": []}
    first_epoch = 1
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(checkpoint["scheduler"])
            if args.scheduler == "cosine":
                scheduler.T_max = args.epochs  # a new total stretches the rest of the cosine
        torch.set_rng_state(checkpoint["rng"])
        history = {key: list(values) for key, values in checkpoint["history"].items()}
        first_epoch = checkpoint["epoch"] + 1

    n_parameters = sum(p.numel() for p in model.parameters())
    if not args.quiet:
        print(f"{args.dataset}: {len(data['train_y'])} train / {len(data['test_y'])} test "
              f"images {image_size}x{image_size} | model {args.model} ({n_parameters:,} "
              f"parameters) on {device} | {args.optimizer} lr {args.lr:g}, batch "
              f"{args.batch_size}, {args.epochs} epochs")
        if checkpoint is not None:
            print(f"resuming from {args.resume} after epoch {checkpoint['epoch']}")
    if first_epoch > args.epochs:
        print(f"the checkpoint already holds {first_epoch - 1} epochs (>= --epochs "
              f"{args.epochs}): nothing to train")
    run_start = time.perf_counter()
    for epoch in range(first_epoch, args.epochs + 1):
        lr = optimizer.param_groups[0]["lr"]
        stats = train_epoch(model, train_loader, optimizer, device, epoch, args.epochs,
                            args.label_smoothing, args.shift, data["background"],
                            args.limit_batches, args.quiet)
        if scheduler is not None:
            scheduler.step()
        test = evaluate(model, test_loader, device)
        for key, value in (("epoch", epoch), ("train_loss", stats["loss"]),
                           ("test_loss", test["loss"]), ("test_accuracy", test["accuracy"]),
                           ("seconds", stats["seconds"]),
                           ("samples_per_s", stats["samples_per_s"]), ("lr", lr)):
            history[key].append(value)
        print(f"Epoch {epoch}/{args.epochs}: train loss {stats['loss']:.4f} | Test set: "
              f"Average loss: {test['loss']:.4f}, Accuracy: {test['correct']}/{test['count']} "
              f"({100 * test['accuracy']:.2f}%) | {stats['seconds']:.1f} s, "
              f"{stats['samples_per_s']:.0f} samples/s", flush=True)
        if args.save_model:
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": None if scheduler is None else scheduler.state_dict(),
                        "epoch": epoch, "rng": torch.get_rng_state(), "history": history,
                        "args": _saved_args(args),
                        "normalization": {"max_value": data["max_value"], "mean": data["mean"],
                                          "std": data["std"]},
                        "classes": data["classes"]}, args.save_model)
    if history["epoch"]:
        if args.plot:
            plot_history(history, args.plot, f"{args.dataset} {args.model}, {args.optimizer} "
                                             f"lr {args.lr:g}, batch {args.batch_size}")
        final = history["test_accuracy"][-1]
        last = history["epoch"][-1]
        print(f"Final test accuracy {100 * final:.2f}% after {last} epoch"
              f"{'' if last == 1 else 's'} "
              f"({time.perf_counter() - run_start:.1f} s this run"
              + (f"; curves in {args.plot}" if args.plot else "")
              + (f"; checkpoint in {args.save_model}" if args.save_model else "") + ")")
    return history


def _saved_args(args: argparse.Namespace) -> dict[str, Any]:
    """The run options as plain values (what a checkpoint may hold)."""
    saved = {name: getattr(args, name) for name in RUN_OPTIONS}
    saved["hidden"] = [int(size) for size in args.hidden]
    saved["epochs"] = args.epochs
    return saved


if __name__ == "__main__":
    main()
