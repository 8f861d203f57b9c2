"""Device functions: the shared scalar and index math compiled with `cuda.jit(device=True)`.

Nothing here is re-implemented: each function of `kernels/scalar_math.py` and the index math
of `kernels/strided.py` is the plain-Python definition, compiled for the GPU.

The scalar functions call only `math.*`, never one another, so each compiles on its own.

`store_unary(op, x, out, o)` and `store_binary(op, a, b, out, o)` turn an op code from
`kernels/ops.py` into the call and store the result: out[o] = f(x). Storing inside each branch
(instead of returning a value) lets each branch keep its own type (an int64 negation stays
int64 instead of being unified with the float branches), and the store casts to out's dtype.
The op code is the same for every thread, so the branch costs no divergence.
"""

import math

from numba import cuda

from kernels import ops, scalar_math, strided

compile_scalar = cuda.jit(device=True)  # plain Python function -> CUDA device function


# ---- index math (kernels/strided.py)
ordinal_to_position = cuda.jit(device=True)(strided.ordinal_to_position)

# ---- unary
identity = compile_scalar(scalar_math.identity)
neg = compile_scalar(scalar_math.neg)
exp = compile_scalar(scalar_math.exp)
log = compile_scalar(scalar_math.log)
log1p = compile_scalar(scalar_math.log1p)
sqrt = compile_scalar(scalar_math.sqrt)
rsqrt = compile_scalar(scalar_math.rsqrt)
sin = compile_scalar(scalar_math.sin)
cos = compile_scalar(scalar_math.cos)
tanh = compile_scalar(scalar_math.tanh)
erf = compile_scalar(scalar_math.erf)
asin = compile_scalar(scalar_math.asin)
acos = compile_scalar(scalar_math.acos)
atan = compile_scalar(scalar_math.atan)
expm1 = compile_scalar(scalar_math.expm1)
sigmoid = compile_scalar(scalar_math.sigmoid)
relu = compile_scalar(scalar_math.relu)
sign = compile_scalar(scalar_math.sign)
reciprocal = compile_scalar(scalar_math.reciprocal)
logical_not = compile_scalar(scalar_math.logical_not)

# ---- binary
add = compile_scalar(scalar_math.add)
sub = compile_scalar(scalar_math.sub)
mul = compile_scalar(scalar_math.mul)
div = compile_scalar(scalar_math.div)
power = compile_scalar(scalar_math.power)
int_floor_divide = compile_scalar(scalar_math.int_floor_divide)
int_remainder = compile_scalar(scalar_math.int_remainder)
int_power = compile_scalar(scalar_math.int_power)
maximum = compile_scalar(scalar_math.maximum)
minimum = compile_scalar(scalar_math.minimum)
eq = compile_scalar(scalar_math.eq)
ne = compile_scalar(scalar_math.ne)
lt = compile_scalar(scalar_math.lt)
le = compile_scalar(scalar_math.le)
gt = compile_scalar(scalar_math.gt)
ge = compile_scalar(scalar_math.ge)
floor_divide = compile_scalar(scalar_math.floor_divide)
remainder = compile_scalar(scalar_math.remainder)
logical_and = compile_scalar(scalar_math.logical_and)
logical_or = compile_scalar(scalar_math.logical_or)

