"""kernels/: the backend interface, and the Numba CPU backend against the NumPy reference.

Every op code goes through `map` / `zip` on random data, over contiguous, transposed, offset,
stepped and broadcast views and size-0 / size-1 dims, in float32, float64, int64 and bool; every
reduction over every combination of axes; arg-reductions with ties and nan; the three CPU matmul
kernels at odd sizes; and the gather / scatter kernels with repeated positions. The op-code
lists and the primitive list are pinned here, so that neither grows by accident.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kernels import ops
from kernels.backend import BACKEND_METHODS
from kernels.cpu import CPUBackend
from kernels.reference import ReferenceBackend
from kernels.strided import Strided, contiguous_strides, numel
from tinygrad_edu import functions

try:
    from kernels.cuda import CUDABackend
except Exception:  # no numba.cuda at all: the gpu tests are skipped
    CUDABackend = None

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

REFERENCE = ReferenceBackend()
CPU = CPUBackend()
FLOATS = (np.float32, np.float64)
DTYPES = (np.float32, np.float64, np.int64, np.bool_)
SHAPES = ((3, 4), (2, 3, 5), (), (0, 3), (1, 4), (4, 1), (1,))
KINDS = ("contiguous", "transposed", "offset", "step", "broadcast")

# ---- the pinned lists ---------------------------------------------------------------------

PINNED_BACKEND_METHODS = (
    "empty", "full", "from_numpy", "to_numpy",
    "map", "zip", "bitwise", "where", "copy",
    "reduce", "arg_reduce", "argsort",
    "matmul", "linear", "linear_grad_weight",
    "take", "index_add", "index_put",
    "cross_entropy_forward", "cross_entropy_backward",
    "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "conv2d_grad_bias", "max_pool2d",
    "sgd_update", "adam_update", "rmsprop_update", "adagrad_update",
)
# documented non-method attributes: the backend's name and its kernel choices
ATTRIBUTES = {
    "reference": {"name"},
    "cpu": {"name", "matmul_kernel", "conv_kernel", "blas_threads"},
    "cuda": {"name", "matmul_kernel"},
}
PINNED_UNARY = {
    "identity": 0, "neg": 1, "abs": 2, "exp": 3, "log": 4, "log1p": 5, "sqrt": 6, "rsqrt": 7,
    "sin": 8, "cos": 9, "tanh": 10, "sigmoid": 11, "relu": 12, "sign": 13, "reciprocal": 14,
    "logical_not": 15, "erf": 16, "asin": 17, "acos": 18, "atan": 19, "expm1": 20,
}
PINNED_BINARY = {
    "add": 0, "sub": 1, "mul": 2, "div": 3, "pow": 4, "maximum": 5, "minimum": 6, "eq": 7,
    "ne": 8, "lt": 9, "le": 10, "gt": 11, "ge": 12, "floor_divide": 13, "remainder": 14,
    "logical_and": 15, "logical_or": 16, "exp_back": 17, "log_back": 18, "log1p_back": 19,
    "sqrt_back": 20, "rsqrt_back": 21, "sin_back": 22, "cos_back": 23, "tanh_back": 24,
    "sigmoid_back": 25, "relu_back": 26, "abs_back": 27, "reciprocal_back": 28,
    "pow_back_base": 29, "pow_back_exponent": 30, "erf_back": 31, "int_floor_divide": 32,
    "int_remainder": 33, "int_pow": 34, "atan2": 35, "asin_back": 36, "acos_back": 37,
    "atan_back": 38, "expm1_back": 39,
}
PINNED_BITWISE = {"bitwise_and": 0, "bitwise_or": 1, "bitwise_xor": 2, "bitwise_left_shift": 3,
                  "bitwise_right_shift": 4}
PINNED_REDUCE = {"sum": 0, "prod": 1, "max": 2, "min": 3}
PINNED_ARG_REDUCE = {"argmax": 0, "argmin": 1}
PINNED_PRIMITIVES = (
    "Neg", "Exp", "Log", "Log1p", "Sqrt", "Rsqrt", "Sin", "Cos", "Tanh", "Erf", "Sigmoid",
    "Relu", "Abs", "Reciprocal", "Sign", "Floor", "Ceil", "Trunc", "Round",
    "Asin", "Acos", "Atan", "Expm1",
    "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where", "Atan2",
    "Sum", "Prod", "Amax", "Amin",
    "View", "Permute", "Expand", "Slice", "Cat", "Clone",
    "Mm", "Linear",
    "Gather", "IndexPut", "IndexAdd",
    "Softmax", "LogSoftmax", "CrossEntropy",
    "Cast", "ToDevice",
)


def _public(backend: object) -> set:
    return {name for name in dir(backend) if not name.startswith("_")}


def test_backend_methods_are_pinned() -> None:
    assert BACKEND_METHODS == PINNED_BACKEND_METHODS, (
        f"kernels.backend.BACKEND_METHODS changed: {BACKEND_METHODS}; update the pin (and every "
        "backend) on purpose")


@pytest.mark.parametrize("backend", [REFERENCE, CPU], ids=["reference", "cpu"])
def test_backend_has_exactly_the_interface(backend: object) -> None:
    public = _public(backend)
    missing = set(BACKEND_METHODS) - public
    assert not missing, f"{backend.name} backend lacks {sorted(missing)}"
    extra = public - set(BACKEND_METHODS) - ATTRIBUTES[backend.name]
    assert not extra, f"{backend.name} backend has undeclared public names {sorted(extra)}"
    for name in BACKEND_METHODS:
        assert callable(getattr(backend, name)), f"{backend.name}.{name} is not callable"


@pytest.mark.gpu
@pytest.mark.skipif(CUDABackend is None, reason="kernels.cuda does not import")
def test_cuda_backend_has_exactly_the_interface() -> None:
    public = _public(CUDABackend())
    assert public == set(BACKEND_METHODS) | ATTRIBUTES["cuda"], (
        f"cuda backend: missing {sorted(set(BACKEND_METHODS) - public)}, extra "
        f"{sorted(public - set(BACKEND_METHODS) - ATTRIBUTES['cuda'])}")


def test_op_code_lists_are_pinned() -> None:
    for name, got, pinned in [("UNARY_OPS", ops.UNARY_OPS, PINNED_UNARY),
                              ("BINARY_OPS", ops.BINARY_OPS, PINNED_BINARY),
                              ("BITWISE_OPS", ops.BITWISE_OPS, PINNED_BITWISE),
                              ("REDUCE_OPS", ops.REDUCE_OPS, PINNED_REDUCE),
                              ("ARG_REDUCE_OPS", ops.ARG_REDUCE_OPS, PINNED_ARG_REDUCE)]:
        assert got == pinned, f"kernels.ops.{name} changed: {got}"
        assert sorted(got.values()) == list(range(len(got))), f"{name} codes not 0..n-1"
        for op_name, code in got.items():
            assert getattr(ops, op_name.upper()) == code, f"ops.{op_name.upper()} != {code}"


def test_primitive_list_is_pinned() -> None:
    assert functions.PRIMITIVES == PINNED_PRIMITIVES, (
        f"functions.PRIMITIVES changed: {functions.PRIMITIVES}")
    for name in functions.PRIMITIVES:
        primitive = getattr(functions, name)
        assert issubclass(primitive, functions.Function), f"{name} is not a Function"
        assert primitive.forward is not functions.Function.forward, f"{name} has no forward"
        assert primitive.backward is not functions.Function.backward, f"{name} has no backward"


# ---- views of flat buffers -------------------------------------------------------------------


def random_array(shape: tuple, dtype: type, rng: np.random.Generator,
                 nonzero: bool = False) -> np.ndarray:
    if dtype == np.bool_:
        return np.asarray(rng.random(shape) < 0.5)
    if np.issubdtype(dtype, np.integer):
        array = np.asarray(rng.integers(-5, 6, shape))
        if nonzero:
            array[array == 0] = 3
        return array.astype(dtype)
    array = np.asarray(rng.standard_normal(shape) * 2)
    if nonzero:
        array[np.abs(array) < 0.1] = 0.5
    return array.astype(dtype)


def strided_input(array: np.ndarray, kind: str) -> tuple:
    """(Strided view holding array's values laid out as `kind`, those values as NumPy)."""
    shape = array.shape
    if kind == "transposed" and array.ndim >= 2:
        order = tuple(reversed(range(array.ndim)))
        buffer = np.ascontiguousarray(array.transpose(order)).reshape(-1)
        strides = tuple(reversed(contiguous_strides(tuple(reversed(shape)))))
        return Strided(buffer, shape, strides, 0), array
    if kind == "offset":
        junk = np.zeros(3, dtype=array.dtype)
        buffer = np.concatenate([junk, array.reshape(-1)])
        return Strided(buffer, shape, contiguous_strides(shape), 3), array
    if kind == "step":
        buffer = np.stack([array, np.zeros_like(array)], axis=-1).reshape(-1)
        return Strided(buffer, shape, contiguous_strides(shape + (2,))[:-1], 0), array
    if kind == "broadcast" and array.ndim >= 1 and shape[0] > 1:
        row = np.ascontiguousarray(array[:1])
        strides = (0,) + contiguous_strides(shape)[1:]
        return Strided(row.reshape(-1), shape, strides, 0), np.broadcast_to(row, shape)
    buffer = np.ascontiguousarray(array).reshape(-1)
    return Strided(buffer, shape, contiguous_strides(shape), 0), array


def new_output(shape: tuple, dtype: type, transposed: bool = False) -> Strided:
    """A fresh output view (filled with a sentinel), row-major or transposed."""
    buffer = np.full(max(numel(shape), 1), 1, dtype=dtype)
    if transposed and len(shape) >= 2:
        strides = tuple(reversed(contiguous_strides(tuple(reversed(shape)))))
        return Strided(buffer, shape, strides, 0)
    return Strided(buffer, shape, contiguous_strides(shape), 0)


def assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal shape and dtype; floats within tolerance (nan == nan), others exactly."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} vs {expected.dtype}"
    if got.dtype.kind == "f":
        tol = 2e-5 if got.dtype == np.float32 else 1e-11
        close = np.isclose(got, expected, rtol=tol, atol=tol, equal_nan=True)
        if not close.all():
            bad = np.argwhere(~close)[0]
            error = np.nanmax(np.abs(got.astype(np.float64) - expected))
            raise AssertionError(f"{what}: max abs error {error:.3g}; first at {tuple(bad)}: "
                                 f"{got[tuple(bad)]!r} vs {expected[tuple(bad)]!r}")
    else:
        mismatch = got != expected
        assert not mismatch.any(), (f"{what}: {int(mismatch.sum())} elements differ, first at "
                                    f"{tuple(np.argwhere(mismatch)[0])}: "
                                    f"{got[mismatch][0]!r} vs {expected[mismatch][0]!r}")


# ---- elementwise: every op code, cpu vs reference ------------------------------------------

FLOAT_UNARY = {"exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
               "reciprocal", "erf", "asin", "acos", "atan", "expm1"}


def unary_out_dtype(name: str, dtype: type) -> type | None:
    """The output dtype the Tensor layer asks for, or None where the op does not apply."""
    if name == "logical_not":
        return np.bool_
    if name in FLOAT_UNARY:
        return dtype if dtype in FLOATS else np.float32
    if dtype == np.bool_ and name != "identity":
        return None  # PyTorch refuses neg / abs / sign / relu of bool
    return dtype


def binary_out_dtype(name: str, dtype: type) -> type | None:
    if name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or"):
        return np.bool_
    if "_back" in name:  # derivatives (pow_back_base, pow_back_exponent too): floats only
        return dtype if dtype in FLOATS else None
    if name.startswith("int_"):  # the integer versions of floor_divide, remainder, pow
        return dtype if np.dtype(dtype).kind in "iu" else None
    if name == "atan2" and dtype == np.bool_:
        return None  # the Tensor layer makes bools float first (NumPy would use float16)
    if name in ("div", "atan2"):
        return dtype if dtype in FLOATS else np.float32
    if dtype == np.bool_ and name not in ("add", "mul", "maximum", "minimum"):
        return None
    return dtype


def _elementwise_cases(dtype: type) -> list:
    """(kind_a, shape_a, kind_b, shape_b, out_shape, transposed_out) covering the layouts."""
    cases = []
    for shape in SHAPES:
        for kind in KINDS:
            cases.append((kind, shape, "contiguous", shape, shape, False))
        cases.append(("contiguous", shape, "contiguous", shape, shape, True))
    cases += [("contiguous", (3, 4), "contiguous", (4,), (3, 4), False),
              ("transposed", (4, 3), "contiguous", (4, 1), (4, 3), False),
              ("contiguous", (2, 1, 5), "step", (3, 1), (2, 3, 5), True),
              ("offset", (), "transposed", (3, 4), (3, 4), False),
              ("contiguous", (0, 1), "contiguous", (1, 4), (0, 4), False),
              ("broadcast", (3, 4), "offset", (3, 4), (3, 4), False)]
    return cases


def _params(names: list, out_dtype: object) -> list:
    """The (name, dtype) pairs where the op applies."""
    return [pytest.param(name, dtype, id=f"{name}-{np.dtype(dtype).name}")
            for name in names for dtype in DTYPES if out_dtype(name, dtype) is not None]


@pytest.mark.parametrize(("name", "dtype"), _params(list(ops.UNARY_OPS), unary_out_dtype))
def test_map_cpu_matches_reference(name: str, dtype: type) -> None:
    out_dtype = unary_out_dtype(name, dtype)
    op = ops.UNARY_OPS[name]
    rng = np.random.default_rng(ops.UNARY_OPS[name])
    for kind, shape, _, _, out_shape, transposed in _elementwise_cases(dtype):
        array = random_array(shape, dtype, rng)
        x, _ = strided_input(array, kind)
        results = []
        for backend in (REFERENCE, CPU):
            out = new_output(out_shape, out_dtype, transposed)
            backend.map(op, x, out)
            results.append(backend.to_numpy(out).copy())
        assert_same(results[1], results[0], f"map {name} {np.dtype(dtype).name} {kind} "
                                            f"{shape}->{out_shape} transposed_out={transposed}")


@pytest.mark.parametrize(("name", "dtype"), _params(list(ops.BINARY_OPS), binary_out_dtype))
def test_zip_cpu_matches_reference(name: str, dtype: type) -> None:
    out_dtype = binary_out_dtype(name, dtype)
    op = ops.BINARY_OPS[name]
    rng = np.random.default_rng(100 + op)
    nonzero = name in ("floor_divide", "remainder", "div", "int_floor_divide",
                       "int_remainder") and dtype != np.bool_
    for kind_a, shape_a, kind_b, shape_b, out_shape, transposed in _elementwise_cases(dtype):
        a_array = random_array(shape_a, dtype, rng)
        b_array = random_array(shape_b, dtype, rng, nonzero)
        if name in ("pow", "int_pow") and dtype == np.int64:
            b_array = np.abs(b_array) % 4  # no negative integer powers
        if name in ("pow", "pow_back_base", "pow_back_exponent") and dtype in FLOATS:
            a_array = np.abs(a_array).astype(dtype) + dtype(0.1)  # real results
        a, _ = strided_input(a_array, kind_a)
        b, _ = strided_input(b_array, kind_b)
        results = []
        for backend in (REFERENCE, CPU):
            out = new_output(out_shape, out_dtype, transposed)
            backend.zip(op, a, b, out)
            results.append(backend.to_numpy(out).copy())
        assert_same(results[1], results[0],
                    f"zip {name} {np.dtype(dtype).name} a={kind_a}{shape_a} b={kind_b}{shape_b} "
                    f"-> {out_shape} transposed_out={transposed}")


INTEGERS = (np.int8, np.int16, np.int32, np.int64, np.uint8)


def _wrapped(value: int, dtype: type) -> int:
    """A Python integer kept to dtype's bits (two's complement), as a store into dtype does."""
    bits = np.dtype(dtype).itemsize * 8
    value %= 1 << bits
    signed = np.dtype(dtype).kind == "i"
    return value - (1 << bits) if signed and value >= 1 << (bits - 1) else value


def _bit_op_by_hand(name: str, a: int, b: int, dtype: type) -> int:
    """PyTorch's rules for one pair of Python integers (shifts outside 0..63: 0, or -1 for a
    right shift of a negative number)."""
    if name == "bitwise_and":
        return _wrapped(a & b, dtype)
    if name == "bitwise_or":
        return _wrapped(a | b, dtype)
    if name == "bitwise_xor":
        return _wrapped(a ^ b, dtype)
    if not 0 <= b < 64:
        return -1 if name == "bitwise_right_shift" and a < 0 else 0
    return _wrapped(a << b if name == "bitwise_left_shift" else a >> b, dtype)


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(ops.BITWISE_OPS))
def test_bitwise_reference_follows_the_rules_by_hand(name: str, dtype: type) -> None:
    info = np.iinfo(dtype)
    values = sorted(v for v in {info.min, info.min + 1, -9, -1, 0, 1, 5, 100, info.max}
                    if info.min <= v <= info.max)
    shifts = [s for s in (-1, 0, 1, 3, 7, 8, 15, 16, 31, 32, 63, 64, 100)
              if info.min <= s <= info.max]
    b_values = shifts if "shift" in name else values
    a = np.array([x for x in values for _ in b_values], dtype=dtype)
    b = np.array([y for _ in values for y in b_values], dtype=dtype)
    out = new_output(a.shape, dtype)
    REFERENCE.bitwise(ops.BITWISE_OPS[name], strided_input(a, "contiguous")[0],
                      strided_input(b, "contiguous")[0], out)
    expected = np.array([_bit_op_by_hand(name, int(x), int(y), dtype) for x, y in zip(a, b)],
                        dtype=dtype)
    assert_same(REFERENCE.to_numpy(out), expected, f"reference {name} {np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(ops.BITWISE_OPS))
def test_bitwise_cpu_matches_reference(name: str, dtype: type) -> None:
    op = ops.BITWISE_OPS[name]
    rng = np.random.default_rng(200 + op)
    info = np.iinfo(dtype)
    for kind_a, shape_a, kind_b, shape_b, out_shape, transposed in _elementwise_cases(dtype):
        a_array = rng.integers(info.min, info.max, shape_a, endpoint=True).astype(dtype)
        high = min(int(info.max), 70)
        b_array = rng.integers(max(int(info.min), -2), high, shape_b, endpoint=True).astype(dtype)
        a, _ = strided_input(np.asarray(a_array), kind_a)
        b, _ = strided_input(np.asarray(b_array), kind_b)
        results = []
        for backend in (REFERENCE, CPU):
            out = new_output(out_shape, dtype, transposed)
            backend.bitwise(op, a, b, out)
            results.append(backend.to_numpy(out).copy())
        assert_same(results[1], results[0],
                    f"bitwise {name} {np.dtype(dtype).name} a={kind_a}{shape_a} "
                    f"b={kind_b}{shape_b} -> {out_shape} transposed_out={transposed}")


def test_zip_contiguous_bool() -> None:
    a = np.array([True, False, True])
    b = np.array([True, True, False])
    for name, expected in [("logical_and", a & b), ("add", a | b), ("mul", a & b)]:
        out = new_output((3,), np.bool_)
        CPU.zip(ops.BINARY_OPS[name], strided_input(a, "contiguous")[0],
                strided_input(b, "contiguous")[0], out)
        assert_same(CPU.to_numpy(out), expected, f"zip {name} bool contiguous")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_where_and_copy_cpu_match_reference(dtype: type) -> None:
    rng = np.random.default_rng(7)
    for kind, shape in itertools.product(KINDS, SHAPES):
        condition, _ = strided_input(rng.random(shape) < 0.5, kind)
        a, _ = strided_input(random_array(shape, dtype, rng), "step")
        b_scalar, _ = strided_input(random_array((), dtype, rng), "contiguous")
        for out_dtype in {dtype, np.float64, np.int64}:
            results = []
            for backend in (REFERENCE, CPU):
                out = new_output(shape, out_dtype, transposed=True)
                backend.where(condition, a, b_scalar, out)
                copied = new_output(shape, out_dtype)
                backend.copy(a, copied)
                results.append((backend.to_numpy(out).copy(), backend.to_numpy(copied).copy()))
            what = f"{np.dtype(dtype).name}->{np.dtype(out_dtype).name} {kind} {shape}"
            assert_same(results[1][0], results[0][0], f"where {what}")
            assert_same(results[1][1], results[0][1], f"copy {what}")


@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 5), (2, 3, 4, 4)])
def test_where_contiguous_and_broadcast_mask_match_reference(shape: tuple) -> None:
    """The two fast layouts of where: four contiguous views of one shape, and a mask of the
    last two dims broadcast over the rest (a causal mask over (B, H, T, T))."""
    rng = np.random.default_rng(3)
    mask_shape = shape[-2:] if len(shape) >= 2 else shape
    for condition_array in (rng.random(shape) < 0.5, rng.random(mask_shape) < 0.5):
        condition, _ = strided_input(condition_array, "contiguous")
        a, _ = strided_input(random_array(shape, np.float32, rng), "contiguous")
        b, _ = strided_input(random_array(shape, np.float32, rng), "contiguous")
        results = []
        for backend in (REFERENCE, CPU):
            out = new_output(shape, np.float32)
            backend.where(condition, a, b, out)
            results.append(backend.to_numpy(out).copy())
        assert_same(results[1], results[0], f"where {shape} mask {condition_array.shape}")


