"""save/load: every dtype, non-contiguous tensors, nested structures, map_location, the file
format, fuzzed truncated/mutated/forged files (clear errors only), and crashes mid-save."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import serialization
from tinygrad_edu.serialization import CheckpointError, load, save

ROOT = pathlib.Path(__file__).resolve().parents[1]


def round_trip(obj: object, **load_options: object) -> object:
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_options)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (so nan payloads and -0.0 count)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


EXTREMES = {
    np.float32: [0.0, -0.0, 1.5, np.inf, -np.inf, np.nan, np.finfo(np.float32).tiny / 2,
                 np.finfo(np.float32).max],
    np.float64: [0.0, -0.0, np.pi, np.inf, -np.inf, np.nan, 5e-324, np.finfo(np.float64).max],
    np.float16: [0.0, -0.0, 65504.0, np.inf, np.nan, 6e-8],
    np.int8: [-128, 127, 0, -1],
    np.int16: [-(2 ** 15), 2 ** 15 - 1, 0],
    np.int32: [-(2 ** 31), 2 ** 31 - 1, 7],
    np.int64: [-(2 ** 63), 2 ** 63 - 1, 7],
    np.uint8: [0, 255, 128],
    np.bool_: [True, False, True],
}


# ---------------------------------------------------------------------------- what round-trips


@pytest.mark.parametrize("dtype", list(EXTREMES), ids=lambda d: np.dtype(d).name)
def test_every_dtype_round_trips_bit_for_bit(dtype: type) -> None:
    values = np.array(EXTREMES[dtype], dtype=dtype)
    tensor = tg.from_numpy(values.copy())
    loaded = round_trip({"x": tensor, "matrix": tg.from_numpy(np.resize(values, (3, 4)))})
    assert loaded["x"].dtype is tensor.dtype
    assert same_bits(loaded["x"].numpy(), values)
    assert same_bits(loaded["matrix"].numpy(), np.resize(values, (3, 4)))


def test_zero_dim_and_empty_tensors() -> None:
    loaded = round_trip([tg.tensor(3.5), tg.zeros(0, 4), tg.ones(2, 0, dtype=tg.int64)])
    assert loaded[0].shape == () and loaded[0].item() == 3.5
    assert loaded[1].shape == (0, 4) and loaded[2].shape == (2, 0)
    assert loaded[2].dtype is tg.int64


def test_non_contiguous_tensors_save_their_values() -> None:
    base = tg.arange(24.0).reshape(4, 6)
    views = {"transpose": base.t(), "strided": base[::2, 1::3], "expanded":
             tg.tensor([1.0, 2.0]).reshape(2, 1).expand(2, 5), "offset": base[2:, 3:],
             "permuted": base.reshape(2, 3, 4).permute(2, 0, 1)}
    loaded = round_trip(views)
    for name, view in views.items():
        assert not view.is_contiguous() or name == "offset"
        assert loaded[name].is_contiguous()
        assert np.array_equal(loaded[name].numpy(), view.numpy()), name


def test_nested_structures_and_plain_values() -> None:
    shared = tg.randn(3)
    obj = {
        "model": OrderedDict([("layer.weight", tg.randn(2, 3)), ("layer.bias", shared)]),
        "optimizer": {"state": {0: {"step": tg.tensor(4.0)}}, "param_groups": [
            {"lr": 0.1, "betas": (0.9, 0.999), "amsgrad": False, "foreach": None,
             "params": [0]}]},
        "numbers": [0, -7, 2 ** 70, 1.25, float("inf"), float("-inf"), True, None, "text é"],
        "again": shared,
        (1, "two"): "tuple key", 3.5: "float key", None: "None key",
        "shape": tg.Size([2, 3]), "dtype": tg.float16, "device": tg.device("cpu"),
        "numpy scalars": [np.float32(0.5), np.int64(3), np.bool_(True)],
        "empty": [[], (), {}],
    }
    loaded = round_trip(obj)
    assert type(loaded["model"]) is OrderedDict
    assert list(loaded["model"]) == ["layer.weight", "layer.bias"]
    assert loaded["again"] is loaded["model"]["layer.bias"]  # the same object, once
    assert np.array_equal(loaded["again"].numpy(), shared.numpy())
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert loaded["optimizer"]["state"][0]["step"].item() == 4.0
    assert loaded["numbers"] == obj["numbers"]
    assert all(type(a) is type(b) for a, b in zip(loaded["numbers"], obj["numbers"]))
    assert loaded[(1, "two")] == "tuple key" and loaded[3.5] == "float key"
    assert loaded[None] == "None key"
    assert isinstance(loaded["shape"], tg.Size) and loaded["shape"] == (2, 3)
    assert loaded["dtype"] is tg.float16 and loaded["device"] == tg.device("cpu")
    assert loaded["numpy scalars"] == [0.5, 3, True]
    assert loaded["empty"] == [[], (), {}]
    assert np.isnan(round_trip(float("nan")))


def test_requires_grad_is_kept() -> None:
    leaf = tg.randn(3, requires_grad=True)
    loaded = round_trip({"leaf": leaf, "computed": leaf * 2, "plain": tg.ones(1)})
    assert loaded["leaf"].requires_grad and loaded["leaf"].is_leaf
    assert loaded["computed"].requires_grad and loaded["computed"].is_leaf
    assert not loaded["plain"].requires_grad


def test_paths_str_and_pathlike(tmp_path: pathlib.Path) -> None:
    obj = {"w": tg.arange(5)}
    save(obj, tmp_path / "a.tg")
    save(obj, str(tmp_path / "b.tg"))
    for name in ("a.tg", "b.tg"):
        assert load(tmp_path / name)["w"].tolist() == [0, 1, 2, 3, 4]
        assert load(str(tmp_path / name))["w"].tolist() == [0, 1, 2, 3, 4]
    with open(tmp_path / "a.tg", "rb") as file:
        assert load(file)["w"].dtype is tg.int64
    assert sorted(os.listdir(tmp_path)) == ["a.tg", "b.tg"]  # no temp files left


def test_map_location_forms() -> None:
    obj = {"w": tg.ones(2)}
    for location in ("cpu", tg.device("cpu"), {"cpu": "cpu"}, None):
        assert round_trip(obj, map_location=location)["w"].device == tg.device("cpu")
    seen = []

    def relocate(tensor: tg.Tensor, location: str) -> tg.Tensor:
        seen.append(location)
        return tensor * 10

    assert round_trip(obj, map_location=relocate)["w"].tolist() == [10.0, 10.0]
    assert seen == ["cpu"]
    assert round_trip(obj, map_location=lambda t, loc: None)["w"].tolist() == [1.0, 1.0]
    assert round_trip(obj, weights_only=False)["w"].tolist() == [1.0, 1.0]


@pytest.mark.gpu
def test_map_location_moves_between_cpu_and_cuda() -> None:
    obj = {"on_gpu": tg.arange(6.0).reshape(2, 3).to("cuda"), "on_cpu": tg.ones(2)}
    default = round_trip(obj)
    assert default["on_gpu"].device == tg.device("cuda:0")
    assert default["on_cpu"].device == tg.device("cpu")
    assert default["on_gpu"].cpu().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    all_cpu = round_trip(obj, map_location="cpu")
    assert all_cpu["on_gpu"].device == tg.device("cpu")
    all_gpu = round_trip(obj, map_location=tg.device("cuda"))
    assert all_gpu["on_cpu"].device == tg.device("cuda:0")
    mapped = round_trip(obj, map_location={"cuda:0": "cpu"})
    assert mapped["on_gpu"].device == tg.device("cpu")


def test_format_layout_is_as_documented() -> None:
    buffer = io.BytesIO()
    save({"a": tg.ones(3), "b": tg.zeros(5, dtype=tg.int16)}, buffer)
    data = buffer.getvalue()
    magic, version, reserved, header_size, payload_size, checksum = \
        serialization.PREFIX.unpack_from(data)
    assert (magic, version, reserved) == (b"\x89TGEDU\r\n", 1, 0)
    assert len(data) == 64 + header_size + payload_size
    assert hashlib.sha256(data[64:]).digest() == checksum
    header = json.loads(data[64:64 + header_size])
    entries = header["tensors"]
    assert [e["offset"] % 64 for e in entries] == [0, 0]
    assert entries[1] == {"dtype": "int16", "shape": [5], "offset": 64, "nbytes": 10,
                          "device": "cpu", "requires_grad": False}
    payload = data[64 + header_size:]
    assert np.frombuffer(payload[:12], "<f4").tolist() == [1.0, 1.0, 1.0]
    assert header["object"] == {"dict": [["a", {"tensor": 0}], ["b", {"tensor": 1}]]}


# ---------------------------------------------------------------------------- refusals


def test_save_refuses_what_it_cannot_represent() -> None:
    with pytest.raises(TypeError, match=r"obj\['f'\] of type builtins.function"):
        save({"f": lambda: 0}, io.BytesIO())
    with pytest.raises(TypeError, match="numpy.ndarray"):
        save([np.zeros(2)], io.BytesIO())
    with pytest.raises(TypeError, match="keys must be"):
        save({tg.ones(1): 1}, io.BytesIO())
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="reference cycle"):
        save(cycle, io.BytesIO())


def test_foreign_files_are_refused_clearly(tmp_path: pathlib.Path) -> None:
    cases = {b"": "empty", b"hello world, not a checkpoint": "first bytes",
             b"\x80\x04\x95": "pickle", b"PK\x03\x04rest": "torch.save"}
    for content, message in cases.items():
        path = tmp_path / "foreign.bin"
        path.write_bytes(content)
        with pytest.raises(CheckpointError, match=message) as error:
            load(path)
        assert str(path) in str(error.value)
    with pytest.raises(TypeError, match="binary mode"):
        load(io.StringIO("text"))


def test_a_file_saved_by_pytorch_is_refused(torch: object, tmp_path: pathlib.Path) -> None:
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(CheckpointError, match="PyTorch files can't be loaded"):
        load(tmp_path / "torch.pt")


def _checkpoint_bytes() -> bytes:
    buffer = io.BytesIO()
    save({"w": tg.arange(10.0), "meta": {"epoch": 3, "name": "run"}, "ids": tg.arange(4)},
         buffer)
    return buffer.getvalue()


DATA = _checkpoint_bytes()


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(DATA) - 1))
def test_fuzz_truncated_files_raise_checkpoint_error(length: int) -> None:
    with pytest.raises(CheckpointError, match="<BytesIO>"):
        load(io.BytesIO(DATA[:length]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(DATA) - 1), st.integers(0, 255)), min_size=1,
                max_size=4),
       st.sampled_from(["replace", "insert", "delete"]))
def test_fuzz_mutated_files_raise_checkpoint_error(edits: list, how: str) -> None:
    data = bytearray(DATA)
    for position, value in edits:
        if how == "replace":
            data[position] = value
        elif how == "insert":
            data.insert(position, value)
        else:
            del data[min(position, len(data) - 1)]
    if bytes(data) == DATA:
        assert load(io.BytesIO(bytes(data)))["meta"]["epoch"] == 3
        return
    with pytest.raises(CheckpointError):
        load(io.BytesIO(bytes(data)))


def seal(header: object, payload: bytes, header_text: bytes | None = None) -> bytes:
    """A file with a correct prefix and checksum around any header: only the contents lie."""
    text = json.dumps(header).encode() if header_text is None else header_text
    digest = hashlib.sha256(text + payload).digest()
    return serialization.PREFIX.pack(serialization.MAGIC, 1, 0, len(text), len(payload),
                                     digest) + text + payload


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 2 ** 40), st.floats(),
                    st.text(max_size=5))
NODES = st.recursive(
    st.one_of(SCALARS, st.builds(lambda i: {"tensor": i}, st.integers(-2, 4)),
              st.builds(lambda d: {"dtype": d}, st.sampled_from(["float32", "bool", "x", 3])),
              st.builds(lambda d: {"device": d}, st.sampled_from(["cpu", "cpu:1", "tpu", 1]))),
    lambda inner: st.one_of(
        st.builds(lambda k, v: {k: v}, st.sampled_from(["list", "tuple", "size", "junk"]),
                  st.lists(inner, max_size=3)),
        st.builds(lambda k, v: {k: v}, st.sampled_from(["dict", "ordered_dict"]),
                  st.lists(st.one_of(st.lists(inner, min_size=2, max_size=2), inner),
                           max_size=3)),
        st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=12)
ENTRIES = st.fixed_dictionaries(
    {"dtype": st.sampled_from(["float32", "int64", "bool", "float16", "complex64"]),
     "shape": st.one_of(st.lists(st.integers(-1, 4), max_size=3), st.just([10 ** 12]),
                        st.just("3")),
     "offset": st.one_of(st.integers(-1, 80), st.just(1.5)),
     "nbytes": st.integers(-1, 80),
     "device": st.sampled_from(["cpu", "cpu:0", "cpu:3", "nowhere", 7]),
     "requires_grad": st.sampled_from([False, True, 1])},
    optional={"extra": st.just(1)})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ENTRIES, max_size=3), NODES, st.binary(max_size=96))
def test_fuzz_forged_headers_with_valid_checksums_raise_only_clear_errors(
        entries: list, node: object, payload: bytes) -> None:
    data = seal({"tensors": entries, "object": node}, payload)
    try:
        load(io.BytesIO(data))
    except CheckpointError as error:
        assert "<BytesIO>" in str(error)
    except RuntimeError as error:  # e.g. a tensor cannot be placed on its device
        assert "<BytesIO>" in str(error)


@pytest.mark.parametrize("header_text", [
    b"not json", b"[1, 2]", b'{"tensors": 3, "object": 1}', b'{"tensors": [], "obj": 1}',
    b"\xff\xfe not utf-8", b"[" * 100_000 + b"]" * 100_000,
    b'{"tensors": [], "object": ' + b'{"list": [' * 5000 + b"]}" * 5000 + b"}",
    b'{"tensors": [], "object": {"dict": [[[1], 2]]}}',
    b'{"tensors": [], "object": {"size": [1.5]}}'], ids=range(9))
def test_malformed_headers_raise_checkpoint_error(header_text: str) -> None:
    with pytest.raises(CheckpointError, match="malformed header"):
        load(io.BytesIO(seal(None, b"", header_text=header_text)))


def test_wrong_version_is_refused() -> None:
    data = bytearray(DATA)
    data[8] = 2
    with pytest.raises(CheckpointError, match="format version 2 is not supported"):
        load(io.BytesIO(bytes(data)))


# ---------------------------------------------------------------------------- crashes mid-save


def test_failing_rename_leaves_the_old_checkpoint(tmp_path: pathlib.Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint.tg"
    save({"epoch": 1, "w": tg.ones(4)}, path)

    def broken_replace(source: str, target: str) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(serialization.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated crash"):
        save({"epoch": 2, "w": tg.zeros(4)}, path)
    assert load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["checkpoint.tg"]  # the temp file was removed


def test_failing_write_leaves_the_old_checkpoint(tmp_path: pathlib.Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "checkpoint.tg"
    save({"epoch": 1, "w": tg.ones(1000)}, path)
    real_write_all = serialization._write_all

    def write_half(file: object, chunks: list) -> None:
        real_write_all(file, chunks[:2])
        raise OSError("No space left on device (simulated)")

    monkeypatch.setattr(serialization, "_write_all", write_half)
    with pytest.raises(OSError, match="No space left"):
        save({"epoch": 2, "w": tg.zeros(1000)}, path)
    checkpoint = load(path)
    assert checkpoint["epoch"] == 1 and checkpoint["w"].sum().item() == 1000
    assert os.listdir(tmp_path) == ["checkpoint.tg"]


CRASHING_SAVER = """
    import os, sys
    import tinygrad_edu as tg
    from tinygrad_edu import serialization

    path = sys.argv[1]
    serialization.save({"epoch": 1, "w": tg.ones(50_000)}, path)
    real_write_all = serialization._write_all

    def die_half_way(file, chunks):
        real_write_all(file, chunks[:2])
        file.flush()
        os._exit(3)  # the process dies: no exception handler, no cleanup runs

    serialization._write_all = die_half_way
    serialization.save({"epoch": 2, "w": tg.zeros(50_000)}, path)
