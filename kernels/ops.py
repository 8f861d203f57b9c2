"""Operation codes: the small integers that name an elementwise or reduction operation.

A kernel takes the code as its first argument and branches on it once, outside its loop,
so one compiled kernel (per dtype combination) serves every operation of its kind. Each
backend (`reference`, `cpu`, `cuda`) implements exactly the operations listed here, with
the scalar definitions in `kernels/scalar_math.py`.

The lists are closed on purpose: adding an operation means adding a code here, a line in
each backend's dispatch, and a test (tests/test_kernels.py pins these lists).
"""

# ---- unary operations, for `map(op, x, out)`: out[i] = f(x[i])
IDENTITY = 0  # copy / cast
NEG = 1
ABS = 2
EXP = 3
LOG = 4
LOG1P = 5
SQRT = 6
RSQRT = 7
SIN = 8
COS = 9
TANH = 10
SIGMOID = 11
RELU = 12
SIGN = 13
RECIPROCAL = 14
LOGICAL_NOT = 15
ERF = 16
ASIN = 17
ACOS = 18
ATAN = 19
EXPM1 = 20

UNARY_OPS = {
    "identity": IDENTITY, "neg": NEG, "abs": ABS, "exp": EXP, "log": LOG, "log1p": LOG1P,
    "sqrt": SQRT, "rsqrt": RSQRT, "sin": SIN, "cos": COS, "tanh": TANH, "sigmoid": SIGMOID,
    "relu": RELU, "sign": SIGN, "reciprocal": RECIPROCAL, "logical_not": LOGICAL_NOT,
    "erf": ERF, "asin": ASIN, "acos": ACOS, "atan": ATAN, "expm1": EXPM1,
}

# ---- binary operations, for `zip(op, a, b, out)`: out[i] = f(a[bcast(i)], b[bcast(i)])
ADD = 0
SUB = 1
MUL = 2
DIV = 3
POW = 4
MAXIMUM = 5
MINIMUM = 6
EQ = 7
NE = 8
LT = 9
LE = 10
GT = 11
GE = 12
FLOOR_DIVIDE = 13
REMAINDER = 14
LOGICAL_AND = 15
LOGICAL_OR = 16
# backward helpers: out = grad * f'(.) with a = the saved input or output, b = the grad
EXP_BACK = 17
LOG_BACK = 18
LOG1P_BACK = 19
SQRT_BACK = 20
RSQRT_BACK = 21
SIN_BACK = 22
COS_BACK = 23
TANH_BACK = 24
SIGMOID_BACK = 25
RELU_BACK = 26
ABS_BACK = 27
RECIPROCAL_BACK = 28
POW_BACK_BASE = 29  # out = b * a**(b-1): a = base, b = exponent (caller multiplies by grad)
POW_BACK_EXPONENT = 30  # out = y * log(a): a = base, b = y = a**b
ERF_BACK = 31
# integer versions, chosen by the Tensor layer for integer dtypes: floor_divide, remainder and
# power have float-only branches (0 divisors, negative exponents) that would make Numba compute
# them in float64, which rounds integers above 2**53
INT_FLOOR_DIVIDE = 32
INT_REMAINDER = 33
INT_POW = 34
ATAN2 = 35  # atan2(a, b): the angle of the point (x = b, y = a)
ASIN_BACK = 36
ACOS_BACK = 37
ATAN_BACK = 38
EXPM1_BACK = 39  # out = g * (y + 1): a = y = expm1(x)

BINARY_OPS = {
    "add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "pow": POW, "maximum": MAXIMUM,
    "minimum": MINIMUM, "eq": EQ, "ne": NE, "lt": LT, "le": LE, "gt": GT, "ge": GE,
    "floor_divide": FLOOR_DIVIDE, "remainder": REMAINDER, "logical_and": LOGICAL_AND,
    "logical_or": LOGICAL_OR, "exp_back": EXP_BACK, "log_back": LOG_BACK,
    "log1p_back": LOG1P_BACK, "sqrt_back": SQRT_BACK, "rsqrt_back": RSQRT_BACK,
    "sin_back": SIN_BACK, "cos_back": COS_BACK, "tanh_back": TANH_BACK,
    "sigmoid_back": SIGMOID_BACK, "relu_back": RELU_BACK, "abs_back": ABS_BACK,
    "reciprocal_back": RECIPROCAL_BACK, "pow_back_base": POW_BACK_BASE,
    "pow_back_exponent": POW_BACK_EXPONENT, "erf_back": ERF_BACK,
    "int_floor_divide": INT_FLOOR_DIVIDE, "int_remainder": INT_REMAINDER, "int_pow": INT_POW,
    "atan2": ATAN2, "asin_back": ASIN_BACK, "acos_back": ACOS_BACK, "atan_back": ATAN_BACK,
    "expm1_back": EXPM1_BACK,
}

# ---- bit ops, for `bitwise(op, a, b, out)`: integer operands and out of one dtype (bools
# take the logical ops above; shifts refuse bools, as PyTorch)
BITWISE_AND = 0
BITWISE_OR = 1
BITWISE_XOR = 2
BITWISE_LEFT_SHIFT = 3
BITWISE_RIGHT_SHIFT = 4

BITWISE_OPS = {"bitwise_and": BITWISE_AND, "bitwise_or": BITWISE_OR,
               "bitwise_xor": BITWISE_XOR, "bitwise_left_shift": BITWISE_LEFT_SHIFT,
               "bitwise_right_shift": BITWISE_RIGHT_SHIFT}

# ---- reductions, for `reduce(op, x, axes)`: out[j] = fold(f, x[all i that map to j])
SUM = 0
PROD = 1
MAX = 2
MIN = 3

REDUCE_OPS = {"sum": SUM, "prod": PROD, "max": MAX, "min": MIN}

# ---- arg-reductions, for `arg_reduce(op, x, axis)`: index of the first max / min
ARGMAX = 0
ARGMIN = 1

ARG_REDUCE_OPS = {"argmax": ARGMAX, "argmin": ARGMIN}