# ---- derivatives (backward helpers)
exp_back = compile_scalar(scalar_math.exp_back)
log_back = compile_scalar(scalar_math.log_back)
log1p_back = compile_scalar(scalar_math.log1p_back)
sqrt_back = compile_scalar(scalar_math.sqrt_back)
rsqrt_back = compile_scalar(scalar_math.rsqrt_back)
sin_back = compile_scalar(scalar_math.sin_back)
cos_back = compile_scalar(scalar_math.cos_back)
tanh_back = compile_scalar(scalar_math.tanh_back)
erf_back = compile_scalar(scalar_math.erf_back)
asin_back = compile_scalar(scalar_math.asin_back)
acos_back = compile_scalar(scalar_math.acos_back)
atan_back = compile_scalar(scalar_math.atan_back)
expm1_back = compile_scalar(scalar_math.expm1_back)
atan2 = compile_scalar(scalar_math.atan2)
sigmoid_back = compile_scalar(scalar_math.sigmoid_back)
relu_back = compile_scalar(scalar_math.relu_back)
abs_back = compile_scalar(scalar_math.abs_back)
reciprocal_back = compile_scalar(scalar_math.reciprocal_back)
power_back_base = compile_scalar(scalar_math.power_back_base)
power_back_exponent = compile_scalar(scalar_math.power_back_exponent)

# ---- bit ops (integers only)
bitwise_and = compile_scalar(scalar_math.bitwise_and)
bitwise_or = compile_scalar(scalar_math.bitwise_or)
bitwise_xor = compile_scalar(scalar_math.bitwise_xor)
shift_left = compile_scalar(scalar_math.shift_left)
shift_right = compile_scalar(scalar_math.shift_right)


@cuda.jit(device=True)
def store_unary(op, x, out, o):
    """out[o] = f(x) for the unary op code `op` (kernels/ops.py)."""
    if op == ops.IDENTITY:
        out[o] = identity(x)
    elif op == ops.NEG:
        out[o] = neg(x)
    elif op == ops.ABS:
        out[o] = abs(x)
    elif op == ops.EXP:
        out[o] = exp(x)
    elif op == ops.LOG:
        out[o] = log(x)
    elif op == ops.LOG1P:
        out[o] = log1p(x)
    elif op == ops.SQRT:
        out[o] = sqrt(x)
    elif op == ops.RSQRT:
        out[o] = rsqrt(x)
    elif op == ops.SIN:
        out[o] = sin(x)
    elif op == ops.COS:
        out[o] = cos(x)
    elif op == ops.TANH:
        out[o] = tanh(x)
    elif op == ops.SIGMOID:
        out[o] = sigmoid(x)
    elif op == ops.RELU:
        out[o] = relu(x)
    elif op == ops.SIGN:
        out[o] = sign(x)
    elif op == ops.RECIPROCAL:
        out[o] = reciprocal(x)
    elif op == ops.ERF:
        out[o] = erf(x)
    elif op == ops.ASIN:
        out[o] = asin(x)
    elif op == ops.ACOS:
        out[o] = acos(x)
    elif op == ops.ATAN:
        out[o] = atan(x)
    elif op == ops.EXPM1:
        out[o] = expm1(x)
    else:  # ops.LOGICAL_NOT
        out[o] = logical_not(x)


@cuda.jit(device=True)
def store_binary(op, a, b, out, o):
    """out[o] = f(a, b) for the binary op code `op` (kernels/ops.py)."""
    if op == ops.ADD:
        out[o] = add(a, b)
    elif op == ops.SUB:
        out[o] = sub(a, b)
    elif op == ops.MUL:
        out[o] = mul(a, b)
    elif op == ops.DIV:
        out[o] = div(a, b)
    elif op == ops.POW:
        out[o] = power(a, b)
    elif op == ops.MAXIMUM:
        out[o] = maximum(a, b)
    elif op == ops.MINIMUM:
        out[o] = minimum(a, b)
    elif op == ops.EQ:
        out[o] = eq(a, b)
    elif op == ops.NE:
        out[o] = ne(a, b)
    elif op == ops.LT:
        out[o] = lt(a, b)
    elif op == ops.LE:
        out[o] = le(a, b)
    elif op == ops.GT:
        out[o] = gt(a, b)
    elif op == ops.GE:
        out[o] = ge(a, b)
    elif op == ops.FLOOR_DIVIDE:
        out[o] = floor_divide(a, b)
    elif op == ops.REMAINDER:
        out[o] = remainder(a, b)
    elif op == ops.LOGICAL_AND:
        out[o] = logical_and(a, b)
    elif op == ops.LOGICAL_OR:
        out[o] = logical_or(a, b)
    else:
        store_backward(op, a, b, out, o)


