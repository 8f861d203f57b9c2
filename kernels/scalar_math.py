"""Scalar math: one definition of every elementwise function and its derivative.

These are plain Python functions on single numbers. They are used three ways:

- `tinygrad_edu.scalar.Value` calls them directly (pure Python, step one for a learner);
- `kernels/cpu` compiles them with `numba.njit(inline="always")` inside its loops;
- `kernels/cuda` compiles them with `numba.cuda.jit(device=True)`.

So the scalar engine and both kernel layers share one definition of, say, `sigmoid` and
`sigmoid_back`. Every function here must stay inside the subset of Python that Numba
compiles for both targets: arithmetic, comparisons, `math.*`, no containers, no objects.

Functions here never call each other: Numba compiles each one separately, and a call to
a plain Python function cannot be compiled.

Naming: `f(x)` is the function; `f_back(x_or_y, grad)` returns `grad * f'(x)`, written in
terms of whatever is cheapest (the input `x` or the output `y = f(x)`), as the docstring says.
"""

import math

# ----------------------------------------------------------------------------- unary


def neg(x):
    """-x"""
    return -x


def identity(x):
    """x (used for plain copies and casts)"""
    return x


def exp(x):
    """e**x"""
    return math.exp(x)


def log(x):
    """natural log; log(0) = -inf and log(<0) = nan, as in PyTorch"""
    if x > 0:
        return math.log(x)
    if x == 0:
        return -math.inf
    return math.nan


def log1p(x):
    """log(1 + x), accurate for small x"""
    if x > -1:
        return math.log1p(x)
    if x == -1:
        return -math.inf
    return math.nan


def sqrt(x):
    """square root; nan for x < 0"""
    if x >= 0:
        return math.sqrt(x)
    return math.nan


def rsqrt(x):
    """1 / sqrt(x); inf at 0, nan for x < 0"""
    if x > 0:
        return 1.0 / math.sqrt(x)
    if x == 0:
        return math.inf
    return math.nan


def sin(x):
    """sin(x)"""
    return math.sin(x)


def cos(x):
    """cos(x)"""
    return math.cos(x)


def tanh(x):
    """tanh(x)"""
    return math.tanh(x)


def erf(x):
    """erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t**2) dt (the Gauss error function)"""
    return math.erf(x)


def asin(x):
    """the angle in [-pi/2, pi/2] whose sine is x (nan outside [-1, 1])"""
    if x < -1.0 or x > 1.0:
        return math.nan
    return math.asin(x)


def acos(x):
    """the angle in [0, pi] whose cosine is x (nan outside [-1, 1])"""
    if x < -1.0 or x > 1.0:
        return math.nan
    return math.acos(x)


def atan(x):
    """the angle in (-pi/2, pi/2) whose tangent is x"""
    return math.atan(x)


def expm1(x):
    """e**x - 1, accurate for small x (where exp(x) - 1 loses the digits)"""
    return math.expm1(x)


def sigmoid(x):
    """1 / (1 + e**-x), computed without overflow for large |x|"""
    if x >= 0:
        z = math.exp(-x)
        return 1.0 / (1.0 + z)
    z = math.exp(x)
    return z / (1.0 + z)


def relu(x):
    """max(x, 0)"""
    return x if x > 0 else 0.0 * x


def sign(x):
    """-1 if x < 0, 1 if x > 0, else 0: so sign(nan) = 0 and sign(-0.) = +0., as PyTorch"""
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return 0.0


def reciprocal(x):
    """1 / x (inf at 0, as in floating point)"""
    if x == 0:
        return math.copysign(math.inf, x)
    return 1.0 / x


def logical_not(x):
    """1 if x == 0 else 0"""
    return 1 if x == 0 else 0


# ----------------------------------------------------------------------------- derivatives
# Each `*_back` returns grad * f'(.) and is what a backward kernel maps over the tensors.


def exp_back(y, grad):
    """d/dx e**x = e**x = y"""
    return grad * y


def log_back(x, grad):
    """d/dx log x = 1 / x"""
    return grad / x


def log1p_back(x, grad):
    """d/dx log(1 + x) = 1 / (1 + x)"""
    return grad / (1.0 + x)


def sqrt_back(y, grad):
    """d/dx sqrt x = 1 / (2 sqrt x) = 1 / (2 y)"""
    return grad / (2.0 * y)


def rsqrt_back(y, grad):
    """d/dx x**-1/2 = -1/2 x**-3/2 = -y**3 / 2"""
    return -0.5 * grad * y * y * y


def sin_back(x, grad):
    """d/dx sin x = cos x"""
    return grad * math.cos(x)


def cos_back(x, grad):
    """d/dx cos x = -sin x"""
    return -grad * math.sin(x)


def tanh_back(y, grad):
    """d/dx tanh x = 1 - tanh(x)**2 = 1 - y**2"""
    return grad * (1.0 - y * y)


def erf_back(x, grad):
    """d/dx erf x = 2/sqrt(pi) exp(-x**2)"""
    return grad * 1.1283791670955126 * math.exp(-x * x)


def asin_back(x, grad):
    """d/dx asin x = 1 / sqrt(1 - x**2) (nan outside [-1, 1], where asin has no value)"""
    room = 1.0 - x * x
    if room < 0.0:
        return math.nan
    return grad / math.sqrt(room)


def acos_back(x, grad):
    """d/dx acos x = -1 / sqrt(1 - x**2)"""
    room = 1.0 - x * x
    if room < 0.0:
        return math.nan
    return -grad / math.sqrt(room)


def atan_back(x, grad):
    """d/dx atan x = 1 / (1 + x**2)"""
    return grad / (1.0 + x * x)


