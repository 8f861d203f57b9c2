"""The Tensor methods that do math or move data: one line each, into the modules that know how.

`TensorMath` is a base class of `Tensor` (tensor.py), kept apart so each file fits a sitting.
Operators follow Python's protocol: `a + b` calls `a.__add__(b)`; `2 + a` calls
`a.__radd__(2)`; `a += b` calls `a.__iadd__(b)`, which writes in place as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_edu import composite as C
from tinygrad_edu import creation, dispatch, dtypes, indexing, numpy_names
from tinygrad_edu import functions as F
from tinygrad_edu import movement as M


class TensorMath:
    """Math, shape and in-place methods of Tensor (see the module docstring)."""

    __slots__ = ()

    # ---- arithmetic operators
    def __add__(self, other: Any) -> Any:
        return C.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return C.add(other, self)

    def __sub__(self, other: Any) -> Any:
        return C.sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return C.sub(other, self)

    def __mul__(self, other: Any) -> Any:
        return C.mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return C.mul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return C.div(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return C.div(other, self)

    def __floordiv__(self, other: Any) -> Any:
        return C.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Any:
        return C.floor_divide(other, self)

    def __mod__(self, other: Any) -> Any:
        return C.remainder(self, other)

    def __rmod__(self, other: Any) -> Any:
        return C.remainder(other, self)

    def __pow__(self, other: Any) -> Any:
        return C.pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return C.pow(other, self)

    def __matmul__(self, other: Any) -> Any:
        return C.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return C.matmul(other, self)

    def __neg__(self) -> Any:
        return C.neg(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return F.Abs.apply(self)

    # bitwise on integers, logical on bools (PyTorch; floats raise)
    def __invert__(self) -> Any:
        return C.bitwise_not(self)

    def __and__(self, other: Any) -> Any:
        return C.bitwise_and(self, other)

    def __rand__(self, other: Any) -> Any:
        return C.bitwise_and(other, self)

    def __or__(self, other: Any) -> Any:
        return C.bitwise_or(self, other)

    def __ror__(self, other: Any) -> Any:
        return C.bitwise_or(other, self)

    def __xor__(self, other: Any) -> Any:
        return C.bitwise_xor(self, other)

    def __rxor__(self, other: Any) -> Any:
        return C.bitwise_xor(other, self)

    def __lshift__(self, other: Any) -> Any:
        return C.bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Any:
        return C.bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Any:
        return C.bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Any:
        return C.bitwise_right_shift(other, self)

    bitwise_and, bitwise_or, bitwise_xor = __and__, __or__, __xor__
    bitwise_left_shift, bitwise_right_shift = __lshift__, __rshift__
    bitwise_not = __invert__

    # ---- comparisons (no gradient; bool results)
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if other is None or isinstance(other, (list, tuple, str)):
            return NotImplemented  # Python then compares identity: x == None is False
        return C.eq(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        if other is None or isinstance(other, (list, tuple, str)):
            return NotImplemented  # x != None is True
        return C.ne(self, other)

    def __lt__(self, other: Any) -> Any:
        return C.lt(self, other)

    def __le__(self, other: Any) -> Any:
        return C.le(self, other)

    def __gt__(self, other: Any) -> Any:
        return C.gt(self, other)

    def __ge__(self, other: Any) -> Any:
        return C.ge(self, other)

    eq, ne, lt, le, gt, ge = C.eq, C.ne, C.lt, C.le, C.gt, C.ge

    # ---- in-place operators: compute, then write into self's memory (tensor._assign)
    def __iadd__(self, other: Any) -> Any:
        return self.add_(other)

    def __isub__(self, other: Any) -> Any:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Any:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Any:
        return self.div_(other)

    def __ifloordiv__(self, other: Any) -> Any:
        return self.floor_divide_(other)

    def __imod__(self, other: Any) -> Any:
        return self.remainder_(other)

    def __ipow__(self, other: Any) -> Any:
        return self.pow_(other)

    def __iand__(self, other: Any) -> Any:
        return self.bitwise_and_(other)

    def __ior__(self, other: Any) -> Any:
        return self.bitwise_or_(other)

    def __ixor__(self, other: Any) -> Any:
        return self.bitwise_xor_(other)

    def __ilshift__(self, other: Any) -> Any:
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other: Any) -> Any:
        return self.bitwise_right_shift_(other)

    def floor_divide_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.floor_divide(self._inplace_input(), other), self))

    def remainder_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.remainder(self._inplace_input(), other), self))

    def bitwise_and_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.bitwise_and(self._inplace_input(), other), self))

    def bitwise_or_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.bitwise_or(self._inplace_input(), other), self))

    def bitwise_xor_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.bitwise_xor(self._inplace_input(), other), self))

    def bitwise_left_shift_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.bitwise_left_shift(self._inplace_input(), other),
                                        self))

    def bitwise_right_shift_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.bitwise_right_shift(self._inplace_input(), other),
                                        self))

    def add_(self, other: Any, alpha: Any = 1) -> Any:
        return self._assign(_same_dtype(C.add(self._inplace_input(), other, alpha), self))

    def sub_(self, other: Any, alpha: Any = 1) -> Any:
        return self._assign(_same_dtype(C.sub(self._inplace_input(), other, alpha), self))

    def mul_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.mul(self._inplace_input(), other), self))

    def div_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.div(self._inplace_input(), other), self))

    def pow_(self, other: Any) -> Any:
        return self._assign(_same_dtype(C.pow(self._inplace_input(), other), self))

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        return self._assign(_same_dtype(C.clamp(self._inplace_input(), min, max), self))

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._assign(C.masked_fill(self._inplace_input(), mask, value))

    def relu_(self) -> Any:
        return self._assign(F.Relu.apply(self._inplace_input()))

    def exp_(self) -> Any:
        return self._assign(_same_dtype(F.Exp.apply(self._inplace_input()), self))

    def neg_(self) -> Any:
        return self._assign(C.neg(self._inplace_input()))

    def copy_(self, source: Any, non_blocking: bool = False) -> Any:
        """Write source (broadcast, cast, and moved across devices) into self."""
        if not hasattr(source, "_storage"):
            source = creation.tensor(source)
        if source.device != self.device:
            source = source.to(self.device)
        if source.dtype is not self.dtype:
            source = source.to(self.dtype)
        return self._assign(M.expand(source, self._shape), "torch::autograd::CopyBackwards")

    def zero_(self) -> Any:
        return self._assign(M.expand(C.scalar_tensor(0, self.dtype, self), self._shape),
                            "ZeroBackward0")

    def fill_(self, value: Any) -> Any:
        return self._assign(M.expand(C.scalar_tensor(value, self.dtype, self), self._shape),
                            "FillBackward2")

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        values = creation._rng(generator).uniform(a, b, self._shape)
        return self._fill_from_host(values)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        values = creation._rng(generator).normal(mean, std, self._shape)
        return self._fill_from_host(values)

    def bernoulli_(self, p: float = 0.5, generator: Any = None) -> Any:
        values = creation._rng(generator).random(self._shape) < p
        return self._fill_from_host(values)

    def bernoulli(self, p: Any = None, generator: Any = None) -> Any:
        return creation.bernoulli(self, p, generator=generator)

    def random_(self, low: int = 0, high: Any = None, generator: Any = None) -> Any:
        if high is None:
            low, high = 0, low if low else 2 ** 24
        values = creation._rng(generator).integers(low, high, self._shape)
        return self._fill_from_host(values)

    def _fill_from_host(self, values: np.ndarray) -> Any:
        self._check_inplace()
        source = creation._wrap(np.asarray(values, dtype=self.dtype.numpy), self.device)
        dispatch.copy_into(source, self)
        self._storage.version += 1
        return self

    # ---- elementwise math
    def add(self, other: Any, alpha: Any = 1) -> Any:
        return C.add(self, other, alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Any:
        return C.sub(self, other, alpha)

    def mul(self, other: Any) -> Any:
        return C.mul(self, other)

    def div(self, other: Any, rounding_mode: str | None = None) -> Any:
        return C.div(self, other, rounding_mode)

    def pow(self, other: Any) -> Any:
        return C.pow(self, other)

    multiply, divide, subtract, true_divide = mul, div, sub, div

    def neg(self) -> Any:
        return C.neg(self)

    negative = neg

    def abs(self) -> Any:
        return F.Abs.apply(self)

    def exp(self) -> Any:
        return F.Exp.apply(self)

    def log(self) -> Any:
        return F.Log.apply(self)

    def log1p(self) -> Any:
        return F.Log1p.apply(self)

    def log2(self) -> Any:
        return C.log2(self)

    def exp2(self) -> Any:
        return C.exp2(self)

    def log10(self) -> Any:
        return C.log10(self)

    def tril(self, diagonal: int = 0) -> Any:
        return C.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Any:
        return C.triu(self, diagonal)

    def lerp(self, end: Any, weight: Any) -> Any:
        return C.lerp(self, end, weight)

    def addmm(self, a: Any, b: Any, beta: Any = 1, alpha: Any = 1) -> Any:
        return C.addmm(self, a, b, beta=beta, alpha=alpha)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        return C.addcmul(self, tensor1, tensor2, value=value)

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        return self._assign(_same_dtype(
            C.addcmul(self._inplace_input(), tensor1, tensor2, value=value), self))

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        return C.addcdiv(self, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        return self._assign(_same_dtype(
            C.addcdiv(self._inplace_input(), tensor1, tensor2, value=value), self))

    def isclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                equal_nan: bool = False) -> Any:
        return C.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return C.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Any) -> bool:
        return C.equal(self, other)

    def logical_and(self, other: Any) -> Any:
        return C.logical_and(self, other)

    def logical_or(self, other: Any) -> Any:
        return C.logical_or(self, other)

    def logical_xor(self, other: Any) -> Any:
        return C.logical_xor(self, other)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Any:
        return C.bincount(self, weights, minlength)

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Any = None) -> Any:
        return creation.multinomial(self, num_samples, replacement, generator)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
        return C.diff(self, n, dim, prepend, append)

    def nansum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        return C.nansum(self, dim, keepdim, dtype)

    def nanmean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        return C.nanmean(self, dim, keepdim, dtype)

    def clamp_min(self, min: Any) -> Any:  # noqa: A002
        return C.clamp(self, min, None)

    def clamp_max(self, max: Any) -> Any:  # noqa: A002
        return C.clamp(self, None, max)

    def type_as(self, other: Any) -> Any:
        return self.to(other.dtype)

    def tan(self) -> Any:
        return C.tan(self)

    def masked_select(self, mask: Any) -> Any:
        return C.masked_select(self, mask)

    def sqrt(self) -> Any:
        return F.Sqrt.apply(self)

    def rsqrt(self) -> Any:
        return F.Rsqrt.apply(self)

    def sin(self) -> Any:
        return F.Sin.apply(self)

    def cos(self) -> Any:
        return F.Cos.apply(self)

    def tanh(self) -> Any:
        return F.Tanh.apply(self)

    def erf(self) -> Any:
        return F.Erf.apply(self)

    def asin(self) -> Any:
        return F.Asin.apply(self)

    def acos(self) -> Any:
        return F.Acos.apply(self)

    def atan(self) -> Any:
        return F.Atan.apply(self)

    def expm1(self) -> Any:
        return F.Expm1.apply(self)

    def atan2(self, other: Any) -> Any:
        return C.atan2(self, other)

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2

    def sigmoid(self) -> Any:
        return F.Sigmoid.apply(self)

    def relu(self) -> Any:
        return F.Relu.apply(self)

    def reciprocal(self) -> Any:
        return F.Reciprocal.apply(self)

    def sign(self) -> Any:
        return F.Sign.apply(self)

    def square(self) -> Any:
        if self.dtype is dtypes.bool_:  # PyTorch squares bools as x ** 2: int64
            return C.mul(self.long(), self.long())
        return C.mul(self, self)

    def clamp(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        return C.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Any:
        return C.maximum(self, other)

    def minimum(self, other: Any) -> Any:
        return C.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Any:
        return C.where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Any:
        return C.masked_fill(self, mask, value)

    def logical_not(self) -> Any:
        return C.logical_not(self)

    def floor(self) -> Any:
        return C.floor(self)

    def ceil(self) -> Any:
        return C.ceil(self)

    def trunc(self) -> Any:
        return C.trunc(self)

    def round(self, decimals: int = 0) -> Any:
        return C.round(self, decimals)

    def frac(self) -> Any:
        return C.frac(self)

    def nan_to_num(self, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
        return C.nan_to_num(self, nan, posinf, neginf)

    def isnan(self) -> Any:
        return C.isnan(self)

    def isinf(self) -> Any:
        return C.isinf(self)

    def isfinite(self) -> Any:
        return C.isfinite(self)

    def floor_divide(self, other: Any) -> Any:
        return C.floor_divide(self, other)

    def remainder(self, other: Any) -> Any:
        return C.remainder(self, other)

    # ---- reductions
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        return C.sum(self, dim, keepdim, dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        return C.mean(self, dim, keepdim, dtype)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
            correction: Any = None) -> Any:
        return C.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: bool = False,
            correction: Any = None) -> Any:
        return C.std(self, dim, unbiased, keepdim, correction)

    def prod(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        return C.prod(self, dim, keepdim, dtype)

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
        return C.norm(self, p, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Any:
        return C.logsumexp(self, dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.amin(self, dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.argmax(self, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.argmin(self, dim, keepdim)

    # ---- sorting (one backend argsort; values by gather: see composite.sort)
    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return C.sort(self, dim, descending, stable=stable)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Any:
        return C.argsort(self, dim, descending, stable=stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True,
             sorted: bool = True) -> Any:  # noqa: A002
        return C.topk(self, k, dim, largest, sorted)

    # ---- order statistics and unique (built on argsort: see composite.median, .unique)
    def median(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.median(self, dim, keepdim)

    def nanmedian(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.nanmedian(self, dim, keepdim)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return C.kthvalue(self, k, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return C.mode(self, dim, keepdim)

    def unique(self, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
               return_counts: bool = False, dim: Any = None) -> Any:
        return C.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(self, return_inverse: bool = False, return_counts: bool = False,
                           dim: Any = None) -> Any:
        return C.unique_consecutive(self, return_inverse, return_counts, dim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.any(self, dim, keepdim)

    def all(self, dim: Any = None, keepdim: bool = False) -> Any:
        return C.all(self, dim, keepdim)

    def count_nonzero(self, dim: Any = None) -> Any:
        return C.count_nonzero(self, dim)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        return C.nonzero(self, as_tuple)

    def argwhere(self) -> Any:
        return C.nonzero(self)

    # ---- scans (composed: see composite/scans.py, _scan)
    def cumsum(self, dim: int, dtype: Any = None) -> Any:
        return C.cumsum(self, dim, dtype)

    def cumprod(self, dim: int, dtype: Any = None) -> Any:
        return C.cumprod(self, dim, dtype)

    cummax, cummin, logcumsumexp = C.cummax, C.cummin, C.logcumsumexp

    def softmax(self, dim: int, dtype: Any = None) -> Any:
        return C.softmax(self, dim, dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> Any:
        return C.log_softmax(self, dim, dtype)

    # ---- matrix products
    def matmul(self, other: Any) -> Any:
        return C.matmul(self, other)

    def mm(self, other: Any) -> Any:
        return C.mm(self, other)

    def bmm(self, other: Any) -> Any:
        return C.bmm(self, other)

    def mv(self, other: Any) -> Any:
        return C.mv(self, other)

    def dot(self, other: Any) -> Any:
        return C.dot(self, other)

    def outer(self, other: Any) -> Any:
        return C.outer(self, other)

    # ---- composite/linalg.py: the functions themselves are the methods
    trace, cross, kron, diag_embed, cov, corrcoef = (C.trace, C.cross, C.kron, C.diag_embed,
                                                      C.cov, C.corrcoef)
    baddbmm, addbmm, addmv, addr = C.baddbmm, C.addbmm, C.addmv, C.addr
    det, inverse = C.det, C.inv  # composite/elimination.py
    slogdet, logdet, matrix_power = C.slogdet, C.logdet, C.matrix_power  # matrix_functions.py
    cholesky_solve = C.cholesky_solve  # composite/triangular.py: b.cholesky_solve(L, upper)

    # ---- composite/shape.py and search.py
    tensor_split, take_along_dim, rot90 = C.tensor_split, C.take_along_dim, C.rot90
    histc, aminmax = C.histc, C.aminmax

    # ---- shape and views
    def view(self, *shape: Any) -> Any:
        return M.view(self, *shape)

    def view_as(self, other: Any) -> Any:
        return M.view(self, other._shape)

    def reshape(self, *shape: Any) -> Any:
        return M.reshape(self, *shape)

    def reshape_as(self, other: Any) -> Any:
        return M.reshape(self, other._shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        return M.flatten(self, start_dim, end_dim)

    def ravel(self) -> Any:
        return M.ravel(self)

    def tile(self, *dims: Any) -> Any:
        return M.tile(self, dims[0] if len(dims) == 1 else dims)

    def unflatten(self, dim: int, sizes: Any) -> Any:
        return M.unflatten(self, dim, sizes)

    def squeeze(self, dim: Any = None) -> Any:
        return M.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Any:
        return M.unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Any:
        return M.permute(self, *dims)

    def transpose(self, dim0: int, dim1: int) -> Any:
        return M.transpose(self, dim0, dim1)

    def swapaxes(self, axis0: int, axis1: int) -> Any:
        return M.transpose(self, axis0, axis1)  # NumPy's name: an alias, as in PyTorch

    def swapdims(self, dim0: int, dim1: int) -> Any:
        return M.transpose(self, dim0, dim1)

    def t(self) -> Any:
        return M.t(self)

    def expand(self, *sizes: Any) -> Any:
        return M.expand(self, *sizes)

    def expand_as(self, other: Any) -> Any:
        return M.expand(self, other._shape)

    def contiguous(self, memory_format: Any = None) -> Any:
        creation.check_memory_format(memory_format)
        return M.contiguous(self)

    def clone(self, memory_format: Any = None) -> Any:
        """A copy with its own memory, in the graph (CloneBackward0). Always row-major: see
        creation.memory_format for the difference from PyTorch's preserve_format."""
        creation.check_memory_format(memory_format)
        return F.Clone.apply(self)

    def narrow(self, dim: int, start: int, length: int) -> Any:
        return M.narrow(self, dim, start, length)

    def select(self, dim: int, index: int) -> Any:
        return M.select(self, dim, index)

    def unbind(self, dim: int = 0) -> tuple:
        return M.unbind(self, dim)

    def split(self, split_size: Any, dim: int = 0) -> tuple:
        return M.split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        return M.chunk(self, chunks, dim)

    def movedim(self, source: Any, destination: Any) -> Any:
        return M.movedim(self, source, destination)

    moveaxis = movedim

    def broadcast_to(self, size: Any) -> Any:
        return M.broadcast_to(self, size)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
        return M.diagonal(self, offset, dim1, dim2)

    def diag(self, diagonal: int = 0) -> Any:
        return M.diag(self, diagonal)

    def roll(self, shifts: Any, dims: Any = None) -> Any:
        return M.roll(self, shifts, dims)

    def repeat_interleave(self, repeats: Any, dim: Any = None,
                          output_size: Any = None) -> Any:
        return M.repeat_interleave(self, repeats, dim, output_size)

    def flip(self, *dims: Any) -> Any:
        """x.flip(0, 1) or x.flip((0, 1)), as PyTorch takes both"""
        return M.flip(self, dims[0] if len(dims) == 1 else dims)

    def repeat(self, *sizes: Any) -> Any:
        return M.repeat(self, *sizes)

    def gather(self, dim: int, index: Any) -> Any:
        return indexing.gather(self, dim, index)  # checks index, then movement.gather

    def index_select(self, dim: int, index: Any) -> Any:
        return M.index_select(self, dim, index)

    def index_put(self, indices: Any, values: Any, accumulate: bool = False) -> Any:
        return indexing.index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Any, accumulate: bool = False) -> Any:
        return self._assign(indexing.index_put(self._inplace_input(), indices, values,
                                               accumulate))

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None) -> Any:
        return indexing.scatter(self, dim, index, src, value)

    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None) -> Any:
        return self._assign(indexing.scatter(self._inplace_input(), dim, index, src, value))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Any:
        return indexing.scatter_add(self, dim, index, src)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Any:
        return self._assign(indexing.scatter_add(self._inplace_input(), dim, index, src))

    def index_add(self, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
        return indexing.index_add(self, dim, index, source, alpha)

    def index_add_(self, dim: int, index: Any, source: Any, alpha: Any = 1) -> Any:
        return self._assign(indexing.index_add(self._inplace_input(), dim, index, source,
                                               alpha))

    def index_copy(self, dim: int, index: Any, source: Any) -> Any:
        return indexing.index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Any) -> Any:
        return self._assign(indexing.index_copy(self._inplace_input(), dim, index, source))

    def index_fill(self, dim: int, index: Any, value: Any) -> Any:
        return indexing.index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Any:
        return self._assign(indexing.index_fill(self._inplace_input(), dim, index, value))

    def take(self, index: Any) -> Any:
        return indexing.take(self, index)

    def __getitem__(self, key: Any) -> Any:
        return indexing.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        indexing.setitem(self, key, value)

    # ---- special functions (composite/special.py): the functions themselves are the methods
    sinh, cosh, asinh, acosh, atanh = C.sinh, C.cosh, C.asinh, C.acosh, C.atanh
    arcsinh, arccosh, arctanh = C.asinh, C.acosh, C.atanh
    logaddexp, logaddexp2, hypot, xlogy, logit = (C.logaddexp, C.logaddexp2, C.hypot, C.xlogy,
                                                  C.logit)
    fmod, copysign, signbit, heaviside = C.fmod, C.copysign, C.signbit, C.heaviside
    sinc, deg2rad, rad2deg, float_power = C.sinc, C.deg2rad, C.rad2deg, C.float_power
    lgamma, digamma = C.lgamma, C.digamma

    def float_power_(self, exponent: Any) -> Any:
        if self.dtype is not dtypes.float64:  # float_power is float64: it refuses a cast
            raise RuntimeError("the base given to float_power_ has dtype "
                               f"{dtypes.scalar_type_name(self.dtype)} but the operation's "
                               "result requires dtype Double")
        return self._assign(C.float_power(self._inplace_input(), exponent))

    # ---- sizes in bytes
    @property
    def itemsize(self) -> int:
        """Bytes per element (element_size())."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """numel() * itemsize: the bytes the elements would take, not the storage's size
        (an expanded or sliced view counts its own elements, as in PyTorch)."""
        return self.numel() * self.dtype.itemsize

    # ---- NumPy's protocol: np.asarray(t), np.array(t, dtype) call this
    __array_priority__ = 1000  # np.float32(2) * t calls t.__rmul__ (a Tensor), as PyTorch

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """self.numpy() (shared memory, same refusals: CUDA, requires_grad), cast to dtype;
        copy=True always copies, copy=False refuses to (NumPy 2's protocol)."""
        array = self.numpy()
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError(f"converting a {self.dtype.name} tensor to {np.dtype(dtype)} "
                                 "needs a copy, but copy=False")
            return array.astype(dtype)
        return array.copy() if copy else array

    # ---- new tensors like this one
    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Any:
        return creation.tensor(data, dtype or self.dtype, device or self.device, requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None) -> Any:
        return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None) -> Any:
        return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None) -> Any:
        return creation.full(size, fill_value, dtype=dtype or self.dtype,
                             device=device or self.device)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None) -> Any:
        return creation.empty(*size, dtype=dtype or self.dtype, device=device or self.device)


