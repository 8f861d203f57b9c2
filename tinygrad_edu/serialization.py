"""Checkpoints: `save(obj, f)` and `load(f, map_location=None)`, in a format that holds data only.

What can be saved: tensors (dtype, shape, values, device and requires_grad are kept, and
whether the tensor is an `nn.Parameter`),
None, bools, ints, floats (inf and nan too), strings, lists, tuples, dicts and
OrderedDicts (keys: None, bool, int, float, str or tuples of these), `tinygrad_edu.Size`,
dtypes and devices, nested in any way: model and optimizer state dicts, scheduler state,
epoch numbers, RNG states. NumPy scalars are saved as Python numbers. Anything else
(functions, classes, arbitrary objects, and namedtuples, which would come back as plain
tuples) is refused at save time, so loading a file can never
run code: there is no pickle here, and `weights_only` is accepted only for PyTorch
compatibility. The same Tensor object saved twice loads as one object; distinct tensors
that share memory (views) are saved, and load, as independent copies.

Files written by `torch.save` cannot be loaded here, and ours cannot be loaded by
`torch.load`: the formats differ (PyTorch's is a zip of pickles). Go through NumPy
(`tensor.numpy()`, `from_numpy`) to move weights between the two.

File format, version 1 (integers little-endian):

    offset  bytes  field
    0       8      magic b"\\x89TGEDU\\r\\n" (the \\x89 and \\r\\n catch text-mode damage)
    8       4      format version (uint32), 1
    12      4      reserved, 0
    16      8      H: header length in bytes (uint64)
    24      8      P: payload length in bytes (uint64)
    32      32     SHA-256 of the header bytes followed by the payload bytes
    64      H      header: UTF-8 JSON {"tensors": [...], "object": ...}
    64 + H  P      payload: each tensor's raw little-endian bytes, row-major, at an offset
                   (from the payload's start) that is a multiple of 64; zero padding between

The file is exactly 64 + H + P bytes long. Each header tensor entry is
{"dtype": "float32", "shape": [2, 3], "offset": 0, "nbytes": 24, "device": "cpu",
"requires_grad": false}, plus "parameter": true for an nn.Parameter (bools are stored one
byte each, 0 or 1). In "object", JSON null,
true/false, numbers (NaN and Infinity included) and strings stand for themselves; every
other value is a one-key JSON object: {"list": [...]}, {"tuple": [...]},
{"dict": [[key, value], ...]}, {"ordered_dict": [[key, value], ...]}, {"tensor": index into
"tensors"}, {"size": [...]}, {"dtype": "float32"}, {"device": "cuda:0"}.

`load` checks the magic, version, lengths and checksum before it parses anything, then
checks every header entry against the payload, and raises `CheckpointError` (a ValueError)
naming the file and the problem for truncated, corrupt or foreign files. `save` to a path is
atomic: it writes a temporary file in the same directory, flushes and fsyncs it, and renames
it over the target (`os.replace`), so a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import IO, Any

import numpy as np

from tinygrad_edu import creation, dispatch, dtypes
from tinygrad_edu.device import canonical, device
from tinygrad_edu.tensor import Size, Tensor

MAGIC = b"\x89TGEDU\r\n"
VERSION = 1
PREFIX = struct.Struct("<8sIIQQ32s")  # magic, version, reserved, H, P, sha256: 64 bytes
ALIGNMENT = 64
_DTYPES = {d.name: d for d in dtypes.ALL_DTYPES}
_SCALAR_KEYS = (type(None), bool, int, float, str)

FileLike = str | os.PathLike | IO[bytes]


class CheckpointError(ValueError):
    """A file that is not a readable tinygrad_edu checkpoint (truncated, corrupt, foreign)."""


# ---------------------------------------------------------------------------- save


def save(obj: Any, f: FileLike) -> None:
    """Write `obj` (nested containers of tensors and plain values) to a path or binary file.

    A path is replaced atomically (temp file + fsync + rename); a file object is written
    from its current position.
    """
    tensors: list[Tensor] = []
    encoded = _encode(obj, tensors, {}, set(), "obj")
    arrays = [_host_bytes(t) for t in tensors]
    entries, offset = [], 0
    for tensor, array in zip(tensors, arrays):
        offset = -(-offset // ALIGNMENT) * ALIGNMENT
        entries.append({"dtype": tensor.dtype.name, "shape": list(tensor._shape),
                        "offset": offset, "nbytes": array.nbytes,
                        "device": str(tensor.device), "requires_grad": tensor.requires_grad})
        if _is_parameter(tensor):
            entries[-1]["parameter"] = True
        offset += array.nbytes
    header = json.dumps({"tensors": entries, "object": encoded},
                        separators=(",", ":")).encode()
    chunks = [header]
    position = 0
    for entry, array in zip(entries, arrays):
        chunks.append(bytes(entry["offset"] - position))
        chunks.append(memoryview(array))
        position = entry["offset"] + entry["nbytes"]
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    prefix = PREFIX.pack(MAGIC, VERSION, 0, len(header), position, digest.digest())
    chunks.insert(0, prefix)
    if isinstance(f, (str, os.PathLike)):
        _replace_atomically(os.fspath(f), chunks)
    else:
        _write_all(f, chunks)


def _encode(value: Any, tensors: list, tensor_index: dict, active: set, path: str) -> Any:
    """The JSON form of `value` (see the module docstring); tensors are appended to `tensors`."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return _plain_scalar(value)
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, Tensor):
        if id(value) not in tensor_index:
            tensor_index[id(value)] = len(tensors)
            tensors.append(value)
        return {"tensor": tensor_index[id(value)]}
    if isinstance(value, dtypes.dtype):
        return {"dtype": value.name}
    if isinstance(value, device):
        return {"device": str(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        raise TypeError(f"save: can't save {path}, a namedtuple {type(value).__qualname__}: "
                        "it would load as a plain tuple. Save value._asdict() (a dict) or "
                        "tuple(value) instead")
    if not isinstance(value, (list, tuple, dict)):
        raise TypeError(f"save: can't save {path} of type {type(value).__module__}."
                        f"{type(value).__qualname__}: only tensors, numbers, strings, None, "
                        "dtypes, devices and lists/tuples/dicts of these can be saved")
    if id(value) in active:
        raise ValueError(f"save: {path} contains itself (a reference cycle)")
    active.add(id(value))
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not _is_plain_key(key):
                raise TypeError(f"save: the key {key!r} of {path} is a {type(key).__name__}; "
                                "keys must be None, bool, int, float, str or tuples of these")
            items.append([_encode(key, tensors, tensor_index, active, path),
                          _encode(item, tensors, tensor_index, active, f"{path}[{key!r}]")])
        encoded = {"ordered_dict" if isinstance(value, OrderedDict) else "dict": items}
    else:
        kind = "size" if isinstance(value, Size) else "tuple" if isinstance(value, tuple) \
            else "list"
        encoded = {kind: [_encode(item, tensors, tensor_index, active, f"{path}[{i}]")
                          for i, item in enumerate(value)]}
    active.discard(id(value))
    return encoded


def _plain_scalar(value: Any) -> Any:
    """Python scalars as JSON holds them exactly (int/float subclasses made plain)."""
    if isinstance(value, bool) or value is None or type(value) in (int, float, str):
        return value
    if isinstance(value, int):
        return int(value)
    return float(value) if isinstance(value, float) else str(value)


def _is_plain_key(key: Any) -> bool:
    if isinstance(key, tuple):
        return all(_is_plain_key(item) for item in key)
    return isinstance(key, _SCALAR_KEYS)


def _host_bytes(tensor: Tensor) -> np.ndarray:
    """The tensor's values as a flat little-endian uint8 array on the host (row-major)."""
    values = tensor.detach()
    if values.is_cuda:
        values = values.cpu()
    if not values.is_contiguous():
        values = dispatch.contiguous(values)
    array = values.numpy().reshape(-1)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array.view(np.uint8)


def _write_all(file: IO[bytes], chunks: Iterable[Any]) -> None:
    for chunk in chunks:
        file.write(chunk)


def _replace_atomically(path: str, chunks: list) -> None:
    """Write the chunks to a fresh temp file beside `path`, fsync it, then rename it over
    `path`: readers see the old file or the new one, never half of one."""
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory,
                             f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_all(file, chunks)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------- load


def load(f: FileLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Read what `save` wrote, from a path or a binary file object.

    map_location: None (each tensor back on the device it was saved from), a device or
    string ("cpu", "cuda", "cuda:0") for all tensors, a dict {saved device: device}, or a
    function (tensor on the CPU, saved device string) -> tensor (or None: default).
    weights_only: accepted for PyTorch compatibility; this format cannot hold code.
    """
    name, data = _read(f)
    header, payload_start = _check_file(name, data)
    entries = header["tensors"]
    cache: dict[int, Tensor] = {}

    def tensor_at(index: Any) -> Tensor:
        if type(index) is not int or not 0 <= index < len(entries):
            raise CheckpointError(f"{name}: malformed header: tensor index {index!r} is out of "
                                  f"range (the file has {len(entries)} tensors)")
        if index not in cache:
            cache[index] = _restore(name, entries[index], data, payload_start, map_location)
        return cache[index]

    try:
        return _decode(header["object"], tensor_at, name)
    except RecursionError:
        raise CheckpointError(f"{name}: malformed header: nested too deeply") from None


def _read(f: FileLike) -> tuple[str, bytes]:
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as file:
            return name, file.read()
    name = str(getattr(f, "name", f"<{type(f).__name__}>"))
    data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"load: {name} must be opened in binary mode ('rb'), got "
                        f"{type(data).__name__} from read()")
    return name, bytes(data)


def _check_file(name: str, data: bytes) -> tuple[dict, int]:
    """Validate prefix, lengths, checksum and header; returns (header, payload start)."""
    if data[:len(MAGIC)] != MAGIC[:len(data)] or not data:
        raise CheckpointError(f"{name}: not a tinygrad_edu checkpoint ({_what_is(data)})")
    if len(data) < PREFIX.size:
        raise CheckpointError(f"{name}: truncated: {len(data)} bytes, shorter than the "
                              f"{PREFIX.size}-byte file prefix")
    _, version, reserved, header_size, payload_size, checksum = PREFIX.unpack_from(data)
    if version != VERSION:
        raise CheckpointError(f"{name}: checkpoint format version {version} is not supported "
                              f"(this tinygrad_edu reads version {VERSION})")
    if reserved != 0:
        raise CheckpointError(f"{name}: corrupt: the reserved prefix field is {reserved}, "
                              "not 0")
    expected = PREFIX.size + header_size + payload_size
    if len(data) < expected:
        raise CheckpointError(f"{name}: truncated: {len(data)} bytes, the prefix announces "
                              f"{expected}")
    if len(data) > expected:
        raise CheckpointError(f"{name}: corrupt: {len(data) - expected} unexpected bytes after "
                              f"the {expected} the prefix announces")
    if hashlib.sha256(memoryview(data)[PREFIX.size:]).digest() != checksum:
        raise CheckpointError(f"{name}: corrupt: the SHA-256 checksum of the contents does not "
                              "match the one stored in the file")
    try:
        header = json.loads(data[PREFIX.size:PREFIX.size + header_size].decode("utf-8"))
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise CheckpointError(f"{name}: malformed header: {error}") from None
    if not isinstance(header, dict) or set(header) != {"tensors", "object"} or \
            not isinstance(header["tensors"], list):
        raise CheckpointError(f"{name}: malformed header: expected an object with 'tensors' "
                              "(a list) and 'object'")
    for index, entry in enumerate(header["tensors"]):
        _check_entry(name, index, entry, payload_size)
    return header, PREFIX.size + header_size


def _what_is(data: bytes) -> str:
    """A guess at what a foreign file is, for the error message."""
    if not data:
        return "the file is empty"
    if data.startswith(b"PK\x03\x04"):
        return "it is a zip archive, as torch.save writes; PyTorch files can't be loaded here"
    if data[:1] == b"\x80":
        return "it looks like a pickle, which tinygrad_edu never loads (it can run code)"
    return f"its first bytes are {data[:8]!r}, expected {MAGIC!r}"


_ENTRY_KEYS = {"dtype", "shape", "offset", "nbytes", "device", "requires_grad"}


def _check_entry(name: str, index: int, entry: Any, payload_size: int) -> None:
    """A tensor entry must describe bytes inside the payload that fit its dtype and shape."""
    def bad(problem: str) -> CheckpointError:
        return CheckpointError(f"{name}: malformed header: tensor {index}: {problem}")

    if not isinstance(entry, dict) or set(entry) - {"parameter"} != _ENTRY_KEYS:
        raise bad(f"expected the keys {sorted(_ENTRY_KEYS)} (and optionally 'parameter')")
    if entry.get("parameter", True) is not True:
        raise bad("'parameter' must be true when present")
    if entry["dtype"] not in _DTYPES:
        raise bad(f"unknown dtype {entry['dtype']!r}")
    shape, offset, nbytes = entry["shape"], entry["offset"], entry["nbytes"]
    if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
        raise bad(f"shape {shape!r} is not a list of sizes")
    if type(offset) is not int or type(nbytes) is not int or offset < 0 or nbytes < 0:
        raise bad(f"offset {offset!r} and nbytes {nbytes!r} must be non-negative integers")
    count = 1
    for size in shape:
        count *= size
    if count * _DTYPES[entry["dtype"]].itemsize != nbytes:
        raise bad(f"{nbytes} bytes do not hold shape {shape} of {entry['dtype']}")
    if offset + nbytes > payload_size:
        raise bad(f"bytes {offset}..{offset + nbytes} run past the {payload_size}-byte payload")
    if not isinstance(entry["device"], str) or type(entry["requires_grad"]) is not bool:
        raise bad("device must be a string and requires_grad a bool")
    try:
        canonical(entry["device"])
    except (RuntimeError, ValueError):
        raise bad(f"unknown device {entry['device']!r}") from None
    if entry["requires_grad"] and not _DTYPES[entry["dtype"]].is_floating_point:
        raise bad(f"requires_grad on a {entry['dtype']} tensor")


def _restore(name: str, entry: dict, data: bytes, payload_start: int,
             map_location: Any) -> Tensor:
    """Build one tensor from its (already checked) entry, on the device map_location picks."""
    dtype = _DTYPES[entry["dtype"]]
    storage_dtype = np.dtype(np.uint8) if dtype is dtypes.bool_ else \
        dtype.numpy.newbyteorder("<")
    count = entry["nbytes"] // storage_dtype.itemsize
    array = np.frombuffer(data, dtype=storage_dtype, count=count,
                          offset=payload_start + entry["offset"])
    array = array != 0 if dtype is dtypes.bool_ else array.astype(dtype.numpy)  # copies
    tensor = creation.from_numpy(array.reshape(entry["shape"]))
    saved_device = entry["device"]
    try:
        tensor = _place(tensor, saved_device, map_location)
    except RuntimeError as error:
        hint = ""
        if "NVIDIA driver" in str(error):  # PyTorch's advice for a CPU-only machine
            hint = (" If you are running on a CPU-only machine, use load(f, "
                    "map_location='cpu') to put the tensors on the CPU.")
        raise RuntimeError(f"{name}: can't restore a tensor saved on {saved_device}: "
                           f"{error}.{hint}") from error
    if entry.get("parameter"):
        from tinygrad_edu.nn.parameter import Parameter

        return Parameter(tensor, requires_grad=entry["requires_grad"])
    if entry["requires_grad"]:
        tensor.requires_grad_(True)
    return tensor


def _is_parameter(tensor: Tensor) -> bool:
    from tinygrad_edu.nn.parameter import Parameter

    return isinstance(tensor, Parameter)


def _place(tensor: Tensor, saved_device: str, map_location: Any) -> Tensor:
    """The tensor moved where map_location says (see `load`)."""
    if map_location is None:
        return tensor.to(saved_device)
    if isinstance(map_location, dict):
        target = map_location.get(saved_device, map_location.get(
            canonical(saved_device).type, saved_device))
        return tensor.to(canonical(target))
    if callable(map_location):
        result = map_location(tensor, saved_device)
        if result is None:
            return tensor.to(saved_device)
        if not isinstance(result, Tensor):
            raise TypeError(f"map_location function returned {type(result).__name__}, "
                            "expected a Tensor or None")
        return result
    return tensor.to(canonical(map_location))


_CONTAINERS = ("list", "tuple", "size", "dict", "ordered_dict")


def _decode(node: Any, tensor_at: Callable[[Any], Tensor], name: str) -> Any:
    """The value a JSON node stands for (the inverse of `_encode`), checking its form."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) != 1:
        raise CheckpointError(f"{name}: malformed header: unexpected value {_short(node)}")
    (kind, body), = node.items()
    if kind == "tensor":
        return tensor_at(body)
    if kind == "dtype":
        if body not in _DTYPES:
            raise CheckpointError(f"{name}: malformed header: unknown dtype {_short(body)}")
        return _DTYPES[body]
    if kind == "device":
        try:
            if not isinstance(body, str):
                raise TypeError(body)
            return device(body)
        except (RuntimeError, TypeError):
            raise CheckpointError(f"{name}: malformed header: bad device {_short(body)}") \
                from None
    if kind not in _CONTAINERS or not isinstance(body, list):
        raise CheckpointError(f"{name}: malformed header: unexpected value {_short(node)}")
    if kind in ("list", "tuple", "size"):
        items = [_decode(item, tensor_at, name) for item in body]
        if kind == "list":
            return items
        if kind == "size" and not all(type(item) is int for item in items):
            raise CheckpointError(f"{name}: malformed header: a Size of non-integers")
        return Size(items) if kind == "size" else tuple(items)
    result = OrderedDict() if kind == "ordered_dict" else {}
    for pair in body:
        if not isinstance(pair, list) or len(pair) != 2:
            raise CheckpointError(f"{name}: malformed header: dict item {_short(pair)} is not "
                                  "a [key, value] pair")
        key = _decode(pair[0], tensor_at, name)
        if not _is_plain_key(key):
            raise CheckpointError(f"{name}: malformed header: dict key {_short(pair[0])} is "
                                  "not a plain value")
        result[key] = _decode(pair[1], tensor_at, name)
    return result


def _short(node: Any) -> str:
    text = json.dumps(node)
    return text if len(text) <= 60 else text[:57] + "..."
