"""The scalar functions of `kernels/scalar_math.py`, compiled for the CPU, chosen by op code.

Each function is compiled with `njit` (kernels/cpu/jit.py: `inline`), and LLVM inlines it
into the loop of the kernel that calls it. `apply_unary(op, x)` and `apply_binary(op, a, b)`
turn an op code from `kernels/ops.py` into the call. The kernels branch on a loop-invariant
code, which the CPU predicts perfectly; the hottest ops also get loops of their own in
elementwise.py, which the compiler vectorises.
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
sigmoid = inline(scalar_math.sigmoid)
relu = inline(scalar_math.relu)
sign = inline(scalar_math.sign)
reciprocal = inline(scalar_math.reciprocal)
logical_not = inline(scalar_math.logical_not)

# ---- binary
div = inline(scalar_math.div)
power = inline(scalar_math.power)
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
sigmoid_back = inline(scalar_math.sigmoid_back)
relu_back = inline(scalar_math.relu_back)
abs_back = inline(scalar_math.abs_back)
reciprocal_back = inline(scalar_math.reciprocal_back)
power_back_base = inline(scalar_math.power_back_base)
power_back_exponent = inline(scalar_math.power_back_exponent)


@inline
def apply_unary(op, x):
    """f(x) for the unary op code `op` (kernels/ops.py)."""
    if op == ops.IDENTITY:
        return x
    elif op == ops.NEG:
        return neg(x)
    elif op == ops.ABS:
        return abs(x)
    elif op == ops.EXP:
        return exp(x)
    elif op == ops.LOG:
        return log(x)
    elif op == ops.LOG1P:
        return log1p(x)
    elif op == ops.SQRT:
        return sqrt(x)
    elif op == ops.RSQRT:
        return rsqrt(x)
    elif op == ops.SIN:
        return sin(x)
    elif op == ops.COS:
        return cos(x)
    elif op == ops.TANH:
        return tanh(x)
    elif op == ops.SIGMOID:
        return sigmoid(x)
    elif op == ops.RELU:
        return relu(x)
    elif op == ops.SIGN:
        return sign(x)
    elif op == ops.RECIPROCAL:
        return reciprocal(x)
    elif op == ops.ERF:
        return erf(x)
    else:  # ops.LOGICAL_NOT
        return logical_not(x)


@inline
def apply_binary(op, a, b):
    """f(a, b) for the binary op code `op` (kernels/ops.py)."""
    if op == ops.ADD:
        return a + b
    elif op == ops.SUB:
        return a - b
    elif op == ops.MUL:
        return a * b
    elif op == ops.DIV:
        return div(a, b)
    elif op == ops.POW:
        return power(a, b)
    elif op == ops.MAXIMUM:
        return maximum(a, b)
    elif op == ops.MINIMUM:
        return minimum(a, b)
    elif op == ops.EQ:
        return a == b
    elif op == ops.NE:
        return a != b
    elif op == ops.LT:
        return a < b
    elif op == ops.LE:
        return a <= b
    elif op == ops.GT:
        return a > b
    elif op == ops.GE:
        return a >= b
    elif op == ops.FLOOR_DIVIDE:
        return floor_divide(a, b)
    elif op == ops.REMAINDER:
        return remainder(a, b)
    elif op == ops.LOGICAL_AND:
        return logical_and(a, b)
    elif op == ops.LOGICAL_OR:
        return logical_or(a, b)
    elif op == ops.EXP_BACK:
        return exp_back(a, b)
    elif op == ops.LOG_BACK:
        return log_back(a, b)
    elif op == ops.LOG1P_BACK:
        return log1p_back(a, b)
    elif op == ops.SQRT_BACK:
        return sqrt_back(a, b)
    elif op == ops.RSQRT_BACK:
        return rsqrt_back(a, b)
    elif op == ops.SIN_BACK:
        return sin_back(a, b)
    elif op == ops.COS_BACK:
        return cos_back(a, b)
    elif op == ops.TANH_BACK:
        return tanh_back(a, b)
    elif op == ops.SIGMOID_BACK:
        return sigmoid_back(a, b)
    elif op == ops.RELU_BACK:
        return relu_back(a, b)
    elif op == ops.ABS_BACK:
        return abs_back(a, b)
    elif op == ops.RECIPROCAL_BACK:
        return reciprocal_back(a, b)
    elif op == ops.POW_BACK_BASE:
        return power_back_base(a, b)
    elif op == ops.ERF_BACK:
        return erf_back(a, b)
    else:  # ops.POW_BACK_EXPONENT
        return power_back_exponent(a, b)
