"""kernels/cuda: every CUDABackend method against NumPy and the plain scalar_math functions.

Runs on a real GPU, or on Numba's CUDA simulator (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1
when there is no GPU): shapes stay tiny there, since each simulated GPU thread is a Python
thread. Non-contiguous device views are built by mirroring a NumPy view of a host array
(same strides, same offset), so NumPy computes the expected result from the very same view.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kernels import ops, scalar_math
from kernels.backend import BACKEND_METHODS
from kernels.cuda import SIMULATOR, THREADS_PER_BLOCK, TILE, CUDABackend
from kernels.cuda.backend import ITEMS_PER_THREAD
from kernels.reference import ReferenceBackend
from kernels.strided import Strided, contiguous_strides

# The simulator computes on NumPy scalars, which warn where the GPU quietly gives inf or nan.
pytestmark = [pytest.mark.gpu, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

backend = CUDABackend()
REFERENCE = ReferenceBackend()
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_, np.uint8, np.int8]
TOLERANCE = {np.dtype(np.float32): 2e-6, np.dtype(np.float64): 1e-12}
VIEW_KINDS = ["contiguous", "transposed", "offset", "step", "reversed", "broadcast"]

# op code -> the plain-Python scalar function it must agree with
UNARY_FUNCTIONS = {code: abs if name == "abs" else getattr(scalar_math, name)
                   for name, code in ops.UNARY_OPS.items()}
BINARY_FUNCTIONS = {code: getattr(scalar_math, name.replace("pow", "power"))
                    for name, code in ops.BINARY_OPS.items()}


# ---- helpers --------------------------------------------------------------------------------


def device(array: np.ndarray) -> Strided:
    """A contiguous device copy of `array`."""
    array = np.asarray(array)
    array = np.ascontiguousarray(array).reshape(array.shape)  # keeps 0-d arrays 0-d
    return Strided(backend.from_numpy(array), array.shape, contiguous_strides(array.shape), 0)


def layout(view: np.ndarray, base: np.ndarray, buffer) -> Strided:
    """NumPy view `view` of the C-contiguous array `base` as a Strided over `buffer`."""
    itemsize = base.itemsize
    offset = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0])
    return Strided(buffer, view.shape, tuple(s // itemsize for s in view.strides),
                   offset // itemsize)


def mirror(view: np.ndarray, base: np.ndarray) -> Strided:
    """The device twin of NumPy view `view` of `base` (same strides and offset)."""
    return layout(view, base, backend.from_numpy(base))


def values(shape: tuple, dtype, seed: int = 0) -> np.ndarray:
    """Small test values of any dtype: floats in [-3, 3), ints in [-5, 5), random bools."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.dtype(dtype).kind == "u":
        return np.asarray(rng.integers(0, 9, shape), dtype)
    if np.dtype(dtype).kind == "i":
        return np.asarray(rng.integers(-5, 5, shape), dtype)
    return np.asarray(rng.random(shape) * 6 - 3, dtype)


def make_view(kind: str, shape: tuple, dtype=np.float64, seed: int = 0):
    """(host view, base array): a NumPy view of `shape` laid out as `kind` says."""
    size = math.prod(shape)
    if kind == "contiguous":
        base = values(shape, dtype, seed)
        return base, base
    if kind == "transposed":
        base = values(shape[::-1], dtype, seed)
        return base.transpose(), base
    if kind == "offset":
        base = values((size + 5,), dtype, seed)
        return base[5:].reshape(shape), base
    if kind == "step":
        base = values(shape[:-1] + (2 * shape[-1] + 1,), dtype, seed)
        return base[..., 1::2], base
    if kind == "reversed":
        base = values(shape, dtype, seed)
        return base[::-1], base
    base = values(shape[-1:], dtype, seed)  # broadcast: one row seen len(shape) times
    return np.broadcast_to(base, shape), base


def host(x: Strided) -> np.ndarray:
    return backend.to_numpy(x)


def flat(buffer, shape) -> np.ndarray:
    """A fresh contiguous device buffer (as returned by reduce, matmul, take) on the host."""
    return host(Strided(buffer, shape, contiguous_strides(shape), 0))


