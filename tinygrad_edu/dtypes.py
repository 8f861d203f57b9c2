"""Data types: PyTorch's dtype objects over NumPy dtypes, and PyTorch's type promotion.

Each `dtype` wraps the NumPy dtype its storage uses. Promotion follows PyTorch, which
differs from NumPy in one way a learner meets early: operands are ranked by *category*
(bool < integer < floating), and a tensor with dimensions outranks a 0-d tensor, which
outranks a Python number, unless the lower-ranked operand is of a higher category:

    int64 tensor + 2.5 -> float32 (the default dtype)   (NumPy would give float64)
    float32 tensor + float64 0-d tensor -> float32       (same category: the 0-d loses)
    uint8 tensor + int8 tensor -> int16
"""

import builtins

import numpy as np

BOOL, INTEGER, FLOATING = 0, 1, 2


class dtype:  # noqa: N801  (PyTorch spells it in lower case)
    """A tensor element type, e.g. `tinygrad_edu.float32`."""

    __slots__ = ("name", "numpy", "itemsize", "is_floating_point", "is_signed", "category")

    def __init__(self, name: str, numpy_dtype: type) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_dtype)
        self.itemsize = self.numpy.itemsize
        self.is_floating_point = self.numpy.kind == "f"
        self.is_signed = self.numpy.kind in "fi"
        self.category = {"b": BOOL, "u": INTEGER, "i": INTEGER, "f": FLOATING}[self.numpy.kind]

    def __repr__(self) -> str:
        return f"tinygrad_edu.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickled by name: the module-level instance


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

# PyTorch's aliases
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

ALL_DTYPES = (float32, float64, float16, int8, int16, int32, int64, uint8, bool_)

# The names PyTorch's messages use: its ScalarType ("expected scalar type Float but found
# Double") and, in a few (matmul's "float != double"), the C++ element type.
_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                      "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool"}
_CPP_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                   "int64": "long int", "int32": "int", "int16": "short int",
                   "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def scalar_type_name(d: "dtype") -> str:
    """PyTorch's ScalarType name of d, as its error messages print it: float32 -> 'Float'."""
    return _SCALAR_TYPE_NAMES[d.name]


def cpp_type_name(d: "dtype") -> str:
    """The C++ element type of d, as a few PyTorch messages print it: int64 -> 'long int'."""
    return _CPP_TYPE_NAMES[d.name]


_BY_NUMPY = {d.numpy: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}

_default_dtype = [float32]


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (float32 unless set_default_dtype changed it)."""
    return _default_dtype[0]


def set_default_dtype(d: dtype) -> None:
    """Set the default floating dtype (float32 or float64), as torch.set_default_dtype."""
    if d not in (float32, float64, float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype[0] = d


def from_numpy_dtype(numpy_dtype: np.dtype) -> dtype:
    """The tinygrad_edu dtype that stores `numpy_dtype`, or TypeError for unsupported ones."""
    try:
        return _BY_NUMPY[np.dtype(numpy_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(numpy_dtype)}. The only supported types "
            "are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(value: object) -> dtype:
    """Accept a dtype, a NumPy dtype, a type like `float`, or a name like "float32"."""
    if isinstance(value, dtype):
        return value
    if value is bool or value == "bool":
        return bool_
    if value is builtins.int:
        return int64
    if value is builtins.float:  # PyTorch: Python's float is a double
        return float64
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    return from_numpy_dtype(value)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both convert to: by category first, then NumPy's size rules."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return _BY_NUMPY[np.promote_types(a.numpy, b.numpy)]


def scalar_dtype(value: object) -> dtype:
    """The dtype PyTorch gives a Python number on its own: bool, int64 or the default float."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    return get_default_dtype()


def result_type(dimensioned: list, zero_dim: list, scalars: list) -> dtype:
    """PyTorch's promotion over three ranks of operands (lists of dtypes), see module docstring.

    Each rank is promoted on its own; a lower rank only counts when its category is higher
    than every rank above it. A Python float among int tensors gives the default dtype.
    """
    result = None
    for rank in (dimensioned, zero_dim, scalars):
        if not rank:
            continue
        promoted = rank[0]
        for other in rank[1:]:
            promoted = promote_types(promoted, other)
        if result is None:
            result = promoted
        elif promoted.category > result.category:
            if rank is scalars:
                result = {BOOL: bool_, INTEGER: int64, FLOATING: get_default_dtype()}[
                    promoted.category]
            else:
                result = promoted
    return result if result is not None else get_default_dtype()


class finfo:  # noqa: N801 (PyTorch's name)
    """The limits of a floating dtype (default: the default dtype): eps (the gap above 1),
    max, min, tiny = smallest_normal, resolution (10 ** -digits), bits. Read from NumPy."""

    def __init__(self, type: "dtype | None" = None) -> None:  # noqa: A002 (PyTorch's name)
        kind = get_default_dtype() if type is None else to_dtype(type)
        if not kind.is_floating_point:
            raise TypeError("finfo() requires a floating point input type. Use iinfo to "
                            "handle 'finfo'")
        info = np.finfo(kind.numpy)
        self.dtype, self.bits = kind.name, info.bits
        self.eps, self.max = builtins.float(info.eps), builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801
    """The limits of an integer dtype: min, max, bits."""

    def __init__(self, type: "dtype") -> None:  # noqa: A002
        kind = to_dtype(type)
        if kind.is_floating_point or kind is bool_:
            raise TypeError("iinfo() requires an integer input type. Use finfo to handle "
                            "'iinfo'")
        info = np.iinfo(kind.numpy)
        self.dtype, self.bits, self.min, self.max = kind.name, info.bits, builtins.int(info.min), \
            builtins.int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