def test_copy_casts_by_truncation() -> None:
    source, _ = strided_input(np.array([1.7, -2.5, 0.0, -0.2, 3.0]), "contiguous")
    for dtype, expected in [(np.int64, [1, -2, 0, 0, 3]),
                            (np.bool_, [True, True, False, True, True])]:
        for backend in (REFERENCE, CPU):
            out = new_output((5,), dtype)
            backend.copy(source, out)
            assert_same(backend.to_numpy(out), np.array(expected, dtype=dtype),
                        f"{backend.name} copy float64 -> {np.dtype(dtype).name}")


# ---- allocation and transfers ------------------------------------------------------------


@pytest.mark.parametrize("backend", [REFERENCE, CPU], ids=["reference", "cpu"])
def test_allocation_and_transfers(backend: object) -> None:
    for dtype in DTYPES:
        buffer = backend.full(5, 1, dtype)
        assert_same(buffer, np.ones(5, dtype=dtype), f"{backend.name} full {dtype}")
        empty = backend.empty(4, dtype)
        assert empty.shape == (4,) and empty.dtype == dtype, f"empty: {empty.shape} {empty.dtype}"
    array = np.arange(12.0).reshape(3, 4)
    buffer = backend.from_numpy(array)
    assert buffer.shape == (12,), f"from_numpy gives a flat buffer, got {buffer.shape}"
    buffer[0] = 100.0
    assert array[0, 0] == 100.0, "from_numpy of a C-contiguous array should share memory (CPU)"
    flat = np.arange(12.0)
    flat[0] = 100.0
    for view, expected in [(Strided(buffer, (4, 3), (1, 4), 0), flat.reshape(3, 4).T),
                           (Strided(buffer, (2, 3), (4, 1), 5), flat.reshape(3, 4)[1:, 1:]),
                           (Strided(buffer, (2, 2), (0, 2), 1), np.array([[1.0, 3.0]] * 2)),
                           (Strided(buffer, (), (), 7), np.array(7.0))]:
        assert_same(backend.to_numpy(view), expected,
                    f"{backend.name} to_numpy of shape {view.shape} strides {view.strides} "
                    f"offset {view.offset}")