def assert_close(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal shapes and dtypes, and values equal (ints, bools) or close (floats, nan == nan)."""
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    rtol = TOLERANCE.get(actual.dtype, 0)
    if actual.dtype.kind == "f":
        close = np.isclose(actual, expected, rtol=rtol, atol=rtol, equal_nan=True)
        if not close.all():
            bad = np.argwhere(~close)[0]
            raise AssertionError(
                f"{what}: {np.sum(~close)} of {close.size} differ, first at {tuple(bad)}: "
                f"{actual[tuple(bad)]!r} != {expected[tuple(bad)]!r}")
    else:
        differ = actual != expected
        assert not differ.any(), f"{what}: {differ.sum()} of {differ.size} differ:\n" \
                                 f"{actual}\n!=\n{expected}"


def apply_scalar(function, dtype, *arrays: np.ndarray) -> np.ndarray:
    """function applied element by element (broadcasting) on NumPy scalars, cast to dtype."""
    arrays = np.broadcast_arrays(*arrays)
    with np.errstate(all="ignore"):  # NumPy scalars: x / 0 is inf or nan, as on the GPU
        items = [function(*column) for column in zip(*(a.ravel() for a in arrays))]
        return np.array(items, dtype=np.float64).astype(dtype).reshape(arrays[0].shape)


# ---- interface, allocation and transfers ----------------------------------------------------


def test_backend_has_exactly_the_interface_methods():
    methods = {name for name, value in vars(CUDABackend).items()
               if callable(value) and not name.startswith("_")}
    assert methods == set(BACKEND_METHODS), methods ^ set(BACKEND_METHODS)
    assert CUDABackend.name == "cuda" and backend.matmul_kernel == "tiled"


def test_tinygrad_edu_cuda_reports_the_device():
    from tinygrad_edu import cuda

    assert cuda.is_simulator() == SIMULATOR
    assert cuda.is_available() == (not SIMULATOR)  # the simulator is no GPU
    assert cuda.device_count() >= 1 and cuda.current_device() == 0
    assert isinstance(cuda.get_device_name(), str)
    cuda.synchronize()


def test_importing_tinygrad_edu_cuda_does_not_import_numba_cuda():
    code = ("import sys, tinygrad_edu.cuda; "
            "assert 'numba.cuda' not in sys.modules, 'numba.cuda imported at import time'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_full_and_empty(dtype):
    array = values((3, 4), dtype)
    assert_close(host(device(array)), array, f"from_numpy/to_numpy {np.dtype(dtype)}")
    filled = backend.full(5, 1, dtype)
    assert_close(flat(filled, (5,)), np.ones(5, dtype), "full")
    assert backend.empty(7, dtype).shape == (7,) and backend.empty(0, dtype).shape == (0,)
    assert host(Strided(backend.empty(0, dtype), (0, 3), (3, 1), 0)).shape == (0, 3)


@pytest.mark.parametrize("kind", VIEW_KINDS)
def test_to_numpy_of_a_strided_view(kind):
    view, base = make_view(kind, (3, 4))
    assert_close(host(mirror(view, base)), view, f"to_numpy of a {kind} view")


def test_host_arrays_are_refused():
    array = np.ones(3)
    with pytest.raises(TypeError, match="map"):
        backend.map(ops.NEG, Strided(array, (3,), (1,), 0), device(array))


# ---- elementwise: every op code -------------------------------------------------------------

UNARY_INPUT = np.array([-2.5, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, np.nan])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ops.UNARY_OPS))
def test_map_every_op_matches_scalar_math(name, dtype):
    code = ops.UNARY_OPS[name]
    x = device(UNARY_INPUT.astype(dtype))
    out = device(np.zeros(8, dtype))
    backend.map(code, x, out)
    expected = apply_scalar(UNARY_FUNCTIONS[code], dtype, UNARY_INPUT.astype(dtype))
    assert_close(host(out), expected, f"map {name} {np.dtype(dtype)}")


@pytest.mark.parametrize("name,dtype", [("identity", np.int64), ("neg", np.int32),
                                        ("abs", np.int8), ("sign", np.int64),
                                        ("logical_not", np.bool_), ("identity", np.uint8)])
def test_map_on_integers_and_bools(name, dtype):
    array = values((9,), dtype, seed=3)
    out_dtype = np.bool_ if name == "logical_not" else dtype
    out = device(np.zeros(9, out_dtype))
    backend.map(ops.UNARY_OPS[name], device(array), out)
    expected = apply_scalar(UNARY_FUNCTIONS[ops.UNARY_OPS[name]], out_dtype, array)
    assert_close(host(out), expected, f"map {name} {np.dtype(dtype)}")


BINARY_A = np.array([[-2.0], [-0.5], [0.0], [1.5], [3.0]])  # (5, 1)
BINARY_B = np.array([-1.5, 0.0, 0.5, 2.0])  # (4,): broadcast to (5, 4), zeros included


@pytest.mark.parametrize("name", list(ops.BINARY_OPS))
def test_zip_every_op_matches_scalar_math_with_broadcast(name):
    code = ops.BINARY_OPS[name]
    out = device(np.zeros((5, 4)))
    backend.zip(code, device(BINARY_A), device(BINARY_B), out)
    expected = apply_scalar(BINARY_FUNCTIONS[code], np.float64, BINARY_A, BINARY_B)
    assert_close(host(out), expected, f"zip {name}")


@pytest.mark.parametrize("name", ["add", "sub", "mul", "maximum", "minimum", "floor_divide",
                                  "remainder", "eq", "ne", "lt", "le", "gt", "ge",
                                  "logical_and", "logical_or", "int_floor_divide",
                                  "int_remainder", "int_pow"])
def test_zip_on_int64(name):
    a = values((3, 4), np.int64, seed=1)
    b = values((4,), np.int64, seed=2)
    b[b == 0] = 3  # integer division by zero has no defined result
    out_dtype = np.int64 if name in ("add", "sub", "mul", "maximum", "minimum",
                                     "floor_divide", "remainder", "int_floor_divide",
                                     "int_remainder", "int_pow") else np.bool_
    out = device(np.zeros((3, 4), out_dtype))
    backend.zip(ops.BINARY_OPS[name], device(a), device(b), out)
    expected = apply_scalar(BINARY_FUNCTIONS[ops.BINARY_OPS[name]], out_dtype, a, b)
    assert_close(host(out), expected, f"zip {name} int64")


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.int64])
@pytest.mark.parametrize("name", list(ops.BITWISE_OPS))
def test_bitwise_matches_the_reference_contiguous_and_strided(name, dtype):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(3)
    a = rng.integers(info.min, info.max, (3, 4), endpoint=True).astype(dtype)
    # shift amounts past the dtype's bits and past 64 (and negative ones, for signed dtypes)
    b = np.array([max(int(info.min), -1), 1, 9, 70][:4], dtype)
    code = ops.BITWISE_OPS[name]
    column_major = a.T.copy()  # a's values laid out by columns: a transposed view
    for a_view, a_base, what in [(a, a, "contiguous"), (column_major.T, column_major,
                                                        "transposed")]:
        out = device(np.zeros((3, 4), dtype))
        backend.bitwise(code, mirror(a_view, a_base), device(b), out)
        expected = np.zeros((3, 4), dtype)
        REFERENCE.bitwise(code, Strided(a, a.shape, contiguous_strides(a.shape), 0),
                          Strided(b, b.shape, (1,), 0),
                          Strided(expected.reshape(-1), (3, 4), (4, 1), 0))
        assert_close(host(out), expected, f"bitwise {name} {np.dtype(dtype).name} {what}")


@pytest.mark.parametrize("kind_a", VIEW_KINDS)
@pytest.mark.parametrize("kind_b", ["contiguous", "transposed", "step"])
def test_zip_on_strided_views(kind_a, kind_b):
    a, a_base = make_view(kind_a, (3, 4), seed=1)
    b, b_base = make_view(kind_b, (3, 4), seed=2)
    out = device(np.zeros((3, 4)))
    backend.zip(ops.MUL, mirror(a, a_base), mirror(b, b_base), out)
    assert_close(host(out), a * b, f"zip mul {kind_a} * {kind_b}")


@pytest.mark.parametrize("kind", ["transposed", "offset", "step", "reversed"])
def test_map_writes_through_a_strided_out_and_nowhere_else(kind):
    x = values((3, 4), np.float64, seed=4)
    out_view, out_base = make_view(kind, (3, 4), seed=5)
    out = mirror(out_view, out_base)
    backend.map(ops.NEG, device(x), out)
    out_view[...] = -x  # the same write on the host
    assert_close(flat(out.buffer, out_base.shape), out_base, f"map into a {kind} out")


@pytest.mark.parametrize("a_shape,b_shape", [((0, 3), (1, 3)), ((1, 3), (4, 1)), ((), ()),
                                             ((2, 1, 3), (1,)), ((1,), ()), ((3, 0), (3, 1))])
def test_zip_with_size_0_and_size_1_dims(a_shape, b_shape):
    a, b = values(a_shape, np.float32, 1), values(b_shape, np.float32, 2)
    expected = a + b
    out = device(np.full(expected.shape, 7.0, np.float32))
    backend.zip(ops.ADD, device(a), device(b), out)
    assert_close(host(out), expected, f"zip add {a_shape} + {b_shape}")


def test_longer_than_one_block_contiguous_and_strided():
    size = 3 * THREADS_PER_BLOCK + 5  # the grid-stride loop wraps around
    a = values((size,), np.float32, 1)
    out = device(np.zeros(size, np.float32))
    backend.zip(ops.SUB, device(a), device(a[::-1].copy()), out)
    assert_close(host(out), a - a[::-1], "contiguous zip")
    view, base = make_view("step", (size,), np.float32)
    backend.map(ops.RELU, mirror(view, base), out)
    assert_close(host(out), np.maximum(view, 0), "strided map")


def test_where_broadcast_and_strided():
    condition = np.array([True, False, True, False])  # (4,)
    a, a_base = make_view("transposed", (3, 4), seed=1)
    b = np.array([[10.0], [20.0], [30.0]])  # (3, 1)
    out = device(np.zeros((3, 4)))
    backend.where(device(condition), mirror(a, a_base), device(b), out)
    assert_close(host(out), np.where(condition, a, b), "where")
    contiguous = device(np.zeros((3, 4)))
    backend.where(device(np.ones((3, 4), bool)), device(a.copy()), device(b + 0 * a), contiguous)
    assert_close(host(contiguous), a, "where (contiguous path)")


@pytest.mark.parametrize("source_dtype,out_dtype", [
    (np.float64, np.int32), (np.int64, np.float32), (np.float32, np.bool_),
    (np.bool_, np.float32), (np.int8, np.int64), (np.float32, np.float64)])
def test_copy_casts_and_broadcasts(source_dtype, out_dtype):
    source, base = make_view("step", (4,), source_dtype, seed=6)
    out = device(np.zeros((3, 4), out_dtype))
    backend.copy(mirror(source, base), out)
    assert_close(host(out), np.broadcast_to(source, (3, 4)).astype(out_dtype), "copy")



# ---- float16: computed in float32, rounded once when stored (elementwise.widen) -------------


@pytest.mark.parametrize("kind", ["contiguous", "transposed"])
@pytest.mark.parametrize("name", ["exp", "sigmoid", "sqrt", "reciprocal"])
def test_map_on_float16_computes_in_float32(name, kind):
    x, base = make_view(kind, (3, 4), np.float16, seed=7)
    out = device(np.zeros((3, 4), np.float16))
    backend.map(ops.UNARY_OPS[name], mirror(x, base), out)
    expected = apply_scalar(UNARY_FUNCTIONS[ops.UNARY_OPS[name]], np.float32,
                            x.astype(np.float32)).astype(np.float16)
    assert np.array_equal(host(out), expected, equal_nan=True)


@pytest.mark.parametrize("other_dtype", [np.float16, np.float32, np.int8, np.bool_])
def test_zip_on_float16_comparisons_and_arithmetic(other_dtype):
    a, b = values((2, 5), np.float16, seed=8), values((2, 5), other_dtype, seed=9)
    for name, out_dtype in (("lt", np.bool_), ("eq", np.bool_), ("div", np.float16),
                            ("mul", np.float32)):
        out = device(np.zeros((2, 5), out_dtype))
        backend.zip(ops.BINARY_OPS[name], device(a), device(b), out)
        function = BINARY_FUNCTIONS[ops.BINARY_OPS[name]]
        wide_b = b.astype(np.float32)
        expected = apply_scalar(function, np.float32, a.astype(np.float32), wide_b)
        assert np.array_equal(host(out), expected.astype(out_dtype), equal_nan=True), name


def test_float16_with_a_float64_operand_keeps_float64_precision():
    """float16 + float64 is float64 (PyTorch): not widened to float32, which would round."""
    a = np.array([0.5, -1.25, 3.0], np.float16)
    b = np.array([1 + 2.0 ** -40, np.pi, -1e-9])
    out = device(np.zeros(3))
    backend.zip(ops.ADD, device(a), device(b), out)
    assert np.array_equal(host(out), a.astype(np.float64) + b)


def test_float16_to_bool_and_back():
    x = np.array([0.0, -0.0, 0.5, np.nan, -np.inf], np.float16)
    as_bool = device(np.zeros(5, np.bool_))
    backend.copy(device(x), as_bool)
    assert host(as_bool).tolist() == [False, False, True, True, True]
    back = device(np.zeros(5, np.float16))
    backend.copy(as_bool, back)
    assert host(back).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]

# ---- reductions -----------------------------------------------------------------------------

LONG = 5 * THREADS_PER_BLOCK * ITEMS_PER_THREAD + 7  # several blocks per row, then a 2nd pass

NUMPY_REDUCE = {ops.SUM: np.sum, ops.PROD: np.prod, ops.MAX: np.max, ops.MIN: np.min}


@pytest.mark.parametrize("name", list(ops.REDUCE_OPS))
@pytest.mark.parametrize("shape,axes,kind", [
    ((2, 3, 4), (1,), "contiguous"), ((2, 3, 4), (0, 2), "transposed"),
    ((2, 3, 4), (0, 1, 2), "step"), ((3, 4), (), "contiguous"), ((), (), "contiguous"),
    ((4, 40), (1,), "offset"), ((40, 20), (0,), "contiguous"), ((2, 30), (0, 1), "reversed")])
def test_reduce_over_any_axes(name, shape, axes, kind):
    code = ops.REDUCE_OPS[name]
    x, base = make_view(kind, shape)
    if code == ops.PROD:
        base *= 0.5  # keep products of 40 numbers moderate (x is a view of base)
    result = backend.reduce(code, mirror(x, base), axes, np.float64)
    expected = NUMPY_REDUCE[code](x, axis=axes)
    assert_close(flat(result, expected.shape), expected, f"{name} over {axes} of {kind} {shape}")


@pytest.mark.parametrize("name", list(ops.REDUCE_OPS))
def test_reduce_rows_longer_than_a_block(name):
    x = values((2, LONG), np.float32, seed=7) * (0.01 if name == "prod" else 1)
    x[1, LONG // 2] = 9.0 if name != "prod" else x[1, LONG // 2]
    result = backend.reduce(ops.REDUCE_OPS[name], device(x), (1,), np.float32)
    expected = NUMPY_REDUCE[ops.REDUCE_OPS[name]](x.astype(np.float64), axis=1)
    got = flat(result, (2,)).astype(np.float64)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-30), f"{name}: {got} != {expected}"
    full = backend.reduce(ops.SUM, device(x[0]), (0,), np.float64)  # one row, many blocks
    assert_close(flat(full, ()), x[0].astype(np.float64).sum(), "sum of one long row")


def test_reduce_integers_bools_empty_and_nan():
    ints = values((5, 6), np.int32, seed=8)
    assert_close(flat(backend.reduce(ops.SUM, device(ints), (0,), np.int64), (6,)),
                 ints.sum(0, dtype=np.int64), "int sum")
    assert_close(flat(backend.reduce(ops.MAX, device(ints), (1,), np.int32), (5,)),
                 ints.max(1), "int max")
    bools = values((LONG,), np.bool_)
    assert_close(flat(backend.reduce(ops.SUM, device(bools), (0,), np.int64), ()),
                 np.int64(bools.sum()), "bool sum")
    empty = np.zeros((3, 0), np.float32)
    assert_close(flat(backend.reduce(ops.SUM, device(empty), (1,), np.float32), (3,)),
                 np.zeros(3, np.float32), "sum over 0 elements")
    assert_close(flat(backend.reduce(ops.PROD, device(empty), (1,), np.float32), (3,)),
                 np.ones(3, np.float32), "prod over 0 elements")
    assert flat(backend.reduce(ops.SUM, device(empty), (0,), np.float32), (0,)).shape == (0,)
    with_nan = np.array([1.0, np.nan, 3.0])
    assert np.isnan(flat(backend.reduce(ops.MAX, device(with_nan), (0,), np.float64), ()))


# ---- arg_reduce -----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [5, LONG])
@pytest.mark.parametrize("name", list(ops.ARG_REDUCE_OPS))
def test_arg_reduce_ties_take_the_first_index(name, length):
    x = np.zeros((3, length), np.float32)
    sign = 1 if name == "argmax" else -1
    for row, positions in enumerate([[1, 3], [length - 1, 2, 4], [0, length // 2]]):
        x[row, positions] = sign * 2.0  # tied extremes
    x[2, 0] = np.nan  # the first nan wins, as in NumPy
    result = flat(backend.arg_reduce(ops.ARG_REDUCE_OPS[name], device(x), 1), (3,))
    function = np.argmax if name == "argmax" else np.argmin
    assert_close(result, function(x, axis=1), f"{name} along rows of {length}")


@pytest.mark.parametrize("kind", ["transposed", "step", "offset"])
def test_arg_reduce_strided_any_axis(kind):
    x, base = make_view(kind, (4, 3, 5), np.int64, seed=9)
    for axis in range(3):
        for code, function in [(ops.ARGMAX, np.argmax), (ops.ARGMIN, np.argmin)]:
            expected = function(x, axis=axis)
            result = backend.arg_reduce(code, mirror(x, base), axis)
            assert_close(flat(result, expected.shape), expected, f"{function.__name__} {axis}")


# ---- argsort --------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int64, np.uint8,
                                   np.int8, np.bool_], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kind", ["contiguous", "transposed", "step", "reversed"])
def test_argsort_matches_reference(dtype, kind):
    x, base = make_view(kind, (3, 2, 5), dtype, seed=4)
    if np.dtype(dtype).kind in "iu":
        base //= 2  # ties
    if np.dtype(dtype).kind == "f":
        base.reshape(-1)[[1, 7, 8]] = np.nan
    for axis in range(3):
        for descending in (False, True):
            expected = REFERENCE.argsort(layout(x, base, base.reshape(-1)), axis, descending)
            result = backend.argsort(mirror(x, base), axis, descending)
            assert_close(flat(result, x.shape), expected.reshape(x.shape),
                         f"argsort {kind} axis={axis} descending={descending}")


def test_argsort_ties_nan_and_empty():
    nan = np.nan
    x = np.array([[1.0, nan, 1.0, 3.0, nan, -0.0, 0.0], [2.0] * 7], np.float32)
    for descending, expected in [(False, [5, 6, 0, 2, 3, 1, 4]), (True, [1, 4, 3, 0, 2, 5, 6])]:
        result = flat(backend.argsort(device(x), 1, descending), x.shape)
        assert_close(result, np.array([expected, list(range(7))]), f"descending={descending}")
    assert flat(backend.argsort(device(np.zeros((0, 3))), 1, False), (0, 3)).shape == (0, 3)
    assert_close(flat(backend.argsort(device(np.array(5.0)), 0, True), (1,)), np.array([0]),
                 "0-d")


def stable_argsort(x: np.ndarray, descending: bool) -> np.ndarray:
    """NumPy's stable argsort along the last axis, nan last ascending and first descending
    (the data has no -inf, which stands in for nan when descending)."""
    if not descending:
        return np.argsort(x, axis=-1, kind="stable")
    if x.dtype.kind == "f":
        return np.argsort(np.where(np.isnan(x), -np.inf, -x), axis=-1, kind="stable")
    return np.argsort(-x.astype(np.int64), axis=-1, kind="stable")


def sort_rows(length: int, dtype) -> np.ndarray:
    """(2, length) values with many ties (and nan, -0.0 for floats): bitonic sort's hard case."""
    rng = np.random.default_rng(length)
    x = rng.integers(-3, 3, (2, length)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x.reshape(-1)[::5] = np.nan
        x.reshape(-1)[1::7] = -0.0
    return x


@pytest.mark.parametrize("length", [1, 2, 7, 33, "just past the block limit"])
# one dtype per key dtype of the kernels (float64, int64); the reference test has them all
@pytest.mark.parametrize("dtype", [np.float32, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_argsort_bitonic_is_stable(length, dtype, monkeypatch):
    """Both paths of kernels/cuda/sort.py against NumPy's stable sort and the CPU backend:
    rows in shared memory, and (the block limit lowered to 16) rows of 17 in global memory."""
    from kernels.cpu import CPUBackend
    from kernels.cuda import sort

    if length == "just past the block limit":
        monkeypatch.setattr(sort, "BLOCK_SORT_MAX", 16)
        length = 17
    x = sort_rows(length, dtype)
    cpu = CPUBackend()
    for descending in (False, True):
        expected = stable_argsort(x, descending)
        result = flat(backend.argsort(device(x), 1, descending), x.shape)
        assert_close(result, expected, f"length {length} descending={descending}")
        assert_close(result, cpu.argsort(Strided(x.reshape(-1), x.shape, (length, 1), 0), 1,
                                          descending).reshape(x.shape), "against the CPU")
    # the same rows as a transposed view (non-contiguous), and along axis 0 (indices copied back)
    base = np.ascontiguousarray(x.T)
    result = flat(backend.argsort(mirror(base.T, base), 1, True), x.shape)
    assert_close(result, stable_argsort(x, True), f"length {length}, a transposed view")
    result = flat(backend.argsort(mirror(base, base), 0, False), base.shape)
    assert_close(result, stable_argsort(x, False).T, f"length {length}, axis 0")


def test_argsort_block_packs_short_rows_and_longer_rows_stay_exact(monkeypatch):
    """Many short rows share one block (rows_per_block > 1, a part-filled last group); the
    global path with rows of different padding (n = 5 in 8, 16 in 16) and a grid that wraps."""
    from kernels.cuda import sort

    x = np.random.default_rng(0).integers(0, 4, (37, 5)).astype(np.float64)
    assert_close(flat(backend.argsort(device(x), 1, False), x.shape),
                 stable_argsort(x, False), "37 rows of 5")
    monkeypatch.setattr(sort, "BLOCK_SORT_MAX", 4)
    for shape in [(9, 5), (3, 16)]:
        x = np.random.default_rng(1).integers(0, 3, shape).astype(np.int32)
        for descending in (False, True):
            assert_close(flat(backend.argsort(device(x), 1, descending), shape),
                         stable_argsort(x, descending), f"{shape} descending={descending}")


# ---- matmul ---------------------------------------------------------------------------------

# Odd sizes around the tile: 1 (less than a tile), 17 and 33 (one past 16 and 32). Every
# combination on a GPU, with 100; a sample on the simulator, where a syncthreads is slow.
if SIMULATOR:
    MATMUL_SHAPES = [(1, 1, 1), (1, 17, 33), (33, 1, 17), (17, 33, 1), (17, 17, 17),
                     (33, 17, 33)]
else:
    MATMUL_SHAPES = list(itertools.product([1, 17, 33, 100], repeat=3))


@pytest.mark.parametrize("kernel", ["tiled", "naive"])
@pytest.mark.parametrize("n,k,m", MATMUL_SHAPES + [(TILE, TILE, TILE)])
def test_matmul_odd_sizes(kernel, n, k, m):
    a, b = values((n, k), np.float32, 1), values((k, m), np.float32, 2)
    result = CUDABackend(matmul_kernel=kernel).matmul(device(a), device(b), np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    got = flat(result, (n, m))
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-5), \
        f"{kernel} {n}x{k}x{m}: max error {np.abs(got - expected).max()}"


@pytest.mark.parametrize("kernel", ["tiled", "naive"])
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_matmul_batched_strided(kernel, dtype):
    a = values((2, 3, 5, 6), dtype, 1)
    b_base = values((3, 7, 6), dtype, 2)
    b = np.broadcast_to(b_base.transpose(0, 2, 1), (2, 3, 6, 7))  # batch stride 0, b transposed
    result = CUDABackend(matmul_kernel=kernel).matmul(device(a), mirror(b, b_base), dtype)
    assert_close(flat(result, (2, 3, 5, 7)), a @ b, f"{kernel} batched {np.dtype(dtype)}")
    empty = backend.matmul(device(np.ones((2, 0), dtype)), device(np.ones((0, 3), dtype)), dtype)
    assert_close(flat(empty, (2, 3)), np.zeros((2, 3), dtype), "k = 0 gives zeros")


def test_matmul_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        backend.matmul(device(np.ones((2, 3))), device(np.ones((2, 3))), np.float64)
    with pytest.raises(ValueError, match="matmul_kernel"):
        CUDABackend("fast").matmul(device(np.ones((2, 2))), device(np.ones((2, 2))), np.float64)


# ---- take, index_add, index_put -------------------------------------------------------------


def test_take_with_strided_positions():
    buffer = backend.from_numpy(np.arange(10.0) * 10)
    positions_base = np.array([[9, 0, 3], [3, 3, 1]], np.int64)
    positions = mirror(positions_base.T, positions_base)  # (3, 2), transposed
    result = backend.take(buffer, positions, np.float32)
    expected = (np.arange(10.0) * 10)[positions_base.T].astype(np.float32)
    assert_close(flat(result, (3, 2)), expected, "take")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8,
                                   np.bool_])
def test_index_add_repeated_positions_all_add(dtype):
    positions = np.array([1, 4, 1, 1, 0, 4] * (THREADS_PER_BLOCK // 2), np.int64)
    source = values((positions.size,), dtype, seed=10)
    if dtype == np.uint8:
        source = source % 3  # stays inside 0..255 when added up
    buffer = backend.from_numpy(np.zeros(6, dtype))
    backend.index_add(buffer, device(positions), device(source))
    expected = np.zeros(6, dtype)
    np.add.at(expected, positions, source)
    assert_close(flat(buffer, (6,)), expected, f"index_add {np.dtype(dtype)}")


def test_index_add_and_put_broadcast_source():
    positions = device(np.array([[0, 2], [3, 5]], np.int64))
    source = device(np.array([1.5, -1.0]))  # (2,), broadcast to positions' (2, 2)
    buffer = backend.from_numpy(np.ones(6))
    backend.index_add(buffer, positions, source)
    assert_close(flat(buffer, (6,)), np.array([2.5, 1, 0, 2.5, 1, 0]), "index_add")
    backend.index_put(buffer, positions, source)
    assert_close(flat(buffer, (6,)), np.array([1.5, 1, -1, 1.5, 1, -1]), "index_put")


# ---- against the reference backend ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["transposed", "broadcast"])
def test_agrees_with_reference_backend(kind):
    reference = ReferenceBackend()
    a, a_base = make_view(kind, (3, 4), np.float32, seed=11)
    b = np.abs(values((4,), np.float32, seed=12)) + 0.5  # no division by zero
    host_a, host_b = layout(a, a_base, a_base.reshape(-1)), layout(b, b, b)
    device_a, device_b = mirror(a, a_base), device(b)
    for name, code in ops.UNARY_OPS.items():
        expected = np.zeros((3, 4), np.float32)
        reference.map(code, host_a, layout(expected, expected, expected.reshape(-1)))
        out = device(np.zeros((3, 4), np.float32))
        backend.map(code, device_a, out)
        assert_close(host(out), expected, f"map {name} vs reference")
    for name, code in ops.BINARY_OPS.items():
        if name.startswith("int_"):  # integer-only ops (test_zip_on_int64)
            continue
        expected = np.zeros((3, 4), np.float32)
        reference.zip(code, host_a, host_b, layout(expected, expected, expected.reshape(-1)))
        out = device(np.zeros((3, 4), np.float32))
        backend.zip(code, device_a, device_b, out)
        assert_close(host(out), expected, f"zip {name} vs reference")
    for name, code in ops.REDUCE_OPS.items():
        expected = reference.reduce(code, host_a, (0,), np.float32)
        result = flat(backend.reduce(code, device_a, (0,), np.float32), (4,))
        assert_close(result, expected, f"reduce {name} vs reference")


@pytest.mark.parametrize("relu", [False, True])
def test_linear_and_its_weight_gradient_match_reference(relu):
    """linear (with and without bias, with nn.Sequential's fused relu) and
    linear_grad_weight on a transposed weight: the matmul and elementwise kernels composed."""
    reference = ReferenceBackend()
    x = values((3, 4), np.float32, seed=21)
    weight, weight_base = make_view("transposed", (5, 4), np.float32, seed=22)
    bias = values((5,), np.float32, seed=23)
    grad = values((3, 5), np.float32, seed=24)
    hosts = [layout(x, x, x.reshape(-1)), layout(weight, weight_base, weight_base.reshape(-1)),
             layout(bias, bias, bias)]
    devices = [device(x), mirror(weight, weight_base), device(bias)]
    for with_bias in (True, False):
        expected = reference.linear(hosts[0], hosts[1], hosts[2] if with_bias else None, relu)
        got = backend.linear(devices[0], devices[1], devices[2] if with_bias else None, relu)
        assert_close(flat(got, (3, 5)), expected.reshape(3, 5), f"linear {with_bias} {relu}")
    grad_weight, grad_bias = backend.linear_grad_weight(device(grad), devices[0], True)
    want_weight, want_bias = reference.linear_grad_weight(
        layout(grad, grad, grad.reshape(-1)), hosts[0], True)
    assert_close(flat(grad_weight, (5, 4)), want_weight.reshape(5, 4), "linear_grad_weight")
    assert_close(flat(grad_bias, (5,)), want_bias, "linear grad_bias")


# ---- convolution and max pooling, against the reference backend -----------------------------

# (x shape, weight shape, stride, padding, dilation, groups, extra output rows/columns):
# plain; strided, padded, dilated and grouped at odd sizes; depthwise; an even kernel with
# one more output row and column than the padding gives (what 'same' padding asks for).
CONV_CASES = [
    ((2, 3, 5, 4), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1, 0),
    ((2, 4, 7, 6), (6, 2, 3, 2), (2, 1), (1, 2), (1, 2), 2, 0),
    ((1, 3, 5, 5), (3, 1, 3, 3), (2, 2), (1, 1), (2, 1), 3, 0),
    ((1, 2, 4, 5), (3, 2, 2, 2), (1, 1), (0, 0), (1, 1), 1, 1),
]


def conv_out_size(x_shape, w_shape, stride, padding, dilation, extra):
    """(OH, OW): floor((size + 2 pad - dil (k - 1) - 1) / stride) + 1, plus `extra`."""
    return tuple((size + 2 * pad - dil * (k - 1) - 1) // st + 1 + extra
                 for size, k, st, pad, dil in zip(x_shape[2:], w_shape[2:], stride, padding,
                                                  dilation))


def strided_pair(shape, dtype, seed, transposed=False):
    """(host Strided, device Strided) of the same random values; `transposed` lays the last
    two dims out column-major, so the kernels see a non-contiguous view."""
    if transposed:
        base = values(shape[:-2] + shape[-2:][::-1], dtype, seed)
        view = base.swapaxes(-1, -2)
    else:
        base = view = values(shape, dtype, seed)
    return layout(view, base, base.reshape(-1)), mirror(view, base)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_and_its_gradients_match_reference(case, dtype):
    reference = ReferenceBackend()
    x_shape, w_shape, stride, padding, dilation, groups, extra = CONV_CASES[case]
    geometry = (stride, padding, dilation, groups)
    out_size = conv_out_size(x_shape, w_shape, stride, padding, dilation, extra)
    out_shape = (x_shape[0], w_shape[0]) + out_size
    host_x, device_x = strided_pair(x_shape, dtype, 20, transposed=case % 2 == 1)
    host_w, device_w = strided_pair(w_shape, dtype, 21, transposed=case == 2)
    host_b, device_b = strided_pair(w_shape[:1], dtype, 22)
    host_g, device_g = strided_pair(out_shape, dtype, 23, transposed=case % 2 == 0)
    for with_bias in (True, False):
        expected = reference.conv2d(host_x, host_w, host_b if with_bias else None, *geometry,
                                    out_size)
        result = backend.conv2d(device_x, device_w, device_b if with_bias else None, *geometry,
                                out_size)
        assert_close(flat(result, out_shape), expected.reshape(out_shape),
                     f"conv2d case {case} bias={with_bias}")
    expected = reference.conv2d_grad_input(host_g, host_w, x_shape, *geometry)
    result = backend.conv2d_grad_input(device_g, device_w, x_shape, *geometry)
    assert_close(flat(result, x_shape), expected.reshape(x_shape), f"grad_input case {case}")
    expected = reference.conv2d_grad_weight(host_x, host_g, w_shape, *geometry)
    result = backend.conv2d_grad_weight(device_x, device_g, w_shape, *geometry)
    assert_close(flat(result, w_shape), expected.reshape(w_shape), f"grad_weight case {case}")
    expected = reference.conv2d_grad_bias(host_g)
    result = backend.conv2d_grad_bias(device_g)
    assert_close(flat(result, w_shape[:1]), expected, f"grad_bias case {case}")


def test_conv2d_of_an_empty_batch_and_host_arrays_refused():
    x, w = device(np.zeros((0, 2, 4, 4), np.float32)), device(np.ones((3, 2, 3, 3), np.float32))
    assert backend.conv2d(x, w, None, (1, 1), (0, 0), (1, 1), 1, (2, 2)).size == 0
    grad_w = backend.conv2d_grad_weight(x, device(np.zeros((0, 3, 2, 2), np.float32)),
                                        (3, 2, 3, 3), (1, 1), (0, 0), (1, 1), 1)
    assert_close(flat(grad_w, (3, 2, 3, 3)), np.zeros((3, 2, 3, 3), np.float32),
                 "grad_weight of an empty batch")
    on_host = np.ones(18, np.float32)
    with pytest.raises(TypeError, match="CUDABackend.conv2d: expected a CUDA device buffer"):
        backend.conv2d(Strided(on_host, (1, 2, 3, 3), (18, 9, 3, 1), 0), w, None, (1, 1),
                       (0, 0), (1, 1), 1, (1, 1))


# (kernel_size, stride, padding, dilation) at odd sizes, windows overlapping and padded
POOL_CASES = [((2, 2), (2, 2), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 1), (1, 2)),
              ((3, 3), (1, 2), (1, 0), (2, 1))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(POOL_CASES)))
def test_max_pool2d_matches_reference_with_ties_and_nan(case, dtype):
    reference = ReferenceBackend()
    kernel_size, stride, padding, dilation = POOL_CASES[case]
    x_shape = (2, 3, 5, 7)
    base = np.floor(values(x_shape[:2] + x_shape[2:][::-1], dtype, 30))  # integers: many ties
    base[1, 2, 3, 2] = np.nan  # one nan: it wins every window it is in
    view = base.swapaxes(-1, -2)  # (2, 3, 5, 7), non-contiguous
    out_size = conv_out_size(x_shape, (0, 0) + kernel_size, stride, padding, dilation, 0)
    out_shape = x_shape[:2] + out_size
    geometry = (kernel_size, stride, padding, dilation, out_size)
    expected_values, expected_positions = reference.max_pool2d(
        layout(view, base, base.reshape(-1)), *geometry)
    result_values, result_positions = backend.max_pool2d(mirror(view, base), *geometry)
    assert_close(flat(result_values, out_shape), expected_values.reshape(out_shape),
                 f"max_pool2d values case {case}")
    assert_close(flat(result_positions, out_shape), expected_positions.reshape(out_shape),
                 f"max_pool2d positions case {case}")
    assert np.isnan(flat(result_values, out_shape)).any(), "the nan was in no window"


# ---- fused optimizer updates, against the reference backend ---------------------------------

OPTIMIZER_SIZE = 2 * THREADS_PER_BLOCK + 5  # more than one block: the grid stride wraps
# method -> (number of state buffers, options per case); a state buffer is None when off
OPTIMIZER_CASES = {
    "sgd_update": [
        dict(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
             maximize=False),
        dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1, nesterov=True,
             maximize=True),
        dict(lr=0.05, momentum=0.5, dampening=0.0, weight_decay=0.0, nesterov=False,
             maximize=False),
    ],
    "adam_update": [
        dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False),
        dict(lr=1e-2, beta1=0.3, beta2=0.99, eps=1e-6, weight_decay=0.1, amsgrad=True,
             maximize=True, decoupled=False),
        dict(lr=1e-2, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.1, amsgrad=False,
             maximize=False, decoupled=True),
    ],
    "rmsprop_update": [
        dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
             maximize=False),
        dict(lr=1e-2, alpha=0.3, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True,
             maximize=True),
    ],
    "adagrad_update": [
        dict(lr=1e-2, lr_decay=0.0, eps=1e-10, weight_decay=0.0, maximize=False),
        dict(lr=1e-2, lr_decay=0.1, eps=1e-10, weight_decay=0.1, maximize=True),
    ],
}


