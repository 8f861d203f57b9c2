"""Gradients of gradients (create_graph=True) against PyTorch: each primitive's
graph_backward, Hessian-vector products, a gradient penalty through conv and pooling, MAML's
inner step through cross_entropy, and the once_differentiable error."""

import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def both(array, requires_grad=True):
    return (tg.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def second_order(lib, f, inputs):
    """d/dx of sum(grad(f(x)) * w) for fixed w: a Hessian-vector product per input."""
    out = f(lib, *inputs)
    grads = lib.autograd.grad(out, inputs, create_graph=True, allow_unused=True)
    total = 0
    for k, g in enumerate(grads):
        if g is not None:
            weights = np.cos(np.arange(g.numel()) + k).reshape(tuple(g.shape))
            total = total + (g * lib.tensor(weights)).sum()
    if not getattr(total, "requires_grad", False):  # a constant gradient (floor, sign)
        second = [None] * len(inputs)
    else:
        second = lib.autograd.grad(total, inputs, allow_unused=True)
    return ([g.detach().numpy() if g is not None else None for g in grads],
            [s.numpy() if s is not None else None for s in second])


def check(f, *arrays, positive=False):
    arrays = [np.abs(a) + 0.5 if positive else a for a in arrays]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    (g1, s1), (g2, s2) = second_order(tg, f, ours), second_order(torch, f, theirs)
    for a, b in zip(g1 + s1, g2 + s2):
        if b is None:
            assert a is None or np.allclose(a, 0)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def r(*shape):
    return RNG.standard_normal(shape)


UNARY = ["exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "erf", "sigmoid",
         "reciprocal", "relu", "abs", "neg", "atan", "expm1", "floor", "sign"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_second_derivatives(name):
    check(lambda lib, x: (getattr(x, name)() ** 2).sum(), r(3, 4), positive=name in
          ("log", "log1p", "sqrt", "rsqrt", "reciprocal"))


def test_asin_acos_inside_their_domain():
    x = RNG.uniform(-0.9, 0.9, (5,))
    check(lambda lib, x: (x.asin() * x.acos()).sum(), x)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "atan2", "where"])
def test_binary_second_derivatives_with_broadcasting(op):
    def f(lib, a, b):
        if op == "where":
            out = lib.where(a > 0, a * b, b * b)
        elif op == "pow":
            out = a ** b
        else:
            out = getattr(lib, op)(a, b)
        return (out * out * a).sum()
    check(f, r(2, 3), r(3), positive=op == "pow")


def test_reductions_prod_with_zeros_and_amax_ties():
    x = r(3, 4)
    x[0, 1] = 0.0
    x[1, 0] = x[1, 2] = 0.0
    check(lambda lib, x: (x.prod(dim=1) ** 2).sum() + x.prod() ** 2, x)
    y = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 0.5]])
    check(lambda lib, x: (x.amax(dim=1) * x.sum(dim=0).sum()).sum(), y)


def test_movement_ops_views_cat_and_indexing():
    def f(lib, x, y):
        z = lib.cat([x.t(), y[:, ::2]], dim=1).reshape(-1)
        picked = z[lib.tensor([0, 3, 3, 5])]
        return (picked.exp() * z[2] + x.expand(2, 3, 3).sum() * y[0, 0]).sum() + \
            (x.permute(1, 0).unsqueeze(0) ** 3).sum()
    check(f, r(3, 3), r(3, 4))


def test_matmul_linear_softmax_log_softmax():
    def f(lib, x, w, b, m):
        h = lib.nn.functional.linear(x, w, b).tanh()
        return (h.softmax(dim=1) * h.log_softmax(dim=1)).sum() + (x @ m).pow(2).sum() + \
            lib.bmm(x.unsqueeze(0), m.unsqueeze(0)).sum() ** 2
    check(f, r(4, 3), r(5, 3), r(5), r(3, 2))


@pytest.mark.parametrize("smoothing,reduction", [(0.0, "mean"), (0.1, "sum"), (0.0, "none")])
def test_cross_entropy_second_order(smoothing, reduction):
    target = np.array([1, 0, 2, 2])

    def f(lib, x, w):
        loss = lib.nn.functional.cross_entropy(x @ w, lib.tensor(target), reduction=reduction,
                                               label_smoothing=smoothing, ignore_index=0)
        return loss.sum()
    check(f, r(4, 3), r(3, 3))


def test_conv_pool_gradient_penalty_matches_torch():
    x, w, b = r(2, 2, 6, 6), r(3, 2, 3, 3), r(3)
    wt = r(3, 2, 2, 2)

    def f(lib, x, w, b, wt):
        functional = lib.nn.functional
        h = functional.conv2d(x, w, b, stride=1, padding=1).tanh()
        h = functional.max_pool2d(h, 2)
        h = functional.conv_transpose2d(h, wt, stride=2)
        return (h ** 2).sum()
    check(f, x, w, b, wt)