# ---- reductions ------------------------------------------------------------------------------


def reduce_out_dtype(name: str, dtype: type) -> type:
    if dtype in FLOATS:
        return dtype
    if name in ("max", "min"):
        return dtype
    return np.int64


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(ops.REDUCE_OPS))
def test_reduce_every_axes_combination(name: str, dtype: type) -> None:
    op = ops.REDUCE_OPS[name]
    rng = np.random.default_rng(200 + op)
    for shape in [(2, 3, 4), (3, 1, 2), (0, 2, 3), (2, 0, 1), (5,), ()]:
        array = random_array(shape, dtype, rng)
        if name == "prod" and dtype in FLOATS:
            array = (1 + 0.1 * array).astype(dtype)  # no overflow
        for kind in ("contiguous", "transposed", "offset", "broadcast"):
            x, _ = strided_input(array, kind)
            for count in range(len(shape) + 1):
                for axes in itertools.combinations(range(len(shape)), count):
                    reduced = numel(tuple(shape[a] for a in axes))
                    if name in ("max", "min") and (reduced == 0 or numel(shape) == 0):
                        continue  # the Tensor layer raises before calling
                    out_dtype = reduce_out_dtype(name, dtype)
                    expected = REFERENCE.reduce(op, x, axes, out_dtype)
                    got = CPU.reduce(op, x, axes, out_dtype)
                    assert_same(got, expected, f"reduce {name} {np.dtype(dtype).name} {kind} "
                                               f"{shape} axes={axes}")