def optimizer_state(name: str, options: dict, rng) -> list:
    """The state buffers `name` takes after (param, grad), in order, None where off; second
    moments and sums start non-negative, as an optimizer keeps them."""
    n = OPTIMIZER_SIZE
    if name == "sgd_update":
        return [rng.standard_normal(n) if options["momentum"] else None]
    if name == "adam_update":
        return [rng.standard_normal(n), rng.random(n),
                rng.random(n) if options["amsgrad"] else None]
    if name == "rmsprop_update":
        return [rng.random(n) + 1, 0.1 * rng.standard_normal(n) if options["centered"] else None,
                rng.standard_normal(n) if options["momentum"] else None]
    return [rng.random(n)]


def step_options(name: str, step: int) -> dict:
    """The per-call options: the step count, or SGD's first-step flag."""
    if name == "sgd_update":
        return {"first_step": step == 1}
    if name in ("adam_update", "adagrad_update"):
        return {"step": float(step)}
    return {}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,case", [(name, case) for name, cases in OPTIMIZER_CASES.items()
                                       for case in range(len(cases))])
def test_optimizer_update_matches_reference(name, case, dtype):
    """Two steps of every buffer (param and state) on the device and on the reference."""
    options = OPTIMIZER_CASES[name][case]
    rng = np.random.default_rng(40 + case)
    start = [rng.standard_normal(OPTIMIZER_SIZE)] + optimizer_state(name, options, rng)
    grads = [rng.standard_normal(OPTIMIZER_SIZE) for _ in range(2)]
    on_host = [None if b is None else b.astype(dtype) for b in start]
    on_device = [None if b is None else backend.from_numpy(b.astype(dtype)) for b in start]
    for step, grad in enumerate(grads, start=1):
        keywords = {**options, **step_options(name, step)}
        param, *state = on_host
        getattr(ReferenceBackend(), name)(param, grad.astype(dtype), *state, **keywords)
        param, *state = on_device
        getattr(backend, name)(param, backend.from_numpy(grad.astype(dtype)), *state,
                               **keywords)
    for k, (expected, buffer) in enumerate(zip(on_host, on_device)):
        if expected is None:
            assert buffer is None
            continue
        assert_close(flat(buffer, (OPTIMIZER_SIZE,)), expected,
                     f"{name} case {case} buffer {k} ({'param' if k == 0 else 'state'})")