def expm1_back(y, grad):
    """d/dx (e**x - 1) = e**x = y + 1"""
    return grad * (y + 1.0)


def atan2(a, b):
    """the angle of the point (b, a) from the positive x axis, in [-pi, pi]"""
    return math.atan2(a, b)


def sigmoid_back(y, grad):
    """d/dx sigmoid x = sigmoid(x) (1 - sigmoid(x)) = y (1 - y)"""
    return grad * y * (1.0 - y)


def relu_back(x, grad):
    """d/dx relu x = 1 if x > 0 else 0 (PyTorch also uses 0 at x == 0)"""
    return grad if x > 0 else 0.0 * grad


def abs_back(x, grad):
    """d/dx |x| = sign(x) (0 at 0, as in PyTorch)"""
    if x > 0:
        return grad
    if x < 0:
        return -grad
    return 0.0 * grad


def reciprocal_back(y, grad):
    """d/dx 1/x = -1/x**2 = -y**2"""
    return -grad * y * y


# ----------------------------------------------------------------------------- binary


def add(a, b):
    """a + b"""
    return a + b


def sub(a, b):
    """a - b"""
    return a - b


def mul(a, b):
    """a * b"""
    return a * b


def div(a, b):
    """a / b (true division; x/0 is +-inf or nan as in IEEE floating point)"""
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def power(a, b):
    """a ** b for floats: 0**negative = inf, negative**fraction = nan (as PyTorch)"""
    if a == 0 and b < 0:
        return math.inf
    if a < 0 and b != math.floor(b):
        return math.nan
    return a**b


def floor_divide(a, b):
    """floor(a / b) as Python and PyTorch compute it: from the exact remainder, so 1.0 // 0.1
    is 9.0 (0.1 is slightly more than 1/10), not floor(round(1.0 / 0.1)) = 10."""
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a // b


def remainder(a, b):
    """a - floor(a / b) * b, exactly: the sign of b, like Python's and PyTorch's %"""
    if b == 0:
        return math.nan
    return a % b


def int_floor_divide(a, b):
    """a // b for integers, kept in integers (the Tensor layer refuses a 0 divisor first, as
    PyTorch does; floor_divide's 0-divisor branch returns floats)"""
    return a // b


def int_remainder(a, b):
    """a % b for integers, with the sign of b (a 0 divisor refused first, as for //)"""
    return a % b


def int_power(a, b):
    """a ** b for integers by repeated squaring, wrapping around on overflow as PyTorch's
    integer kernels do. A negative b gives 1 / a**-b rounded toward 0: 0 unless a is 1 or -1."""
    if b < 0:
        if a == 1:
            return 1
        if a == -1:
            return 1 if b % 2 == 0 else -1
        return 0
    result = 1
    while b > 0:
        if b % 2 == 1:
            result = result * a
        a = a * a
        b = b // 2
    return result


# ---- bit ops, for integers only (kernels/ops.py BITWISE_OPS: a separate kernel, because
# floats have no bits to combine and a float branch would not compile)


def bitwise_and(a, b):
    """a & b, bit by bit"""
    return a & b


def bitwise_or(a, b):
    """a | b, bit by bit"""
    return a | b


def bitwise_xor(a, b):
    """a ^ b, bit by bit"""
    return a ^ b


def shift_left(a, b):
    """a << b; 0 when b is negative or at least 64. (The kernels compute in 64 bits and the
    store keeps the low bits of the result's dtype, so a shift past an int8's 8 bits gives 0
    too, as PyTorch. A 64-bit shift by 64 or more is undefined in the hardware: hence the test.)"""
    if b < 0 or b >= 64:
        return 0 * a
    return a << b


def shift_right(a, b):
    """a >> b, the sign bit copied in (arithmetic shift): -1 for negative a and 0 otherwise
    when b is negative or at least 64, as PyTorch."""
    if b < 0 or b >= 64:
        return -1 if a < 0 else 0
    return a >> b


def maximum(a, b):
    """the larger of a and b; nan if either is nan (PyTorch propagates nan)"""
    if a != a or b != b:
        return a + b
    return a if a >= b else b


def minimum(a, b):
    """the smaller of a and b; nan if either is nan"""
    if a != a or b != b:
        return a + b
    return a if a <= b else b


def eq(a, b):
    """1 if a == b else 0"""
    return 1 if a == b else 0


def ne(a, b):
    """1 if a != b else 0"""
    return 1 if a != b else 0


def lt(a, b):
    """1 if a < b else 0"""
    return 1 if a < b else 0


def le(a, b):
    """1 if a <= b else 0"""
    return 1 if a <= b else 0


def gt(a, b):
    """1 if a > b else 0"""
    return 1 if a > b else 0


def ge(a, b):
    """1 if a >= b else 0"""
    return 1 if a >= b else 0


def logical_and(a, b):
    """1 if both are nonzero"""
    return 1 if (a != 0 and b != 0) else 0


def logical_or(a, b):
    """1 if either is nonzero"""
    return 1 if (a != 0 or b != 0) else 0


def power_back_base(a, b):
    """d/da a**b = b * a**(b-1) (times the incoming gradient, applied by the caller)"""
    if b == 0:
        return 0.0 * a
    if a == 0 and b < 1:
        return math.inf
    if a < 0 and b != math.floor(b):
        return math.nan
    return b * a ** (b - 1)


def power_back_exponent(a, y):
    """d/db a**b = a**b * log(a) = y * log(a); 0 where a == 0 and y == 0 (PyTorch's choice)"""
    if a == 0 and y == 0:
        return 0.0 * a
    if a <= 0:
        return math.nan
    return y * math.log(a)