def test_integer_column_sum_is_exact() -> None:
    array = np.full((3, 2), 2**60 + 1, dtype=np.int64)
    x, _ = strided_input(array, "contiguous")
    got = CPU.reduce(ops.SUM, x, (0,), np.int64)
    assert_same(got, array.sum(0), "int64 column sum")


def test_float32_sum_accumulates_in_float64() -> None:
    array = np.ones(1 << 20, dtype=np.float32) * np.float32(0.1)
    x, _ = strided_input(array, "contiguous")
    got = CPU.reduce(ops.SUM, x, (0,), np.float32)
    expected = np.float32(array.astype(np.float64).sum())
    assert abs(float(got[0]) - float(expected)) <= 1e-6 * float(expected), (
        f"sum of 2**20 float32 0.1s: {got[0]} vs {expected}")


def test_arg_reduce_first_index_on_ties_and_nan() -> None:
    nan = np.nan
    array = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [nan, 1.0, nan, 5.0],
                      [4.0, nan, -1.0, -1.0]])
    expected = {ops.ARGMAX: ([1, 0, 0, 1], [2, 3, 2, 2]),
                ops.ARGMIN: ([3, 0, 0, 1], [2, 3, 2, 3])}
    for dtype in FLOATS:
        for kind in ("contiguous", "transposed", "offset", "step"):
            x, _ = strided_input(array.astype(dtype), kind)
            for op, (along_1, along_0) in expected.items():
                for axis, wanted in [(1, along_1), (0, along_0)]:
                    for backend in (REFERENCE, CPU):
                        got = backend.arg_reduce(op, x, axis)
                        assert_same(got, np.array(wanted, dtype=np.int64),
                                    f"{backend.name} arg_reduce op={op} axis={axis} {kind} "
                                    f"{np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_arg_reduce_random_ties_match_reference(dtype: type) -> None:
    rng = np.random.default_rng(3)
    for shape in [(4, 5), (3, 1, 6), (1,), (2, 3, 2)]:
        array = rng.integers(0, 3, shape).astype(dtype)  # many ties
        for kind in ("contiguous", "transposed", "broadcast"):
            x, _ = strided_input(array, kind)
            for op in ops.ARG_REDUCE_OPS.values():
                for axis in range(len(shape)):
                    assert_same(CPU.arg_reduce(op, x, axis), REFERENCE.arg_reduce(op, x, axis),
                                f"arg_reduce op={op} {kind} {shape} axis={axis}")


# ---- argsort ------------------------------------------------------------------------------


def test_argsort_ties_keep_index_order_and_nan_is_largest() -> None:
    nan = np.nan
    array = np.array([[1.0, nan, 1.0, 3.0, nan, -0.0, 0.0], [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]])
    wanted = {False: [[5, 6, 0, 2, 3, 1, 4], list(range(7))],  # PyTorch's stable sort's
              True: [[1, 4, 3, 0, 2, 5, 6], list(range(7))]}
    for dtype in (np.float32, np.float64, np.float16):
        for kind in ("contiguous", "offset", "step"):
            x, _ = strided_input(array.astype(dtype), kind)
            for descending, expected in wanted.items():
                for backend in (REFERENCE, CPU):
                    got = backend.argsort(x, 1, descending).reshape(array.shape)
                    assert_same(got, np.array(expected, dtype=np.int64),
                                f"{backend.name} argsort descending={descending} {kind} "
                                f"{np.dtype(dtype).name}")


@pytest.mark.parametrize("dtype", DTYPES + (np.int8, np.uint8, np.int32),
                         ids=lambda d: np.dtype(d).name)
def test_argsort_matches_reference(dtype: type) -> None:
    rng = np.random.default_rng(11)
    for shape in [(4, 5), (3, 1, 6), (1,), (2, 3, 2), (0, 3), (3, 0), (5,), (2, 17, 3)]:
        array = rng.integers(0, 4, shape).astype(dtype)  # many ties
        if np.dtype(dtype).kind == "f" and array.size:
            array.reshape(-1)[rng.integers(0, array.size, 3)] = np.nan
        for kind in ("contiguous", "transposed", "offset", "step", "broadcast"):
            x, values = strided_input(array, kind)
            for axis in range(len(shape)):
                for descending in (False, True):
                    what = f"argsort {kind} {shape} axis={axis} descending={descending}"
                    got = CPU.argsort(x, axis, descending)
                    assert_same(got, REFERENCE.argsort(x, axis, descending), what)
                    order = got.reshape(shape)
                    # and it sorts: the values read in that order are monotone (nan last)
                    ranked = np.take_along_axis(np.asarray(values, np.float64), order, axis)
                    keys = np.where(np.isnan(ranked), 100.0, ranked)  # test values are < 4
                    steps = np.diff(keys, axis=axis)
                    assert (steps <= 0).all() if descending else (steps >= 0).all(), what


def test_argsort_of_a_0d_view_and_a_size_1_axis() -> None:
    x = Strided(np.array([7.0]), (), (), 0)
    for backend in (REFERENCE, CPU):
        assert_same(backend.argsort(x, 0, False), np.array([0]), f"{backend.name} 0-d")
        column, _ = strided_input(np.array([[3.0], [1.0]]), "contiguous")
        assert_same(backend.argsort(column, 1, True), np.array([0, 0]), f"{backend.name} (2, 1)")


# ---- matmul -------------------------------------------------------------------------------

MATMUL_SHAPES = [(1, 1, 1), (17, 33, 65), (65, 17, 1), (33, 65, 17), (1, 65, 33), (65, 65, 65),
                 (2, 0, 3), (0, 3, 2), (3, 17, 33, 17), (2, 1, 65, 1)]


@pytest.fixture
def cpu_backend():
    backend = CPUBackend()
    yield backend
    backend.matmul_kernel = "blas"


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("kernel", ["naive", "tiled", "blas"])
def test_matmul_kernels_match_reference(cpu_backend: CPUBackend, kernel: str,
                                        dtype: type) -> None:
    cpu_backend.matmul_kernel = kernel
    rng = np.random.default_rng(11)
    for sizes in MATMUL_SHAPES:
        batch, (n, k, m) = tuple(sizes[:-3]), sizes[-3:]
        a_array = random_array(batch + (n, k), dtype, rng)
        b_array = random_array(batch + (k, m), dtype, rng)
        for kind_a, kind_b in [("contiguous", "contiguous"), ("offset", "transposed"),
                               ("transposed", "step")]:
            a, _ = strided_input(a_array, kind_a)
            b, _ = strided_input(b_array, kind_b)
            got = cpu_backend.matmul(a, b, dtype)
            expected = REFERENCE.matmul(a, b, dtype)
            if dtype == np.float32:  # sums of up to 65 products: compare relative to size
                scale = max(1.0, float(np.abs(expected).max(initial=0)))
                error = float(np.abs(got.astype(np.float64) - expected).max(initial=0))
                assert got.shape == expected.shape and error <= 1e-5 * scale, (
                    f"{kernel} matmul {sizes} {kind_a}@{kind_b}: shape {got.shape} vs "
                    f"{expected.shape}, max error {error:.3g}")
            else:
                assert_same(got, expected, f"{kernel} matmul {np.dtype(dtype).name} {sizes} "
                                           f"{kind_a}@{kind_b}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_linear_kernels_match_reference(dtype: type) -> None:
    """linear (x @ w^T + b) and linear_grad_weight (grad^T @ x and grad's column sums) on
    strided inputs, with and without a bias, empty dims included."""
    rng = np.random.default_rng(12)
    for n, k, m in [(1, 1, 1), (17, 33, 65), (65, 1, 17), (0, 3, 2), (3, 0, 2), (4, 3, 0)]:
        for kind_x, kind_w in [("contiguous", "contiguous"), ("transposed", "offset"),
                               ("step", "transposed")]:
            x, _ = strided_input(random_array((n, k), dtype, rng), kind_x)
            weight, _ = strided_input(random_array((m, k), dtype, rng), kind_w)
            bias, _ = strided_input(random_array((m,), dtype, rng), "offset")
            grad, _ = strided_input(random_array((n, m), dtype, rng), kind_w)
            what = f"{np.dtype(dtype).name} ({n}, {k}) x ({m}, {k}) {kind_x}/{kind_w}"
            for b, relu in itertools.product((bias, None), (False, True)):
                check_close(CPU.linear(x, weight, b, relu), REFERENCE.linear(x, weight, b, relu),
                            dtype, f"linear {what} bias={b is not None} relu={relu}")
            for with_bias in (True, False):
                got_w, got_b = CPU.linear_grad_weight(grad, x, with_bias)
                want_w, want_b = REFERENCE.linear_grad_weight(grad, x, with_bias)
                check_close(got_w, want_w, dtype, f"linear_grad_weight {what}")
                if with_bias:
                    check_close(got_b, want_b, dtype, f"linear grad_bias {what}")
                else:
                    assert got_b is None and want_b is None


def check_close(got: np.ndarray, expected: np.ndarray, dtype: type, what: str) -> None:
    """Equal for integers; floats within rounding of sums of up to 65 products."""
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} vs {expected.dtype}"
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    error = float(np.abs(got.astype(np.float64) - expected).max(initial=0))
    tolerance = {np.float32: 1e-5, np.float64: 1e-12}.get(dtype, 0.0)
    assert error <= tolerance * scale, f"{what}: max error {error:.3g}"


# ---- gather and scatter --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64],
                         ids=lambda d: np.dtype(d).name)