def test_optimizer_update_refuses_host_buffers():
    param = backend.from_numpy(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="CUDABackend.adagrad_update"):
        backend.adagrad_update(param, np.ones(3, np.float32), param, lr=0.1, lr_decay=0.0,
                               eps=1e-10, weight_decay=0.0, step=1.0, maximize=False)


# ---- end to end: a tiny conv net trains the same on the device as on the CPU ----------------


def train_one_step(device_name: str, make_optimizer, move: str) -> tuple:
    """(initial parameters, parameters, their gradients, loss) after one forward, backward and
    optimizer step of
    Conv2d -> ReLU -> MaxPool2d -> Flatten -> Linear on `device_name` ("cpu" or "cuda")."""
    import tinygrad_edu as tg
    from tinygrad_edu import nn

    tg.manual_seed(0)  # the same initial weights on both devices
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 2 * 2, 4))
    if device_name == "cuda":
        model = model.cuda() if move == "cuda()" else model.to("cuda")
    rng = np.random.default_rng(50)
    initial = [p.detach().cpu().numpy().copy() for p in model.parameters()]
    x = tg.tensor(rng.standard_normal((2, 2, 4, 4)).astype(np.float32), device=device_name)
    target = tg.tensor(np.array([1, 3]), device=device_name)
    optimizer = make_optimizer(model.parameters())
    loss = nn.functional.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    parameters = list(model.parameters())
    assert all(p.device.type == device_name for p in parameters)
    return (initial, [p.detach().cpu().numpy() for p in parameters],
            [p.grad.cpu().numpy() for p in parameters], loss.item())