def _in_place(name: str) -> Any:
    """x.name_(): x.name() written into x's own memory (same dtype, as PyTorch refuses a float
    result in an integer tensor)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self._inplace_input(), name)(*args, **kwargs)
        return self._assign(_same_dtype(result, self))

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"x.{name}(), written in place"
    return method


# the in-place forms that are one line each: x.sigmoid_() is x.sigmoid() written into x
for _name in ("asin", "acos", "atan", "expm1", "atan2", "abs", "sqrt", "rsqrt", "log", "log1p",
              "log2", "log10", "sin", "cos", "tan",
              "tanh", "sigmoid", "reciprocal", "floor", "ceil", "round", "trunc", "frac",
              "sign", "square", "exp2", "erf", "tril", "triu", "lerp", "addmm", "clamp_min",
              "clamp_max"):
    setattr(TensorMath, _name + "_", _in_place(_name))
for _name in ("sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
              "hypot", "xlogy", "logit", "fmod", "copysign", "sinc", "heaviside", "deg2rad",
              "rad2deg", "lgamma", "digamma", "baddbmm", "addbmm", "addmv", "addr"):
    setattr(TensorMath, _name + "_", _in_place(_name))


def _same_dtype(result: Any, target: Any) -> Any:
    """In-place results keep the target's dtype (PyTorch refuses float results into ints)."""
    if result.dtype is target.dtype:
        return result
    if result.dtype.category > target.dtype.category:
        raise RuntimeError(f"result type {dtypes.scalar_type_name(result.dtype)} can't be cast "
                           "to the desired output type "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    return result.to(target.dtype)


numpy_names.add_to_class(TensorMath)  # x.sum(axis=0, keepdims=True), as PyTorch accepts

from tinygrad_edu import tensor_more  # noqa: E402  (scatter_reduce, quantile, unfold, ...)

tensor_more.add_to_class(TensorMath)
from tinygrad_edu import tensor_names_helpers  # noqa: E402  (squeeze_, fill_diagonal_, ...)

tensor_names_helpers.add_to_class(TensorMath)