@cuda.jit(device=True)
def store_backward(op, a, b, out, o):
    """out[o] = f(a, b) for the backward-helper op codes (EXP_BACK ... ERF_BACK, ATAN2 ...)."""
    if op == ops.EXP_BACK:
        out[o] = exp_back(a, b)
    elif op == ops.LOG_BACK:
        out[o] = log_back(a, b)
    elif op == ops.LOG1P_BACK:
        out[o] = log1p_back(a, b)
    elif op == ops.SQRT_BACK:
        out[o] = sqrt_back(a, b)
    elif op == ops.RSQRT_BACK:
        out[o] = rsqrt_back(a, b)
    elif op == ops.SIN_BACK:
        out[o] = sin_back(a, b)
    elif op == ops.COS_BACK:
        out[o] = cos_back(a, b)
    elif op == ops.TANH_BACK:
        out[o] = tanh_back(a, b)
    elif op == ops.SIGMOID_BACK:
        out[o] = sigmoid_back(a, b)
    elif op == ops.RELU_BACK:
        out[o] = relu_back(a, b)
    elif op == ops.ABS_BACK:
        out[o] = abs_back(a, b)
    elif op == ops.RECIPROCAL_BACK:
        out[o] = reciprocal_back(a, b)
    elif op == ops.POW_BACK_BASE:
        out[o] = power_back_base(a, b)
    elif op == ops.INT_FLOOR_DIVIDE:
        out[o] = int_floor_divide(a, b)
    elif op == ops.INT_REMAINDER:
        out[o] = int_remainder(a, b)
    elif op == ops.INT_POW:
        out[o] = int_power(a, b)
    elif op == ops.ERF_BACK:
        out[o] = erf_back(a, b)
    elif op == ops.ATAN2:
        out[o] = atan2(a, b)
    elif op == ops.ASIN_BACK:
        out[o] = asin_back(a, b)
    elif op == ops.ACOS_BACK:
        out[o] = acos_back(a, b)
    elif op == ops.ATAN_BACK:
        out[o] = atan_back(a, b)
    elif op == ops.EXPM1_BACK:
        out[o] = expm1_back(a, b)
    else:  # ops.POW_BACK_EXPONENT
        out[o] = power_back_exponent(a, b)


@cuda.jit(device=True)
def combine(op, accumulator, value):
    """One step of a reduction fold: accumulator (+, *, max, min) value, by REDUCE_OPS code."""
    if op == ops.SUM:
        return add(accumulator, value)
    if op == ops.PROD:
        return mul(accumulator, value)
    if op == ops.MAX:
        return maximum(accumulator, value)
    return minimum(accumulator, value)


@cuda.jit(device=True)
def arg_better(op, candidate, best):
    """True when `candidate` strictly beats `best` for ARGMAX / ARGMIN.

    A nan beats every number and no nan beats a nan, so the first nan wins (NumPy, PyTorch).
    """
    if math.isnan(best):
        return False
    if math.isnan(candidate):
        return True
    if op == ops.ARGMAX:
        return candidate > best
    return candidate < best


@cuda.jit(device=True)
def store_bitwise(op, a, b, out, o):
    """out[o] = f(a, b) for the bit op code `op` (kernels/ops.py BITWISE_OPS; integers only)."""
    if op == ops.BITWISE_AND:
        out[o] = bitwise_and(a, b)
    elif op == ops.BITWISE_OR:
        out[o] = bitwise_or(a, b)
    elif op == ops.BITWISE_XOR:
        out[o] = bitwise_xor(a, b)
    elif op == ops.BITWISE_LEFT_SHIFT:
        out[o] = shift_left(a, b)
    else:  # ops.BITWISE_RIGHT_SHIFT
        out[o] = shift_right(a, b)