def test_take_index_add_index_put(dtype: type) -> None:
    rng = np.random.default_rng(5)
    buffer = random_array((10,), dtype, rng)
    positions_array = np.array([[3, 3, 0], [9, 3, 1]], dtype=np.int64)  # 3 repeats
    source_array = random_array((2, 3), dtype, rng)
    for kind in ("contiguous", "transposed", "offset", "step"):
        positions, _ = strided_input(positions_array, kind)
        for backend in (REFERENCE, CPU):
            what = f"{backend.name} {np.dtype(dtype).name} positions={kind}"
            taken = backend.take(buffer, positions, dtype)
            assert_same(taken, buffer[positions_array].reshape(-1), f"take {what}")
            for source_kind in ("contiguous", "transposed"):
                source, _ = strided_input(source_array, source_kind)
                target = buffer.copy()
                backend.index_add(target, positions, source)
                expected = buffer.copy()
                np.add.at(expected, positions_array.reshape(-1), source_array.reshape(-1))
                assert_same(target, expected, f"index_add {what} source={source_kind}")
            target = buffer.copy()
            unique, _ = strided_input(np.array([[7, 2], [0, 5]], dtype=np.int64), kind)
            value, _ = strided_input(np.array(dtype(4)), "contiguous")
            backend.index_put(target, unique, value)
            expected = buffer.copy()
            expected[[7, 2, 0, 5]] = 4
            assert_same(target, expected, f"index_put broadcast scalar {what}")
            target = buffer.copy()
            source, _ = strided_input(source_array[:, :2], "transposed")
            backend.index_put(target, unique, source)
            expected = buffer.copy()
            expected[[7, 2, 0, 5]] = source_array[:, :2].reshape(-1)
            assert_same(target, expected, f"index_put {what}")