"""


def test_process_killed_mid_save_leaves_the_old_checkpoint(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASHING_SAVER))
    path = tmp_path / "checkpoint.tg"
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(script), str(path)], env=environment,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr
    checkpoint = load(path)
    assert checkpoint["epoch"] == 1 and checkpoint["w"].sum().item() == 50_000
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 1  # the half-written temp file: never the checkpoint itself
    with pytest.raises(CheckpointError, match="truncated"):
        load(tmp_path / leftovers[0])


def test_parameters_load_as_parameters() -> None:
    layer = tg.nn.Linear(2, 3)
    frozen = tg.nn.Parameter(tg.ones(2), requires_grad=False)
    loaded = round_trip({"weight": layer.weight, "vars": layer.state_dict(keep_vars=True),
                         "frozen": frozen, "plain": tg.ones(2)})
    assert type(loaded["weight"]) is tg.nn.Parameter and loaded["weight"].requires_grad
    assert type(loaded["vars"]["bias"]) is tg.nn.Parameter
    assert type(loaded["frozen"]) is tg.nn.Parameter and not loaded["frozen"].requires_grad
    assert type(loaded["plain"]) is tg.Tensor
    assert np.array_equal(loaded["weight"].detach().numpy(), layer.weight.detach().numpy())


def test_a_namedtuple_is_refused_not_flattened() -> None:
    from collections import namedtuple

    Pair = namedtuple("Pair", "a b")
    with pytest.raises(TypeError, match="namedtuple Pair.*_asdict"):
        save({"pair": Pair(1, tg.ones(1))}, io.BytesIO())
    assert round_trip(tuple(Pair(1, 2))) == (1, 2)


NO_GPU_SCRIPT = """
import io
import tinygrad_edu as tg
if tg.cuda.is_available():
    print("a GPU")
    raise SystemExit
for make in (lambda: tg.ones(2).to("cuda"), lambda: tg.zeros(2, device="cuda")):
    try:
        make()
        raise AssertionError("no error")
    except RuntimeError as error:
        assert "Found no NVIDIA driver" in str(error), error
buffer = io.BytesIO()
tg.save({"w": tg.ones(2)}, buffer)
buffer.seek(0)
try:
    tg.load(buffer, map_location="cuda")
    raise AssertionError("no error")
except RuntimeError as error:
    assert "map_location='cpu'" in str(error), error
print("ok")
"""


def test_cuda_without_a_gpu_says_so_clearly() -> None:
    """No GPU and no simulator: PyTorch's kind of message, not the driver loader's."""
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", NO_GPU_SCRIPT], env=environment,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.stdout.strip() == "a GPU":
        pytest.skip("this machine has a GPU")
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
