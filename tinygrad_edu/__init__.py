"""tinygrad_edu: PyTorch's core rebuilt in readable Python over Numba kernels.

`import tinygrad_edu as torch` runs PyTorch code that stays within what the library covers.
Start reading at `scalar.py` (autograd on single numbers), then `tensor.py`, `autograd.py`
and `functions/`; the compiled kernels live in the top-level `kernels` package.
"""

from tinygrad_edu import autograd, dtypes
from tinygrad_edu.tensor import Size, Tensor
from tinygrad_edu.tensor import Tensor as _T  # the functional forms below are its methods
from tinygrad_edu.dtypes import (
    bool_ as bool,  # noqa: A004
    double,
    dtype,
    float,  # noqa: A004
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,  # noqa: A004
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from tinygrad_edu.device import device, get_num_threads, set_num_threads
from tinygrad_edu.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from tinygrad_edu.creation import (
    Generator,
    arange,
    bernoulli,
    channels_last,
    contiguous_format,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    manual_seed,
    memory_format,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    preserve_format,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from tinygrad_edu.composite import (
    acos,
    add,
    addcdiv,
    addcmul,
    addmm,
    all,  # noqa: A004
    allclose,
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    argsort,
    asin,
    atan,
    atan2,
    bincount,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    bmm,
    cdist,
    ceil,
    clamp,
    count_nonzero,
    cumprod,
    cumsum,
    diff,
    div,
    dot,
    eq,
    equal,
    exp2,
    expm1,
    floor,
    floor_divide,
    frac,
    ge,
    gt,
    isclose,
    isin,
    isfinite,
    isinf,
    isnan,
    kthvalue,
    le,
    lerp,
    log10,
    log2,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    lt,
    masked_fill,
    masked_select,
    matmul,
    max,  # noqa: A004
    maximum,
    mean,
    median,
    min,  # noqa: A004
    minimum,
    mm,
    mode,
    mul,
    mv,
    nan_to_num,
    nanmean,
    nanmedian,
    nansum,
    ne,
    nonzero,
    norm,
    outer,
    pow,  # noqa: A004
    prod,
    remainder,
    round,  # noqa: A004
    sign,
    softmax,
    sort,
    std,
    std_mean,
    sub,
    sum,  # noqa: A004
    tan,
    topk,
    tril,
    triu,
    trunc,
    unique,
    unique_consecutive,
    var,
    var_mean,
)
from tinygrad_edu import composite as _C
from tinygrad_edu.composite import (  # special gamma scans linalg elimination shape search
    acosh,
    addbmm,
    addmv,
    addr,
    aminmax,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    baddbmm,
    block_diag,
    bucketize,
    cartesian_prod,
    column_stack,
    copysign,
    corrcoef,
    cosh,
    cov,
    cross,
    cummax,
    cummin,
    deg2rad,
    det,
    diag_embed,
    digamma,
    float_power,
    fmod,
    heaviside,
    histc,
    hypot,
    kron,
    lgamma,
    logaddexp,
    logaddexp2,
    logcumsumexp,
    logit,
    rad2deg,
    rot90,
    searchsorted,
    signbit,
    sinc,
    sinh,
    take_along_dim,
    tensor_split,
    trace,
    tril_indices,
    triu_indices,
    vander,
    xlogy,
)
from tinygrad_edu.composite import inv as inverse  # torch.inverse: linalg.inv
from tinygrad_edu.composite import cholesky_solve, logdet, matrix_power, slogdet
from tinygrad_edu import linalg  # torch.linalg's names: cross, det, solve, inv, the norms
from tinygrad_edu.indexing import gather  # checks the index, then movement.gather
from tinygrad_edu.indexing import index_add, index_copy, index_fill, index_put, take
from tinygrad_edu.indexing import scatter, scatter_add
from tinygrad_edu.movement import (
    broadcast_to,
    cat,
    chunk,
    diag,
    diagonal,
    dstack,
    flatten,
    flip,
    hstack,
    index_select,
    meshgrid,
    movedim,
    narrow,
    permute,
    ravel,
    repeat_interleave,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tile,
    transpose,
    unbind,
    unsqueeze,
    vstack,
)

# functional forms of unary methods: torch.exp(x) is x.exp()
abs = _T.abs  # noqa: A001
exp = _T.exp
log = _T.log
log1p = _T.log1p
sqrt = _T.sqrt
rsqrt = _T.rsqrt
sin = _T.sin
cos = _T.cos
tanh = _T.tanh
erf = _T.erf
sigmoid = _T.sigmoid
relu = _T.relu
neg = _T.neg
reciprocal = _T.reciprocal
square = _T.square
clone = _T.clone
clip = clamp
concat = concatenate = cat
multiply, divide, subtract, true_divide = mul, div, sub, div
argwhere = nonzero


def where(condition: Tensor, input: object = None, other: object = None) -> object:  # noqa: A002
    """input where condition else other; with condition alone, nonzero(condition,
    as_tuple=True): the indices of its True (non-zero) elements, one tensor per dim."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return _C.where(condition, input, other)


import builtins as _builtins  # noqa: E402  (bool, int and float here are dtypes)

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:  # noqa: F811
    """Record the setting; every kernel here is deterministic already (no atomics whose
    order varies), so nothing else changes. PyTorch: picks slower deterministic kernels."""
    _deterministic.update(mode=_builtins.bool(mode), warn_only=_builtins.bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> int:
    return x.numel()


def is_floating_point(x: Tensor) -> bool:
    return x.dtype.is_floating_point


from tinygrad_edu.legacy import (  # noqa: E402
    BoolTensor,
    ByteTensor,
    DoubleTensor,
    FloatTensor,
    IntTensor,
    LongTensor,
)
from tinygrad_edu import backends  # noqa: E402
from tinygrad_edu import cuda  # noqa: E402
from tinygrad_edu import amp  # noqa: E402
from tinygrad_edu.amp import autocast, get_autocast_dtype, is_autocast_enabled  # noqa: E402
from tinygrad_edu import utils  # noqa: E402
from tinygrad_edu import func  # noqa: E402  (torch.func.functional_call)
from tinygrad_edu import autograd_functional as _autograd_functional  # noqa: E402, F401
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu import optim  # noqa: E402
from tinygrad_edu import distributions  # noqa: E402
from tinygrad_edu import onnx  # noqa: E402
from tinygrad_edu import distributed, multiprocessing  # noqa: E402
from tinygrad_edu.serialization import CheckpointError, load, save  # noqa: E402
from tinygrad_edu.einsum import einsum  # noqa: E402
from tinygrad_edu.dtypes import finfo, iinfo  # noqa: E402
from tinygrad_edu.formatting import set_printoptions  # noqa: E402
from tinygrad_edu.compiler import compile  # noqa: E402, A004  (torch.compile)
from tinygrad_edu import special, testing  # noqa: E402  (torch.special, torch.testing)
from tinygrad_edu import anomaly as _anomaly  # noqa: E402, F401  (autograd.detect_anomaly)
from tinygrad_edu import jit  # noqa: E402  (torch.jit.trace; script is the identity)
from tinygrad_edu.tensor_misc import (  # noqa: E402
    binomial,
    get_float32_matmul_precision,
    poisson,
    set_float32_matmul_precision,
)
from tinygrad_edu.tensor_extras import rsub  # noqa: E402
quantile, nanquantile = _T.quantile, _T.nanquantile
scatter_reduce, index_reduce = _T.scatter_reduce, _T.index_reduce
masked_scatter = _T.masked_scatter
narrow_copy = _T.narrow_copy

moveaxis = movedim
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2

__version__ = "0.1.0"

from tinygrad_edu.tensor_names import (  # noqa: E402  (composed PyTorch names)
    absolute,
    chain_matmul,
    clamp_max,
    clamp_min,
    combinations,
    cumulative_trapezoid,
    diagonal_scatter,
    dsplit,
    fmax,
    fmin,
    frexp,
    gcd,
    histogram,
    hsplit,
    inner,
    isneginf,
    isposinf,
    lcm,
    ldexp,
    msort,
    negative,
    positive,
    select,
    select_scatter,
    sgn,
    slice_scatter,
    tensordot,
    trapezoid,
    trapz,
    unflatten,
    vsplit,
)
from tinygrad_edu.tensor_names_helpers import (  # noqa: E402  (dtype helpers, factories)
    asarray,
    can_cast,
    conj,
    conj_physical,
    empty_strided,
    frombuffer,
    get_default_device,
    imag,
    is_complex,
    is_conj,
    is_nonzero,
    isreal,
    logspace,
    range,  # noqa: A004
    real,
    resolve_conj,
    result_type,
    set_default_device,
    typename,
)

from tinygrad_edu import numpy_names as _numpy_names  # noqa: E402

_numpy_names.add_to_namespace(globals())  # sum(x, axis=1, keepdims=True), as PyTorch accepts