def test_take_of_no_positions() -> None:
    buffer = np.arange(4.0)
    positions = Strided(np.zeros(0, dtype=np.int64), (0,), (1,), 0)
    for backend in (REFERENCE, CPU):
        got = backend.take(buffer, positions, np.float64)
        assert got.shape == (0,), f"{backend.name} take of 0 positions gave {got.shape}"


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_cross_entropy_matches_reference(dtype: type, reduction: str) -> None:
    rng = np.random.default_rng(6)
    logits = (rng.standard_normal((5, 4)) * 3).astype(dtype)
    labels = np.array([0, 3, -100, 1, 3], dtype=np.int64)
    grad_array = rng.standard_normal(5 if reduction == "none" else ()).astype(dtype)
    tolerance = 1e-3 if dtype == np.float16 else 1e-6 if dtype == np.float32 else 1e-12
    for kind, smoothing in itertools.product(("contiguous", "transposed", "offset", "step"),
                                             (0.0, 0.25)):
        x, _ = strided_input(logits, kind)
        target, _ = strided_input(labels, "step" if kind == "step" else "contiguous")
        grad, _ = strided_input(grad_array, "offset")
        results = []
        for backend in (REFERENCE, CPU):
            loss, probabilities = backend.cross_entropy_forward(x, target, reduction, -100,
                                                                smoothing)
            assert probabilities.dtype == np.float64 and probabilities.shape == (20,)
            softmax = Strided(probabilities, (5, 4), (4, 1), 0)
            grad_x = backend.cross_entropy_backward(softmax, target, grad, reduction, -100,
                                                    smoothing, np.dtype(dtype))
            assert loss.dtype == grad_x.dtype == dtype
            assert loss.shape == ((5,) if reduction == "none" else (1,))
            results.append((loss, probabilities, grad_x))
        for name, got, expected in zip(("loss", "probabilities", "grad_x"), *results):
            error = np.abs(got.astype(np.float64) - expected).max()
            assert error <= tolerance, f"{name} {kind} e={smoothing}: cpu differs by {error}"
        bad, _ = strided_input(np.array([0, 4, 0, 0, -3], dtype=np.int64), "contiguous")
        for backend in (REFERENCE, CPU):
            with pytest.raises(IndexError, match="Target 4 is out of bounds."):
                backend.cross_entropy_forward(x, bad, reduction, -100, smoothing)


