"""The scalar functions of `kernels/scalar_math.py`, compiled for the CPU, chosen by op code.

Each function is compiled with `njit` (kernels/cpu/jit.py: `inline`), and LLVM inlines it
into the loop of the kernel that calls it. `store_unary(op, x, out, o)` and
`store_binary(op, a, b, out, o)` turn an op code from `kernels/ops.py` into the call and store
the result, out[o] = f(x). Storing inside each branch (instead of returning a value) lets each
branch keep its own type: a returned value would be unified across the branches, so an int64
negation would come back as a float64 (and lose digits above 2**53). The kernels branch on
a loop-invariant code, which the CPU predicts perfectly; the hottest ops also get loops of
their own in elementwise.py, which the compiler vectorises.
"""

from kernels import ops, scalar_math, strided
from kernels.cpu.jit import inline

# ---- index math (kernels/strided.py), compiled once for the CPU
ordinal_to_position = inline(strided.ordinal_to_position)
row_start_position = inline(strided.row_start_position)

# ---- unary
neg = inline(scalar_math.neg)
exp = inline(scalar_math.exp)
log = inline(scalar_math.log)
log1p = inline(scalar_math.log1p)
sqrt = inline(scalar_math.sqrt)
rsqrt = inline(scalar_math.rsqrt)
sin = inline(scalar_math.sin)
cos = inline(scalar_math.cos)
tanh = inline(scalar_math.tanh)
erf = inline(scalar_math.erf)
asin = inline(scalar_math.asin)
acos = inline(scalar_math.acos)
atan = inline(scalar_math.atan)
expm1 = inline(scalar_math.expm1)
sigmoid = inline(scalar_math.sigmoid)
relu = inline(scalar_math.relu)
sign = inline(scalar_math.sign)
reciprocal = inline(scalar_math.reciprocal)
logical_not = inline(scalar_math.logical_not)

# ---- binary
div = inline(scalar_math.div)
power = inline(scalar_math.power)
int_floor_divide = inline(scalar_math.int_floor_divide)
int_remainder = inline(scalar_math.int_remainder)
int_power = inline(scalar_math.int_power)
floor_divide = inline(scalar_math.floor_divide)
remainder = inline(scalar_math.remainder)
maximum = inline(scalar_math.maximum)
minimum = inline(scalar_math.minimum)
logical_and = inline(scalar_math.logical_and)
logical_or = inline(scalar_math.logical_or)
exp_back = inline(scalar_math.exp_back)
log_back = inline(scalar_math.log_back)
log1p_back = inline(scalar_math.log1p_back)
sqrt_back = inline(scalar_math.sqrt_back)
rsqrt_back = inline(scalar_math.rsqrt_back)
sin_back = inline(scalar_math.sin_back)
cos_back = inline(scalar_math.cos_back)
tanh_back = inline(scalar_math.tanh_back)
erf_back = inline(scalar_math.erf_back)
asin_back = inline(scalar_math.asin_back)
acos_back = inline(scalar_math.acos_back)
atan_back = inline(scalar_math.atan_back)
expm1_back = inline(scalar_math.expm1_back)
atan2 = inline(scalar_math.atan2)
sigmoid_back = inline(scalar_math.sigmoid_back)
relu_back = inline(scalar_math.relu_back)
abs_back = inline(scalar_math.abs_back)
reciprocal_back = inline(scalar_math.reciprocal_back)
power_back_base = inline(scalar_math.power_back_base)
power_back_exponent = inline(scalar_math.power_back_exponent)

# ---- bit ops (integers only)
bitwise_and = inline(scalar_math.bitwise_and)
bitwise_or = inline(scalar_math.bitwise_or)
bitwise_xor = inline(scalar_math.bitwise_xor)
shift_left = inline(scalar_math.shift_left)
shift_right = inline(scalar_math.shift_right)


@inline
def store_unary(op, x, out, o):
    """out[o] = f(x) for the unary op code `op` (kernels/ops.py)."""
    if op == ops.IDENTITY:
        out[o] = x
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


@inline
def store_binary(op, a, b, out, o):
    """out[o] = f(a, b) for the binary op code `op` (kernels/ops.py)."""
    if op == ops.ADD:
        out[o] = a + b
    elif op == ops.SUB:
        out[o] = a - b
    elif op == ops.MUL:
        out[o] = a * b
    elif op == ops.DIV:
        out[o] = div(a, b)
    elif op == ops.POW:
        out[o] = power(a, b)
    elif op == ops.MAXIMUM:
        out[o] = maximum(a, b)
    elif op == ops.MINIMUM:
        out[o] = minimum(a, b)
    elif op == ops.EQ:
        out[o] = a == b
    elif op == ops.NE:
        out[o] = a != b
    elif op == ops.LT:
        out[o] = a < b
    elif op == ops.LE:
        out[o] = a <= b
    elif op == ops.GT:
        out[o] = a > b
    elif op == ops.GE:
        out[o] = a >= b
    elif op == ops.FLOOR_DIVIDE:
        out[o] = floor_divide(a, b)
    elif op == ops.REMAINDER:
        out[o] = remainder(a, b)
    elif op == ops.LOGICAL_AND:
        out[o] = logical_and(a, b)
    elif op == ops.LOGICAL_OR:
        out[o] = logical_or(a, b)
    elif op == ops.EXP_BACK:
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


@inline
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
