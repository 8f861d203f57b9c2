"""Reader for the IDX format of MNIST and Fashion-MNIST, that validates before it trusts.

The IDX layout (all integers big-endian):

    byte 0, 1   0x00 0x00                      magic: always zero
    byte 2      dtype code                     0x08 uint8, 0x09 int8, 0x0B int16,
                                               0x0C int32, 0x0D float32, 0x0E float64
    byte 3      ndim                           number of dimensions (>= 1)
    4 * ndim    dims                           uint32 each: size of dimension d
    rest        prod(dims) * itemsize bytes    the array, row-major (C order)

`read_idx` checks every one of these fields, then that the payload is exactly the size the
header announces (no fewer bytes, no trailing bytes), before it allocates the array. Every
problem is a `ValueError` that names the file and says what is wrong; a `.gz` file is
decompressed on the fly and a corrupt gzip stream is reported the same way.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

__all__ = ["IDX_DTYPES", "MAX_IDX_NDIM", "read_idx", "write_idx"]

# dtype code -> big-endian NumPy dtype (the IDX spec's table)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_IDX_NDIM = 16  # far more than any real IDX file; refuses headers that are noise
DEFAULT_MAX_BYTES = 1 << 32  # 4 GiB payload limit, so a mutated header cannot exhaust memory

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK_BYTES = 1 << 22


def _is_gzip(path: str) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its name says)."""
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def _read_exact(stream: BinaryIO, count: int, path: str, what: str) -> bytes:
    """Read exactly `count` bytes or raise a ValueError that says which part was cut short."""
    data = stream.read(count)
    if len(data) != count:
        raise ValueError(
            f"IDX file {path!r} is truncated: expected {count} bytes of {what}, "
            f"got {len(data)}"
        )
    return data


def _parse_header(stream: BinaryIO, path: str) -> tuple[np.dtype, tuple[int, ...]]:
    """Read and validate the magic, dtype code, ndim and dims; return (dtype, shape)."""
    magic = _read_exact(stream, 4, path, "header (magic number)")
    if magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"{path!r} is not an IDX file: magic number starts with bytes "
            f"0x{magic[0]:02x} 0x{magic[1]:02x}, expected 0x00 0x00"
        )
    code = magic[2]
    ndim = magic[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise ValueError(
            f"IDX file {path!r} has unknown dtype code 0x{code:02x} (known: {known})"
        )
    if not 1 <= ndim <= MAX_IDX_NDIM:
        raise ValueError(
            f"IDX file {path!r} declares {ndim} dimensions; expected 1..{MAX_IDX_NDIM}"
        )
    raw_dims = _read_exact(stream, 4 * ndim, path, f"header ({ndim} dimension sizes)")
    shape = struct.unpack(f">{ndim}I", raw_dims)
    return IDX_DTYPES[code], tuple(int(d) for d in shape)


def _decode(stream: BinaryIO, path: str, max_bytes: int) -> np.ndarray:
    """Parse one IDX stream: validate the header, then read exactly the announced payload."""
    dtype, shape = _parse_header(stream, path)
    count = 1
    for size in shape:
        count *= size
    payload_bytes = count * dtype.itemsize
    if payload_bytes > max_bytes:
        raise ValueError(
            f"IDX file {path!r} header announces shape {shape} of {dtype.name} = "
            f"{payload_bytes} bytes, above the limit of {max_bytes} bytes (max_bytes)"
        )
    # read in chunks: a gzip stream's size is unknown until read, and one read(n) would
    # allocate n bytes up front even when the stream holds far fewer
    chunks = []
    remaining = payload_bytes
    while remaining > 0:
        chunk = stream.read(min(remaining, _CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    payload = b"".join(chunks)
    if len(payload) != payload_bytes:
        raise ValueError(
            f"IDX file {path!r} is truncated: header announces shape {shape} of "
            f"{dtype.name} = {payload_bytes} bytes of data, file holds {len(payload)}"
        )
    if stream.read(1):
        raise ValueError(
            f"IDX file {path!r} has trailing bytes after the {payload_bytes} bytes of data "
            f"that its header (shape {shape}, {dtype.name}) announces"
        )
    array = np.frombuffer(payload, dtype=dtype).reshape(shape)
    # native byte order, writable, owning its memory
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (gzip-compressed or plain) into a native-endian NumPy array.

    Validates, in order: the file exists; the magic number (0x00 0x00, known dtype code,
    1 <= ndim <= 16); the dims; payload size == prod(dims) * itemsize exactly (for a plain file
    from `os.path.getsize` before reading; for `.gz` while decompressing, never reading more than
    the header announces + 1 byte). Raises `FileNotFoundError` for a missing file and
    `ValueError` naming the file and the problem for anything malformed.
    """
    path_str = os.fspath(path)
    if not os.path.isfile(path_str):
        raise FileNotFoundError(f"IDX file {path_str!r} does not exist")
    if _is_gzip(path_str):
        try:
            with gzip.open(path_str, "rb") as stream:
                return _decode(stream, path_str, max_bytes)
        except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
            raise ValueError(
                f"IDX file {path_str!r} is not a valid gzip stream "
                f"({type(err).__name__}: {err})"
            ) from err
    with open(path_str, "rb") as stream:
        dtype, shape = _parse_header(stream, path_str)
        header_bytes = stream.tell()
        count = 1
        for size in shape:
            count *= size
        expected = header_bytes + count * dtype.itemsize
        actual = os.path.getsize(path_str)
        if actual != expected:
            kind = "truncated" if actual < expected else "too long"
            raise ValueError(
                f"IDX file {path_str!r} is {kind}: header announces shape {shape} of "
                f"{dtype.name}, so {expected} bytes in all, but the file has {actual} bytes"
            )
        stream.seek(0)
        return _decode(stream, path_str, max_bytes)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write `array` as an IDX file (gzip-compressed when `path` ends in .gz); for tests/tools.

    Header = 0x00 0x00 code ndim, then ndim big-endian uint32 dims, then the big-endian data.
    """
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"write_idx: dtype {array.dtype} has no IDX code")
    if not 1 <= array.ndim <= MAX_IDX_NDIM:
        raise ValueError(f"write_idx: ndim {array.ndim} outside 1..{MAX_IDX_NDIM}")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[native]]).tobytes()
    path_str = os.fspath(path)
    opener = gzip.open if path_str.endswith(".gz") else open
    with opener(path_str, "wb") as f:
        f.write(header + body)