def test_cached_kernels_are_dropped_when_any_kernel_source_changes(tmp_path, monkeypatch):
    """Numba checks a cached kernel against its own file only; jit.drop_stale_cache deletes
    the cache when any file of the package changed (here a fake package in tmp_path)."""
    from kernels.cpu import jit

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_DISABLE_JIT", raising=False)
    (tmp_path / "cpu" / "__pycache__").mkdir(parents=True)
    (tmp_path / "ops.py").write_text("ADD = 0\n")
    (tmp_path / "cpu" / "elementwise.py").write_text("# kernels\n")
    cached = [tmp_path / "cpu" / "__pycache__" / name for name in ("k.py.nbi", "k.py.1.nbc")]
    for path in cached:
        path.write_bytes(b"machine code")
    jit.drop_stale_cache(tmp_path)  # no stamp yet: the cache's origin is unknown, drop it
    assert not any(path.exists() for path in cached)
    for path in cached:
        path.write_bytes(b"machine code")
    jit.drop_stale_cache(tmp_path)  # same sources as the stamp: keep
    assert all(path.exists() for path in cached), "an up-to-date cache was deleted"
    (tmp_path / "ops.py").write_text("ADD = 1\n")  # a helper file changed, not the kernel's
    jit.drop_stale_cache(tmp_path)
    assert not any(path.exists() for path in cached), "a stale cache survived"