def test_hessian_vector_product_and_grad_has_graph():
    x = tg.tensor([1.0, 2.0, -0.5], requires_grad=True)
    y = (x ** 3).sum() + x[0] * x[1]
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (hv,) = tg.autograd.grad(g, x, tg.tensor([1.0, 0.0, 0.0]))
    # H = diag(6x) + [[0, 1, 0], [1, 0, 0], [0, 0, 0]]: first column
    np.testing.assert_allclose(hv.numpy(), [6.0, 1.0, 0.0])


def test_backward_create_graph_keeps_graph_in_dot_grad_and_accumulates():
    x = tg.tensor([0.3, -1.2], requires_grad=True, dtype=tg.float64)
    X = torch.tensor([0.3, -1.2], requires_grad=True, dtype=torch.float64)
    for t in (x, X):
        (t.sin() * t).sum().backward(create_graph=True)
        (t.exp()).sum().backward(create_graph=True)
        assert t.grad.requires_grad
        t.grad.sum().backward()  # second order adds into .grad again
    np.testing.assert_allclose(x.grad.detach().numpy(), X.grad.detach().numpy())


def test_maml_inner_step_matches_torch():
    xs, target = r(8, 4), RNG.integers(0, 3, 8)
    w0 = r(3, 4) * 0.5

    def outer(lib, w):
        functional = lib.nn.functional
        inner = functional.cross_entropy(functional.linear(lib.tensor(xs), w),
                                         lib.tensor(target))
        (g,) = lib.autograd.grad(inner, w, create_graph=True)
        adapted = w - 0.5 * g
        out = functional.cross_entropy(functional.linear(lib.tensor(xs[::-1].copy()), adapted),
                                       lib.tensor(target))
        return out

    ours, theirs = tg.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    outer(tg, ours).backward()
    outer(torch, theirs).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_custom_function_backward_in_tensor_ops_is_differentiable_again():
    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    x = tg.tensor([2.0], requires_grad=True)
    (g,) = tg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    assert g.item() == 12.0 and h.item() == 12.0


def test_once_differentiable_gradient_raises_when_differentiated_again():
    class Kernelish(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        @tg.autograd.once_differentiable
        def backward(ctx, grad):
            return grad * 2

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((Kernelish.apply(x) ** 2).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [8.0, 16.0])
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_every_library_function_has_a_graph_formula_or_says_it_has_none():
    """A primitive without graph_backward would be run as a user's Function under
    create_graph=True: its kernel-made gradient would silently have no graph."""
    import importlib
    import pkgutil

    import tinygrad_edu
    for info in pkgutil.walk_packages(tinygrad_edu.__path__, "tinygrad_edu."):
        importlib.import_module(info.name)
    missing = []
    stack = list(tg.autograd.Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("tinygrad_edu") or cls.__name__.startswith("_Delayed"):
            continue
        if "forward" not in vars(cls) and not any("forward" in vars(base)
                                                  for base in cls.__mro__[1:-1]
                                                  if base is not tg.autograd.Function):
            continue
        if getattr(cls, "graph_backward", None) is None and \
                not getattr(cls.backward, "once_differentiable", False):
            missing.append(f"{cls.__module__}.{cls.__name__}")
    assert not missing, missing


@pytest.mark.parametrize("name", ["hessian", "hvp", "vhp", "jvp"])
def test_autograd_functional_second_order_matches_torch(name):
    def f(x, y):
        return (x.sin().sum() * y.exp()).sum() + (x ** 2).sum() * y.sum()

    def j(lib):
        return lambda x, y: lib.stack([(x.sin().sum() * y[:2].exp()).sum(),
                                       (x * x).sum() * y.sum()])

    point, v = (r(2), r(3)), (r(2), r(3))
    results = []
    for lib in (tg, torch):
        functional = lib.autograd.functional
        inputs = tuple(lib.tensor(a) for a in point)
        vector = tuple(lib.tensor(a) for a in v)
        if name == "hessian":
            results.append(functional.hessian(f, inputs))
        elif name == "jvp":
            results.append(functional.jvp(j(lib), inputs, vector))
        else:
            results.append(getattr(functional, name)(f, inputs, vector))

    def flat(result):
        if isinstance(result, (tuple, list)):
            return np.concatenate([flat(item) for item in result])
        return np.ravel(result.detach().numpy())
    np.testing.assert_allclose(flat(results[0]), flat(results[1]), rtol=1e-10, atol=1e-12)
