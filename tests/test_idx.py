"""IDX reader: real MNIST / Fashion-MNIST files, hand-made files, and Hypothesis mutations."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinygrad_edu.vision.idx import IDX_DTYPES, read_idx, write_idx

MNIST_DIR = Path(__file__).resolve().parents[1] / "data" / "mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


@pytest.mark.parametrize("name", sorted(MNIST_MD5))
def test_vendored_mnist_md5(name: str) -> None:
    digest = hashlib.md5((MNIST_DIR / name).read_bytes()).hexdigest()
    assert digest == MNIST_MD5[name], f"{name}: md5 {digest} != published {MNIST_MD5[name]}"


@pytest.mark.parametrize(
    "name, shape",
    [
        ("train-images-idx3-ubyte.gz", (60000, 28, 28)),
        ("train-labels-idx1-ubyte.gz", (60000,)),
        ("t10k-images-idx3-ubyte.gz", (10000, 28, 28)),
        ("t10k-labels-idx1-ubyte.gz", (10000,)),
    ],
)
def test_real_mnist_files(name: str, shape: tuple[int, ...]) -> None:
    array = read_idx(MNIST_DIR / name)
    assert array.shape == shape and array.dtype == np.uint8, (array.shape, array.dtype)
    if "labels" in name:
        assert array.max() == 9 and array.min() == 0
    else:
        assert array.max() == 255 and array.min() == 0


def test_real_mnist_label_counts() -> None:
    counts = np.bincount(read_idx(MNIST_DIR / "train-labels-idx1-ubyte.gz"), minlength=10)
    expected = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert counts.tolist() == expected


@pytest.mark.skipif(not FASHION_DIR.is_dir(), reason="dataset-fashion-mnist not installed")
def test_real_fashion_mnist_files() -> None:
    labels = read_idx(FASHION_DIR / "t10k-labels-idx1-ubyte.gz")
    images = read_idx(FASHION_DIR / "t10k-images-idx3-ubyte.gz")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert np.bincount(labels).tolist() == [1000] * 10


def test_plain_file_equals_gz(tmp_path: Path) -> None:
    gz = MNIST_DIR / "t10k-labels-idx1-ubyte.gz"
    plain = tmp_path / "t10k-labels-idx1-ubyte"
    plain.write_bytes(gzip.decompress(gz.read_bytes()))
    np.testing.assert_array_equal(read_idx(plain), read_idx(gz))
    renamed = tmp_path / "labels.bin"  # gzip is detected by content, not by name
    renamed.write_bytes(gz.read_bytes())
    np.testing.assert_array_equal(read_idx(renamed), read_idx(gz))


@pytest.mark.parametrize("code, dtype", sorted(IDX_DTYPES.items()))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_roundtrip_every_dtype(tmp_path: Path, code: int, dtype: np.dtype, suffix: str) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype.newbyteorder("="))
    path = tmp_path / f"x{suffix}"
    write_idx(path, array)
    raw = gzip.decompress(path.read_bytes()) if suffix else path.read_bytes()
    assert raw[:4] == bytes([0, 0, code, 3])
    out = read_idx(path)
    assert out.dtype == array.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, array)
    out[0, 0, 0] = 1  # writable, owns its memory


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "truncated"),
        (b"\x00\x00\x08", "truncated"),
        (b"\x1f\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x07", "not an IDX file"),
        (_header(0x0A, (1,)) + b"\x07", "unknown dtype code 0x0a"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x11", "declares 17 dimensions"),
        (_header(0x08, (2, 3))[:-2], "dimension sizes"),
        (_header(0x08, (2, 3)) + b"\x00" * 5, "truncated"),
        (_header(0x08, (2, 3)) + b"\x00" * 7, "too long"),
        (_header(0x0C, (2,)) + b"\x00" * 7, "truncated"),
    ],
)
@pytest.mark.parametrize("compress", [False, True])
def test_bad_files_say_what_is_wrong(
    tmp_path: Path, data: bytes, message: str, compress: bool
) -> None:
    path = tmp_path / ("bad.idx.gz" if compress else "bad.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    if compress and message == "too long":
        message = "trailing bytes"
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value), f"error does not name the file: {info.value}"


def test_huge_header_refused_before_allocation(tmp_path: Path) -> None:
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(_header(0x0E, (65535, 65535, 65535))))
    with pytest.raises(ValueError, match="above the limit"):
        read_idx(path)
    small = tmp_path / "small.gz"
    write_idx(small, np.zeros(16, np.uint8))
    with pytest.raises(ValueError, match="max_bytes"):
        read_idx(small, max_bytes=10)


def test_corrupt_gzip_stream(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    write_idx(path, np.arange(100, dtype=np.uint8))
    data = bytearray(path.read_bytes())
    data[-6] ^= 0xFF  # inside the CRC32 trailer
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a valid gzip stream"):
        read_idx(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        read_idx(tmp_path / "nope.gz")


# --- Hypothesis: any truncation / byte mutation / extension gives an array or a ValueError ---

small_arrays = st.tuples(
    st.sampled_from(sorted(IDX_DTYPES)),
    st.lists(st.integers(0, 4), min_size=1, max_size=3),
)


def _make_idx_bytes(code: int, dims: list[int]) -> bytes:
    dtype = IDX_DTYPES[code]
    count = int(np.prod(dims))
    body = (np.arange(count) % 7).astype(dtype).tobytes()
    return _header(code, tuple(dims)) + body


def _mutate(data: bytes, kind: str, position: int, value: int) -> bytes:
    if not data:
        return bytes([value])
    position %= len(data) + (1 if kind == "insert" else 0)
    if kind == "truncate":
        return data[:position]
    if kind == "flip":
        mutated = bytearray(data)
        mutated[position] = value
        return bytes(mutated)
    if kind == "insert":
        return data[:position] + bytes([value]) + data[position:]
    return data + bytes([value]) * (position % 5 + 1)  # append


mutations = st.tuples(
    st.sampled_from(["truncate", "flip", "insert", "append"]),
    st.integers(0, 10_000),
    st.integers(0, 255),
)


def _check_only_value_errors(path: Path, mutated: bytes) -> None:
    """read_idx either raises a ValueError naming the file, or the bytes are a valid IDX file
    that write_idx reproduces byte for byte."""
    try:
        out = read_idx(path)
    except ValueError as err:
        assert str(path) in str(err), f"error does not name the file: {err}"
        return
    again = path.with_name("again.idx")
    write_idx(again, out)
    assert again.read_bytes() == mutated, f"accepted {mutated!r} but it reads as {out!r}"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=small_arrays, mutation=mutations)
def test_mutated_plain_files(tmp_path: Path, spec: tuple[int, list[int]],
                             mutation: tuple[str, int, int]) -> None:
    original = _make_idx_bytes(*spec)
    mutated = _mutate(original, *mutation)
    path = tmp_path / "m.idx"
    path.write_bytes(mutated)
    _check_only_value_errors(path, mutated)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=small_arrays, mutation=mutations, compress_after=st.booleans())
def test_mutated_gz_files(tmp_path: Path, spec: tuple[int, list[int]],
                          mutation: tuple[str, int, int], compress_after: bool) -> None:
    original = _make_idx_bytes(*spec)
    path = tmp_path / "m.idx.gz"
    if compress_after:  # mutate the IDX content, then compress: exercises the header checks
        path.write_bytes(gzip.compress(_mutate(original, *mutation), mtime=0))
    else:  # mutate the compressed stream: exercises the gzip error path
        path.write_bytes(_mutate(gzip.compress(original, mtime=0), *mutation))
    try:
        read_idx(path)
    except ValueError as err:
        assert str(path) in str(err), f"error does not name the file: {err}"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 4541))
def test_truncated_real_labels(tmp_path: Path, cut: int) -> None:
    data = (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()[:cut]
    path = tmp_path / "cut.gz"
    path.write_bytes(data)
    with pytest.raises(ValueError):
        read_idx(path)