def test_blas_thread_count_and_matmul_parts_follow_the_size(monkeypatch):
    """BLAS stays on one thread for a matmul, which is split into row blocks from
    PARALLEL_FLOPS on (at most max_threads, at least MIN_ROWS rows each); an unsplit call
    (conv) gets one BLAS thread below SMALL_FLOPS, max_threads from there on."""
    import tinygrad_edu as tg
    from kernels.cpu import blas_threads
    from tinygrad_edu.device import _cpu_backend

    threads = blas_threads.BlasThreads()
    calls = []
    monkeypatch.setattr(threads, "_set", calls.append)
    threads.max_threads = 4
    big = blas_threads.PARALLEL_FLOPS
    parts = [threads.matmul(big - 1, 128), threads.matmul(big, 128),
             threads.matmul(big, 2 * blas_threads.MIN_ROWS), threads.matmul(big, 8)]
    assert parts == [1, 4, 2, 1]
    threads.serial(blas_threads.SMALL_FLOPS - 1)
    threads.serial(blas_threads.SMALL_FLOPS)
    assert calls == [1, 1, 1, 1, 1, 4]

    before = tg.get_num_threads()
    monkeypatch.setattr(_cpu_backend.blas_threads, "max_threads",
                        _cpu_backend.blas_threads.max_threads)
    tg.set_num_threads(1)
    try:
        assert tg.get_num_threads() == 1 and _cpu_backend.blas_threads.max_threads == 1
        assert _cpu_backend.blas_threads.matmul(1 << 30, 1024) == 1
        a = tg.randn(300, 200)
        np.testing.assert_allclose((a @ a.T).numpy(), a.numpy() @ a.numpy().T, rtol=1e-4,
                                   atol=1e-3)
    finally:
        tg.set_num_threads(before)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            tg.set_num_threads(bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_matmul_and_linear_split_into_row_blocks_match_reference(monkeypatch, dtype) -> None:
    """With products split into 3 row blocks (the *_parts kernels), matmul, linear and
    linear_grad_weight still match the reference, on every layout; block counts that do
    not divide the rows included."""
    backend = CPUBackend()
    monkeypatch.setattr(backend.blas_threads, "max_threads", 3)
    monkeypatch.setattr("kernels.cpu.blas_threads.PARALLEL_FLOPS", 1)
    rng = np.random.default_rng(13)
    for (n, k, m), (kind_a, kind_b) in itertools.product(
            [(50, 33, 17), (17, 33, 50)],  # linear splits x's rows, or weight's (m > n)
            [("contiguous", "contiguous"), ("transposed", "offset"), ("step", "transposed")]):
        a, _ = strided_input(random_array((n, k), dtype, rng), kind_a)
        b, _ = strided_input(random_array((k, m), dtype, rng), kind_b)
        weight, _ = strided_input(random_array((m, k), dtype, rng), kind_b)
        bias, _ = strided_input(random_array((m,), dtype, rng), "offset")
        grad, _ = strided_input(random_array((n, m), dtype, rng), kind_b)
        what = f"{np.dtype(dtype).name} {kind_a}/{kind_b}"
        assert backend.blas_threads.matmul(n * k * m, max(n, m)) == 3  # linear splits
        check_close(backend.matmul(a, b, dtype), REFERENCE.matmul(a, b, dtype), dtype,
                    f"matmul {what}")
        for relu in (False, True):
            check_close(backend.linear(a, weight, bias, relu),
                        REFERENCE.linear(a, weight, bias, relu), dtype, f"linear {what} {relu}")
        got_w, got_b = backend.linear_grad_weight(grad, a, True)
        want_w, want_b = REFERENCE.linear_grad_weight(grad, a, True)
        check_close(got_w, want_w, dtype, f"linear_grad_weight {what}")
        check_close(got_b, want_b, dtype, f"linear grad_bias {what}")
