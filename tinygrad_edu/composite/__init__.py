"""Ops composed from the primitives in functions/: no backward of their own.

Autograd differentiates these for free, because every step is a primitive that knows its
gradient. Read `mean` as "a Sum, then a Div": that is exactly the graph it records.

The modules, in the order they build on one another (each imports only modules above it):

    operands.py     how an op reads its arguments: scalar_tensor, promote (PyTorch's result
                    dtype for mixed operands), the common dtype of a comparison, dim as axes
    logic.py        eq ne lt le gt ge, logical_and/or/xor/not, isnan isinf, maximum minimum,
                    where, masked_fill, any all
    arithmetic.py   add sub mul div pow, floor_divide remainder, neg; floor ceil trunc round
                    frac, nan_to_num, isfinite; bitwise_and/or/xor/not and shifts; clamp, sign
    reductions.py   sum mean var std norm logsumexp prod amax amin max min argmax argmin
    elementwise.py  exp log log2 log10, asin acos atan atan2 tan, expm1 exp2, lerp addcmul
                    addcdiv, tril triu, masked_select; isclose allclose equal
    special.py      sinh cosh asinh acosh atanh, logaddexp logaddexp2 hypot, xlogy logit,
                    fmod copysign signbit, sinc deg2rad rad2deg heaviside float_power
    gamma.py        lgamma digamma (shift, Stirling's series, reflection)
    products.py     matmul mm bmm mv dot outer addmm; softmax log_softmax
    scans.py        cumsum cumprod cummax cummin logcumsumexp (a doubling scan);
                    count_nonzero nonzero bincount; cdist, var_mean std_mean, diff, nansum
                    nanmean, isin
    linalg.py       trace cross linalg_cross kron, baddbmm addbmm addmv addr, diag_embed
                    block_diag cartesian_prod vander, cov corrcoef
    elimination.py  det solve inv: Gaussian elimination with partial pivoting, batched
    triangular.py   cholesky cholesky_ex (column by column), solve_triangular (substitution),
                    cholesky_solve
    householder.py  qr householder_product (Householder reflections), lstsq (by QR)
    matrix_functions.py  slogdet logdet (by elimination), matrix_power (repeated squaring),
                    multi_dot (matrix-chain order), inv_ex solve_ex (info, not errors)
    eigen.py        eigh eigvalsh: the cyclic Jacobi method, round-robin rounds
    svd.py          svd svdvals matrix_rank: one-sided (Hestenes) Jacobi
    sorting.py      sort argsort topk; median nanmedian kthvalue mode; unique
                    unique_consecutive (all from one stable argsort kernel)
    search.py       searchsorted bucketize (a binary search of tensor ops), histc, aminmax
    shape.py        tensor_split take_along_dim rot90, atleast_1d/2d/3d column_stack,
                    tril_indices triu_indices

Every public name is re-exported here: `from tinygrad_edu import composite as C; C.mean(x)`.
"""

from tinygrad_edu.composite.arithmetic import (
    add,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clamp,
    div,
    floor,
    floor_divide,
    frac,
    isfinite,
    mul,
    nan_to_num,
    neg,
    pow,  # noqa: A004
    remainder,
    round,  # noqa: A004
    sign,
    sub,
    trunc,
)
from tinygrad_edu.composite.eigen import (
    EighResult,
    eigh,
    eigvalsh,
)
from tinygrad_edu.composite.elementwise import (
    acos,
    addcdiv,
    addcmul,
    allclose,
    asin,
    atan,
    atan2,
    equal,
    exp,
    exp2,
    expm1,
    isclose,
    lerp,
    log,
    log2,
    log10,
    masked_select,
    tan,
    tril,
    triu,
)
from tinygrad_edu.composite.elimination import (
    det,
    inv,
    solve,
)
from tinygrad_edu.composite.gamma import (
    digamma,
    lgamma,
)
from tinygrad_edu.composite.householder import (
    LstsqResult,
    QRResult,
    householder_product,
    lstsq,
    qr,
)
from tinygrad_edu.composite.linalg import (
    addbmm,
    addmv,
    addr,
    baddbmm,
    block_diag,
    cartesian_prod,
    corrcoef,
    cov,
    cross,
    diag_embed,
    kron,
    linalg_cross,
    trace,
    vander,
)
from tinygrad_edu.composite.logic import (
    all,  # noqa: A004
    any,  # noqa: A004
    eq,
    ge,
    gt,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    masked_fill,
    maximum,
    minimum,
    ne,
    where,
)
from tinygrad_edu.composite.matrix_functions import (
    InvExResult,
    SlogdetResult,
    SolveExResult,
    inv_ex,
    logdet,
    matrix_power,
    multi_dot,
    slogdet,
    solve_ex,
)
from tinygrad_edu.composite.operands import (
    promote,
    scalar_tensor,
)
from tinygrad_edu.composite.products import (
    addmm,
    bmm,
    dot,
    log_softmax,
    matmul,
    mm,
    mv,
    outer,
    softmax,
)
from tinygrad_edu.composite.reductions import (
    MaxResult,
    MinResult,
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    norm,
    prod,
    std,
    sum,  # noqa: A004
    var,
)
from tinygrad_edu.composite.scans import (
    CummaxResult,
    CumminResult,
    bincount,
    cdist,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    diff,
    isin,
    logcumsumexp,
    nanmean,
    nansum,
    nonzero,
    std_mean,
    var_mean,
)
from tinygrad_edu.composite.search import (
    AminmaxResult,
    aminmax,
    bucketize,
    histc,
    searchsorted,
)
from tinygrad_edu.composite.shape import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    rot90,
    take_along_dim,
    tensor_split,
    tril_indices,
    triu_indices,
)
from tinygrad_edu.composite.sorting import (
    KthvalueResult,
    MedianResult,
    ModeResult,
    NanmedianResult,
    SortResult,
    TopkResult,
    argsort,
    kthvalue,
    median,
    mode,
    nanmedian,
    sort,
    topk,
    unique,
    unique_consecutive,
)
from tinygrad_edu.composite.special import (
    acosh,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
    copysign,
    cosh,
    deg2rad,
    float_power,
    fmod,
    heaviside,
    hypot,
    logaddexp,
    logaddexp2,
    logit,
    rad2deg,
    signbit,
    sinc,
    sinh,
    xlogy,
)
from tinygrad_edu.composite.svd import (
    SvdResult,
    matrix_rank,
    svd,
    svdvals,
)
from tinygrad_edu.composite.triangular import (
    CholeskyExResult,
    cholesky,
    cholesky_ex,
    cholesky_solve,
    solve_triangular,
)