@pytest.mark.parametrize("optimizer,move", [("SGD", "cuda()"), ("Adam", "to('cuda')")])
def test_conv_net_step_on_cuda_matches_cpu(optimizer, move):
    from tinygrad_edu import optim

    def make_optimizer(parameters):
        if optimizer == "SGD":
            return optim.SGD(parameters, lr=0.1, momentum=0.9, weight_decay=0.01)
        return optim.Adam(parameters, lr=0.01, amsgrad=True)

    initial, cpu_params, cpu_grads, cpu_loss = train_one_step("cpu", make_optimizer, move)
    _, cuda_params, cuda_grads, cuda_loss = train_one_step("cuda", make_optimizer, move)
    assert math.isclose(cuda_loss, cpu_loss, rel_tol=1e-5), (cuda_loss, cpu_loss)
    for k, (a, b, ga, gb) in enumerate(zip(cuda_params, cpu_params, cuda_grads, cpu_grads)):
        assert a.shape == b.shape and a.dtype == b.dtype, (k, a.shape, b.shape)
        grad_error = np.abs(ga - gb).max()
        assert np.allclose(ga, gb, rtol=1e-5, atol=1e-5), f"grad {k}: max error {grad_error}"
        error = np.abs(a - b).max()
        assert np.allclose(a, b, rtol=1e-5, atol=1e-5), f"parameter {k}: max error {error}"
        assert not np.array_equal(a, initial[k]), f"parameter {k} did not move"
