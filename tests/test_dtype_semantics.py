"""Dtype corner cases where a library can be silently wrong, on every device.

Each case is one expression written against a module `T` (tinygrad_edu or torch), run with
both; they must agree on the raised error type, or on the dtype, shape and values. The
integer cases above 2**53 also check against Python's exact integers, so they run without
PyTorch: a float64 anywhere on the way rounds the last digits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import DEVICES, cuda_imports

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None


def _on_the_simulator() -> bool:
    if not cuda_imports():
        return False
    from kernels.cuda import SIMULATOR

    return SIMULATOR


SIMULATOR = _on_the_simulator()
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
on_devices = pytest.mark.parametrize("device", DEVICES)
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

BIG = 2**60 + 3  # not a float64: the nearest is 2**60


def run(module, expression, device):
    """expression(T, t) with t(values, dtype) making a tensor on `device`; the result as
    (dtype name, shape, values), or the type of the error it raised."""
    def t(values, dtype=None):
        dtype = None if dtype is None else getattr(module, dtype)
        return module.tensor(values, dtype=dtype).to(device)

    try:
        result = expression(module, t)
    except Exception as error:  # compared by type below
        return type(error)
    array = result.cpu().detach().numpy()
    return str(result.dtype).split(".")[-1], tuple(result.shape), array


def assert_agree(expression, device):
    ours, theirs = run(tg, expression, device), run(torch, expression, "cpu")
    if ours is OverflowError and device == "cuda" and SIMULATOR:
        pytest.skip("the CUDA simulator's NumPy refuses to narrow 300 to an int8; a GPU wraps")
    if isinstance(theirs, type) or isinstance(ours, type):
        assert ours == theirs, f"errors differ: {ours} vs PyTorch's {theirs}"
        return
    assert ours[:2] == theirs[:2], f"dtype/shape {ours[:2]} vs PyTorch's {theirs[:2]}"
    assert np.allclose(ours[2].astype(np.float64), theirs[2].astype(np.float64),
                       rtol=1e-6, atol=0, equal_nan=True), f"{ours[2]} vs PyTorch's {theirs[2]}"


MIXED = {  # operands of two dtypes: computed in the common dtype, as PyTorch does
    "float32 == float64 0-d": lambda T, t: t([0.1]) == t(0.1, "float64"),
    "float16 == float32 0-d": lambda T, t: t([0.1], "float16") == t(0.1),
    "int8 < int64 0-d 300": lambda T, t: t([50], "int8") < t(300),
    "uint8 % int32 0-d -4": lambda T, t: t([9, 6], "uint8") % t(-4, "int32"),
    "maximum int8, int64 0-d": lambda T, t: T.maximum(t([50], "int8"), t(300)),
    "int8 // int64 0-d": lambda T, t: t([100, -100], "int8") // t(300),
    "uint8 / -3": lambda T, t: t([9, 6], "uint8") / -3,
    "-3 / uint8": lambda T, t: (-3) / t([3], "uint8"),
    "int8 / 300": lambda T, t: t([9, 6], "int8") / 300,
    "float32 >= int64": lambda T, t: t([2.5, 3.0]) >= t([3, 3]),
}

UNARY_ON_INTEGERS = {  # computed in the default float dtype, from the value (no wrap-around)
    "sigmoid uint8": lambda T, t: t([0, 1, 9], "uint8").sigmoid(),
    "exp uint8": lambda T, t: t([0, 1, 3], "uint8").exp(),
    "tanh int16": lambda T, t: t([-2, 0, 3], "int16").tanh(),
}

def through_a_view(operator):
    """y after `v <op>= 3` on a view v = y[1:] (an in-place operator writes y's memory)."""
    def expression(T, t):
        y = t([5, 7, 9])
        v = y[1:]
        v = operator(v)  # rebinding v is what Python does with the returned tensor
        return y
    return expression


def floor_divide_in_place(v):
    v //= 3
    return v


def remainder_in_place(v):
    v %= 3
    return v


def pow_in_place(v):
    v **= 2
    return v


def and_or_xor_in_place(v):
    v &= 6
    v |= 1
    v ^= 3
    return v


def shifts_in_place(v):
    v <<= 2
    v >>= 1
    return v


EDGES = {
    "trunc division of infinities": lambda T, t: t([1.0, -1.0, 0.0, 7.0]).div(
        0.0, rounding_mode="trunc"),
    "isinf": lambda T, t: T.isinf(t([math.inf, -math.inf, math.nan, 1.0])),
    "isnan": lambda T, t: t([math.inf, math.nan, 1.0]).isnan(),
    "isfinite float": lambda T, t: t([math.inf, math.nan, 1.0]).isfinite(),
    "isfinite int": lambda T, t: T.isfinite(t([1, 2])),
    "0-d & number": lambda T, t: t(5) & 3,
    "0-d ^ 0-d": lambda T, t: t(5) ^ t(3),
    "argmax of 0-d, dim 0": lambda T, t: t(3.0).argmax(0),
    "argmin of 0-d, dim -1, keepdim": lambda T, t: t(3.0).argmin(-1, keepdim=True),
    "argmax of 0-d, dim 1": lambda T, t: t(3.0).argmax(1),
    "argmax of nothing": lambda T, t: T.zeros(0, 4).argmax(),
    "argmin over an empty dim": lambda T, t: T.zeros(0, 4).argmin(0),
    "argmax over a full dim of an empty tensor": lambda T, t: T.zeros(0, 4).argmax(1),
    "add with alpha and a number": lambda T, t: t([1.0, 2.0]).add(2, alpha=3),
    "sub with alpha and a number": lambda T, t: t([1.0, 2.0]).sub(2, alpha=3),
    "float - bool tensor": lambda T, t: t([1.5, 2.0]) - t([True, False]),
    "float - True": lambda T, t: t([1.5, 2.0]) - True,
    "//= through a view": through_a_view(floor_divide_in_place),
    "%= through a view": through_a_view(remainder_in_place),
    "**= through a view": through_a_view(pow_in_place),
    "&=, |=, ^= through a view": through_a_view(and_or_xor_in_place),
    "<<=, >>= through a view": through_a_view(shifts_in_place),
    "int64 << past 63 and negative": lambda T, t: t([1, -8, 5, 8]) << t([64, 1, -1, 60]),
    "int64 >> past 63 and negative": lambda T, t: t([-8, -8, 8, -9]) >> t([64, -1, 100, 2]),
    "int8 << wraps and past 8 bits": lambda T, t: t([1, 3, 1], "int8") << t([7, 6, 8], "int8"),
    "uint8 >> and <<": lambda T, t: (t([200, 255], "uint8") >> 1) + (t([200, 1], "uint8") << 1),
    "int16 << int8 promotes": lambda T, t: t([3], "int16") << t([15], "int8"),
    "number << tensor": lambda T, t: 3 << t([0, 1, 8]),
    "number >> tensor": lambda T, t: 1000 >> t([[0], [3]]),
    "uint8 << int8 is int16": lambda T, t: t([1, 2], "uint8") << t([1, 7], "int8"),
    "T.bitwise_left_shift": lambda T, t: T.bitwise_left_shift(t([1, 2]), 3),
    "bitwise_right_shift method, 0-d": lambda T, t: t(-17).bitwise_right_shift(t(2)),
    "int & int8 transposed": lambda T, t: t([[1, 2], [3, 4]]).t() & t([6, 5], "int8"),
    "int8 ^ int32 broadcast": lambda T, t: t([[-1], [5]], "int8") ^ t([1, 2, 3], "int32"),
    "exp_ of an int tensor": lambda T, t: t([1, 2]).exp_(),
    "clamp_ of an int tensor with float bounds": lambda T, t: t([1, 2]).clamp_(0.5, 1.5),
    "full wraps -1 into a uint8": lambda T, t: T.full((2,), -1, dtype=T.uint8),
    "float16 power overflows to inf": lambda T, t: 2 ** t([60000.0], "float16"),
    "flip(0, 1)": lambda T, t: t([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]).flip(0, 1),
    "short, char": lambda T, t: t([1.5, -2.0]).short() + t([1.5, -2.0]).char(),
    "log2": lambda T, t: t([1.0, 8.0, 0.5]).log2(),
    "exp2 of ints": lambda T, t: T.exp2(t([3, -1])),
    "tan": lambda T, t: t([0.3, -1.2]).tan(),
    "masked_select broadcast": lambda T, t: T.masked_select(t([0.0, 1.0, 2.0]),
                                                            t([[True], [False]])),
    "square of bools is int64": lambda T, t: t([True, False]).square(),
    "any of uint8 is uint8": lambda T, t: t([0, 3], "uint8").any(),
    "all of uint8 over a dim, keepdim": lambda T, t: t([[0, 3]], "uint8").all(1, keepdim=True),
    "hardtanh keeps ints": lambda T, t: T.nn.functional.hardtanh(t([-3, 0, 3])),
    "relu6 keeps ints": lambda T, t: T.nn.functional.relu6(t([-3, 0, 9])),
    "frac": lambda T, t: t([-1.5, 2.25, math.inf]).frac(),
    "nan_to_num defaults": lambda T, t: T.nan_to_num(t([math.nan, math.inf, -math.inf, 1.5])),
    "nan_to_num float16": lambda T, t: T.nan_to_num(t([math.inf], "float16")),
    "nan_to_num given values": lambda T, t: t([math.nan, math.inf, -math.inf]).nan_to_num(
        nan=0.5, posinf=9.0),
    "type('torch.DoubleTensor')": lambda T, t: t([1.5]).type("torch.DoubleTensor"),
}


@needs_torch
@on_devices
def test_in_looks_for_an_element(device):
    for module in (tg, torch):
        x = module.tensor([[1.0, 2.0], [3.0, math.nan]])
        if module is tg:
            x = x.to(device)
        assert (2.0 in x, 5 in x, math.nan in x) == (True, False, False)


@needs_torch
@on_devices
@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_dtypes_compute_in_the_common_dtype(name, device):
    assert_agree(MIXED[name], device)


@needs_torch
@on_devices
@pytest.mark.parametrize("name", list(UNARY_ON_INTEGERS))
def test_float_functions_of_integers(name, device):
    assert_agree(UNARY_ON_INTEGERS[name], device)


@needs_torch
@on_devices
@pytest.mark.parametrize("name", list(EDGES))
def test_edge_cases(name, device):
    assert_agree(EDGES[name], device)


@on_devices
def test_shifts_refuse_floats_and_bools(device):
    # PyTorch raises NotImplementedError ('"lshift_cpu" not implemented for 'Float''); we a
    # RuntimeError with the same message start
    with pytest.raises(RuntimeError, match="lshift_cpu.*Float"):
        tg.tensor([1.0], device=device) << 1
    with pytest.raises(RuntimeError, match="rshift_cpu.*Bool"):
        tg.tensor([True], device=device) >> tg.tensor([True], device=device)
    with pytest.raises(RuntimeError, match="bitwise_xor_cpu.*Double"):
        tg.tensor([1.0], dtype=tg.float64, device=device) ^ tg.tensor([1], device=device)


@on_devices
def test_bit_ops_never_copy_to_the_host(device, monkeypatch):
    """The bit ops run as kernels on the tensor's device (ops.BITWISE_OPS): reading a buffer
    back to the host inside them fails this test."""
    x = tg.tensor([[-8, 5], [3, 127]], dtype=tg.int8, device=device)
    y = tg.tensor([1, 2], device=device)
    backend = type(x._storage.backend)

    def refuse(self, view):
        raise AssertionError("a bit op read a buffer back to the host")

    monkeypatch.setattr(backend, "to_numpy", refuse)
    results = [x & y, x | 3, 7 ^ x, x << y, x.t() >> 1, ~x]
    monkeypatch.undo()
    expected = [[[0, 0], [1, 2]], [[-5, 7], [3, 127]], [[-1, 2], [4, 120]],
                [[-16, 20], [6, 508]], [[-4, 1], [2, 63]], [[7, -6], [-4, -128]]]
    assert [r.tolist() for r in results] == expected


def wrap(value: int, bits: int) -> int:
    """value as a two's-complement integer of `bits` bits (how integer kernels overflow)."""
    return (value + 2 ** (bits - 1)) % 2**bits - 2 ** (bits - 1)


@on_devices
def test_int64_stays_exact_above_2_to_the_53(device):
    """Python's integers are the oracle: these all went through float64 once."""
    def t(values, dtype=tg.int64):
        return tg.tensor(values, dtype=dtype, device=device)

    checks = {
        "neg": ((-t([BIG])).tolist(), [-BIG]),
        "abs": (abs(t([-BIG])).tolist(), [BIG]),
        "maximum": (tg.maximum(t([2**53 + 1]), t([0])).tolist(), [2**53 + 1]),
        "minimum": (tg.minimum(t([-(2**53) - 1]), t([0])).tolist(), [-(2**53) - 1]),
        "floor_divide": ((t([BIG, -BIG]) // 1).tolist(), [BIG, -BIG]),
        "floor_divide by 7": ((t([BIG, -BIG]) // 7).tolist(), [BIG // 7, -BIG // 7]),
        "remainder": ((t([BIG, -BIG]) % 10).tolist(), [BIG % 10, -BIG % 10]),
        "pow": ((t([3]) ** 39).tolist(), [3**39]),
        "pow wraps": ((t([3]) ** 41).tolist(), [wrap(3**41, 64)]),
        "int32 pow wraps": ((t([70000], tg.int32) ** 2).tolist(), [wrap(70000**2, 32)]),
        "negative exponent": ((t([0, 1, -1, -1, 2]) ** t([-1, -3, -2, -3, -1])).tolist(),
                              [0, 1, 1, -1, 0]),
        "sum": (t([BIG, 1]).sum().item(), BIG + 1),
    }
    wrong = {name: pair for name, pair in checks.items() if pair[0] != pair[1]}
    assert not wrong, wrong


@needs_torch
def test_float16_indexing_forward_and_backward():
    """take, index_put and index_add on float16 (Numba has no float16: NumPy does them)."""
    results = {}
    for module in (tg, torch):
        x = module.arange(5.0, requires_grad=True)
        h = x.half()
        index = module.tensor([1, 1, 3])
        h[index].sum().backward()
        h2 = module.zeros(4, dtype=module.float16)
        h2[module.tensor([0, 2])] = 1.5
        results[module] = (h[index].detach().numpy(), x.grad.numpy(), h2.numpy())
    for ours, theirs in zip(results[tg], results[torch]):
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs)


def test_an_empty_integer_tensor_shows_its_dtype():
    assert repr(tg.zeros(0, dtype=tg.int64)) == "tensor([], dtype=tinygrad_edu.int64)"
    assert repr(tg.zeros(0, 2, dtype=tg.bool)) == \
        "tensor([], size=(0, 2), dtype=tinygrad_edu.bool)"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"


ROUNDING_VALUES = [-2.5, -1.5, -0.5, -0.3, 0.0, 0.3, 0.5, 1.5, 2.5, 2.7, 0.49999997, 1e30,
                   -1e30, 8388609.0, 2.0**52 + 1, math.inf, -math.inf, math.nan]


@needs_torch
@on_devices
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_rounding_matches_pytorch(name, dtype, device):
    """Values, signs of zeros (round(-0.3) is -0.), ties to even, inf and nan kept."""
    with np.errstate(over="ignore"):  # 1e30 is inf as a float16, in both libraries
        ours = getattr(tg.tensor(ROUNDING_VALUES, dtype=getattr(tg, dtype), device=device),
                       name)().cpu().numpy()
        theirs = getattr(torch.tensor(ROUNDING_VALUES, dtype=getattr(torch, dtype)),
                         name)().numpy()
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours, theirs, equal_nan=True), f"{ours} vs PyTorch's {theirs}"
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))


@needs_torch
def test_rounding_decimals_integers_and_gradient():
    for module in (tg, torch):
        x = module.tensor([1.2345, -5.6789, 2.5], requires_grad=True)
        y = x.floor() + x.ceil() + x.trunc() + x.round() + x.round(decimals=2)
        (y * 3).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]  # step functions: zero gradient
        assert x.floor().grad_fn.name() in ("FloorBackward0", "torch::autograd::FloorBackward0")
    values = [1.2345, -5.6789, 2.5]
    assert np.allclose(tg.tensor(values).round(decimals=2).numpy(),
                       torch.tensor(values).round(decimals=2).numpy())
    assert tg.tensor([3, -4]).floor().tolist() == [3, -4]
    assert tg.tensor([3, -4]).round().dtype is tg.int64


CREATION = {  # numpy scalars keep their dtype, Python's float type is a double
    "np.float64 scalar": lambda T: T.tensor(np.float64(1.5)),
    "list of np.int32": lambda T: T.tensor([np.int32(1), np.int32(2)]),
    "np.int32 with a Python int": lambda T: T.tensor([np.int32(1), 2]),
    "np.float16 with a Python int": lambda T: T.tensor([np.float16(1), 2]),
    "np.float16 with a Python float": lambda T: T.tensor([np.float16(1), 2.5]),
    "np.int8 with np.uint8": lambda T: T.tensor([np.int8(1), np.uint8(2)]),
    "nested np.float64": lambda T: T.tensor([[np.float64(1)], [2.0]]),
    "Python floats": lambda T: T.tensor([1.5, 2]),
    "dtype=float": lambda T: T.zeros(2, dtype=float),
    "dtype=int": lambda T: T.ones(2, dtype=int),
    ".to(float)": lambda T: T.ones(2).to(float),
}


@needs_torch
@pytest.mark.parametrize("name", list(CREATION))
def test_creation_dtypes(name):
    ours, theirs = CREATION[name](tg), CREATION[name](torch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert np.array_equal(ours.numpy(), theirs.numpy())
