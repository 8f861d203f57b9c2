"""tinygrad_edu.compile: same numbers as eager (and PyTorch), gradients included; guards,
graph breaks, and fusion that really happens (tinygrad_edu/compiler, kernels/fusion.py)."""

import warnings

import numpy as np
import pytest
import strategies as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.compiler import CompileError
from tinygrad_edu.compiler.fused import layout


def close(got, expected, what, rtol=1e-5, atol=1e-6):
    got = got.detach().numpy() if isinstance(got, tg.Tensor) else np.asarray(got)
    expected = expected.detach().numpy() if isinstance(expected, tg.Tensor) else expected
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype} vs {expected.dtype}"
    if got.size:
        error = np.abs(got.astype(np.float64) - expected.astype(np.float64)).max()
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                   err_msg=f"{what}: max abs error {error:.3g}")


def grads_of(function, inputs, seed):
    """function(*inputs) and the inputs' gradients of sum(out * seed)."""
    for tensor in inputs:
        tensor.grad = None
    out = function(*inputs)
    (out * seed).sum().backward()
    return out, [tensor.grad for tensor in inputs]


def mlp():
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.GELU(approximate="tanh"), nn.LayerNorm(16),
                         nn.Linear(16, 3))


def test_mlp_with_gelu_tanh_and_layernorm_matches_eager_and_pytorch():
    model = mlp()
    compiled = tg.compile(model)
    x = tg.randn(5, 6)
    seed = tg.randn(5, 3)
    results = []
    for run in (model, compiled, compiled):  # eager; trace (eager run); fused replay
        model.zero_grad()
        out = run(x)
        (out * seed).sum().backward()
        results.append((out, [p.grad.numpy().copy() for p in model.parameters()]))
    for out, grads in results[1:]:
        close(out, results[0][0], "output")
        for k, (got, expected) in enumerate(zip(grads, results[0][1])):
            close(got, expected, f"grad of parameter {k}")
    assert results[2][0].grad_fn.name() == results[0][0].grad_fn.name()  # the last Linear
    torch = pytest.importorskip("torch")
    reference = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.GELU(approximate="tanh"),
                                    torch.nn.LayerNorm(16), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy()))
    out = reference(torch.from_numpy(x.numpy()))
    (out * torch.from_numpy(seed.numpy())).sum().backward()
    close(results[2][0], out.detach().numpy(), "output vs PyTorch", rtol=1e-4, atol=1e-5)
    for k, (got, theirs) in enumerate(zip(results[2][1], reference.parameters())):
        close(got, theirs.grad.numpy(), f"grad {k} vs PyTorch", rtol=1e-4, atol=1e-5)


def test_broadcast_elementwise_chain_fuses_into_one_kernel_with_gradients():
    def f(x, y, z):
        return x * y + z.exp()

    compiled = tg.compile(f)
    x = tg.randn(3, 1, requires_grad=True)
    y = tg.randn(1, 4, requires_grad=True)
    z = tg.randn(4, requires_grad=True)
    seed = tg.randn(3, 4)
    expected, expected_grads = grads_of(f, (x, y, z), seed)
    compiled(x, y, z)
    got, got_grads = grads_of(compiled, (x, y, z), seed)
    close(got, expected, "x * y + z.exp()")
    for name, g, e in zip("xyz", got_grads, expected_grads):
        close(g, e, f"grad of {name}")
    (graph,) = compiled.graphs.values()
    assert graph.program.elementwise_nodes == 3
    assert len(graph.program.steps) == 1 and len(graph.fused_groups) == 1
    assert got.grad_fn.name() == "CompiledFunctionBackward"
    assert "def fused_forward" in compiled.explain()
    assert "exp_back" in compiled.explain()
    torch = pytest.importorskip("torch")
    tx, ty, tz = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (x, y, z))
    (tx * ty + tz.exp()).mul(torch.from_numpy(seed.numpy())).sum().backward()
    for name, g, t in zip("xyz", got_grads, (tx, ty, tz)):
        close(g, t.grad.numpy(), f"grad of {name} vs PyTorch")


def test_fusion_launches_fewer_kernels_than_elementwise_ops():
    compiled = tg.compile(lambda x: ((x * 2 + 1).tanh() * x).sigmoid() - x.square())
    x = tg.randn(64, requires_grad=True)
    compiled(x)
    (graph,) = compiled.graphs.values()
    program = graph.program
    assert program.elementwise_nodes >= 6
    assert len(program.steps) < program.elementwise_nodes, compiled.explain()


def test_transposed_input_and_size_0_and_size_1_dims():
    def f(a, b):
        return (a * b).relu() + a.sin()

    compiled = tg.compile(f)
    cases = [((4, 3), (3, 4), True),  # a transposed: a non-contiguous input with a grad_fn
             ((0, 3), (1, 3), False),  # size 0
             ((1, 1), (5, 1), False),  # size 1, broadcast
             ((), (), False)]  # 0-d
    for a_shape, b_shape, transpose in cases:
        base = tg.randn(*a_shape, requires_grad=True)
        b = tg.randn(*b_shape, requires_grad=True)
        a = base.t() if transpose else base
        loop_shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
        seed = tg.randn(*loop_shape)

        def run(function, a=a, b=b, base=base, seed=seed):
            base.grad = b.grad = None
            out = function(a, b)
            (out * seed).sum().backward(retain_graph=True)
            return out, base.grad, b.grad

        expected = run(f)
        compiled(a, b)
        got = run(compiled)
        for name, g, e in zip(("output", "grad of a", "grad of b"), got, expected):
            close(g, e, f"{name}, shapes {list(a.shape)} and {list(b.shape)}")
    assert len(compiled.graphs) == len(cases)


def test_integer_and_float_promotion():
    def f(i, x):
        return (i * 3 + x) / i + (i > 1).float() * x.exp()

    compiled = tg.compile(f)
    i = tg.tensor([1, 2, 3, 4])
    x = tg.randn(4, dtype=tg.float64, requires_grad=True)
    seed = tg.ones(4, dtype=tg.float64)
    expected, (_, expected_grad) = grads_of(f, (i, x), seed)
    compiled(i, x)
    got, (_, got_grad) = grads_of(compiled, (i, x), seed)
    assert got.dtype == tg.float64
    close(got, expected, "int/float mix", rtol=1e-12, atol=1e-12)
    close(got_grad, expected_grad, "grad of x", rtol=1e-12, atol=1e-12)
    ints = tg.compile(lambda a: a * 2 - 7)(tg.tensor([1, 2, 3]))
    assert ints.dtype == tg.int64


def test_training_loop_gives_the_same_losses_as_eager():
    x, target = tg.randn(16, 6), tg.randn(16, 3)

    def train(compiled: bool) -> list:
        model = mlp()
        step = tg.compile(model) if compiled else model
        optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            loss = ((step(x) - target) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    np.testing.assert_allclose(train(True), train(False), rtol=1e-5)


def test_a_new_shape_retraces_and_the_old_key_still_replays():
    calls = []

    def f(x):
        calls.append(tuple(x.shape))  # Python runs only while tracing
        return x.exp() * 2

    compiled = tg.compile(f)
    a, b = tg.randn(3), tg.randn(2, 5)
    for x in (a, a, b, a, b):
        close(compiled(x), f(x), f"shape {list(x.shape)}")
    assert calls.count((3,)) == 3 + 1 and calls.count((2, 5)) == 2 + 1  # eager runs + 1 trace
    assert len(compiled.graphs) == 2
    with tg.no_grad():
        compiled(a)
    assert len(compiled.graphs) == 3  # grad mode is part of the key


def test_dropout_in_training_warns_once_and_runs_eagerly_but_not_in_eval():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    compiled = tg.compile(model)
    x = tg.randn(3, 4)
    with pytest.warns(UserWarning, match="random number"):
        compiled(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [compiled(x).detach().numpy() for _ in range(3)]  # eager: fresh masks
        assert not all(np.array_equal(outs[0], out) for out in outs[1:])
        model.eval()
        close(compiled(x), model(x), "eval mode")
        close(compiled(x), model(x), "eval mode, replayed")


def test_data_dependent_branch_breaks_the_graph_and_fullgraph_raises():
    def f(x):
        return x * 2 if x.sum() > 0 else -x

    with pytest.warns(UserWarning, match="read a traced value"):
        out = tg.compile(f)(tg.ones(3))
    close(out, tg.ones(3) * 2, "eager fallback")
    with pytest.raises(CompileError, match="fullgraph"):
        tg.compile(f, fullgraph=True)(tg.ones(3))


def test_call_forms_and_keywords():
    @tg.compile
    def bare(x):
        return x.tanh() + 1

    @tg.compile(fullgraph=True, dynamic=False, mode="reduce-overhead")
    def keyed(x):
        return x.tanh() + 1

    x = tg.randn(4)
    for _ in range(2):
        close(bare(x), x.tanh() + 1, "bare decorator")
        close(keyed(x), x.tanh() + 1, "decorator with keywords")
    assert bare.__name__ == "bare"
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        tg.compile(bare, mode="fastest")
    model = mlp()
    compiled = tg.compile(model)
    assert list(compiled.parameters())[0] is list(model.parameters())[0]
    assert compiled.state_dict().keys() == {"_orig_mod." + k for k in model.state_dict()}
    assert tg.compile(model, disable=True) is model
    unfused = tg.compile(lambda a: a.exp() * 2, backend="eager")
    unfused(x)
    close(unfused(x), x.exp() * 2, "backend='eager'")
    assert not next(iter(unfused.graphs.values())).fused_groups


def test_identical_groups_share_one_generated_kernel():
    def f(x, y):
        return (x * 0.5).tanh() * x + ((y * 0.5).tanh() * y)

    compiled = tg.compile(f)
    x, y = tg.randn(8), tg.randn(8)
    compiled(x, y)
    compiled(x, y)
    groups = next(iter(compiled.graphs.values())).fused_groups
    assert len(groups) == 1  # the whole expression: both halves and the add
    sizes, arrays, levels = layout((2, 3), [tg.randn(3), tg.randn(2, 3), tg.randn(3, 2).t()])
    assert sizes == (2, 3) and arrays[0].strides[0] == 0  # the bias row: stride 0 on rows
    assert levels == (2, 2, 2)
    sizes, arrays, levels = layout((4, 5), [tg.randn(4, 1), tg.randn(4, 5), tg.randn(())])
    assert sizes == (4, 5) and levels == (1, 2, 0)  # a per-row value; a scalar


def test_generated_kernels_hoist_row_values_and_save_tanh_for_backward():
    model = mlp()
    compiled = tg.compile(model)
    x = tg.randn(4, 6)
    for _ in range(2):
        compiled(x).sum().backward()
    groups = next(iter(compiled.graphs.values())).fused_groups
    gelu, _, norm = groups
    backward = gelu.sources["backward"]
    assert "saved0[i0]" in backward and "tanh(" not in backward.replace("tanh_back(", "")
    forward = norm.sources["forward"].splitlines()
    rsqrt = next(n for n, line in enumerate(forward) if "rsqrt(" in line)
    inner = next(n for n, line in enumerate(forward) if "for i1 in" in line)
    assert rsqrt < inner, "rsqrt(var + eps) should run once per row, outside the inner loop"


def test_the_same_tensor_twice_is_guarded_apart_from_two_tensors():
    compiled = tg.compile(lambda a, b: a * 2 + b)
    x, y = tg.randn(3), tg.randn(3)
    compiled(x, x)
    close(compiled(x, y), x * 2 + y, "f(x, y) after tracing f(x, x)")
    assert len(compiled.graphs) == 2


def test_every_fusible_op_has_the_eager_gradient_in_float64():
    def f(a, b):
        pos = a.abs() + 0.5  # > 0, for log, sqrt, pow
        y = (pos.log() + pos.sqrt() + pos.rsqrt() + pos.log1p() + pos.reciprocal()) * b
        y = y + a.sin() * a.cos() + a.tanh() + a.sigmoid() + a.erf() + a.expm1() + a.exp()
        y = y + (a * 0.5).asin() + (a * 0.5).acos() + a.atan() + tg.atan2(a, b)
        y = y + tg.maximum(a, b) - tg.minimum(a, b * 2) + pos ** b + (-a).relu() / pos
        return tg.where(a > b, y, -y) + a.sign() * b

    compiled = tg.compile(f)
    tg.manual_seed(1)
    a = (tg.rand(5, 3, dtype=tg.float64) - 0.5).requires_grad_()
    b = (tg.rand(3, dtype=tg.float64) + 0.25).requires_grad_()
    seed = tg.randn(5, 3, dtype=tg.float64)
    expected, expected_grads = grads_of(f, (a, b), seed)
    compiled(a, b)
    got, got_grads = grads_of(compiled, (a, b), seed)
    close(got, expected, "output", rtol=1e-12, atol=1e-12)
    for name, g, e in zip("ab", got_grads, expected_grads):
        close(g, e, f"grad of {name}", rtol=1e-10, atol=1e-12)
    (graph,) = compiled.graphs.values()
    assert len(graph.fused_groups) == 1 and len(graph.program.steps) == 1, compiled.explain()


def test_compile_module_in_place_keeps_state_dict_keys():
    from tinygrad_edu.compiler import compile_module
    model = mlp()
    keys = set(model.state_dict())
    x = tg.randn(2, 6)
    expected = model(x).detach().numpy()
    assert compile_module(model) is model
    for _ in range(2):
        close(model(x), expected, "module compiled in place")
    assert set(model.state_dict()) == keys
    assert len(model.forward.graphs) == 1


def test_a_parameter_read_directly_and_through_a_view_compiles_and_sees_updates():
    w = nn.Parameter(tg.randn(3, 3))

    def f(x):  # the View shares w's memory; w.sum() then reads w itself, a constant
        return (x * w.view(1, 9)).tanh() * w.sum() + (x @ w.view(9, 1))

    compiled = tg.compile(f)
    x = tg.randn(2, 9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no graph break
        compiled(x)
        with tg.no_grad():
            w.mul_(0.5)  # an optimizer-like update between calls
        close(compiled(x), f(x), "after an in-place update of the parameter")
    assert next(iter(compiled.graphs.values())).program is not None


def test_recompile_limit_and_unguardable_arguments_fall_back_to_eager():
    from tinygrad_edu.compiler.api import RECOMPILE_LIMIT

    compiled = tg.compile(lambda x, scale=1.0: (x * scale).exp() + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for n in range(1, RECOMPILE_LIMIT + 1):
            compiled(tg.randn(n))
    with pytest.warns(UserWarning, match="recompile limit"):
        out = compiled(tg.randn(RECOMPILE_LIMIT + 1))
    assert out.shape == (RECOMPILE_LIMIT + 1,) and len(compiled.graphs) == RECOMPILE_LIMIT
    compiled.reset()
    x = tg.randn(3)
    with pytest.warns(UserWarning, match="cannot be guarded"):
        close(compiled(x, scale=np.ones(3)), (x * np.ones(3)).exp() + 1, "eager fallback")
    compiled(x, scale=2.0)
    compiled(x, scale=3.0)  # a Python number is part of the key: a new trace
    assert len(compiled.graphs) == 2
    close(compiled(x, scale=2.0), (x * 2.0).exp() + 1, "replay of scale=2.0")


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_broadcast_shapes_and_layouts_match_eager(data):
    """Any two broadcastable shapes, each contiguous, transposed, strided, offset or expanded:
    the fused kernel's indexing (merged dims, levels, stride 0) against the eager kernels."""
    shape_a, shape_b = data.draw(S.broadcast_pairs())
    leaves, views = [], []
    for shape in (shape_a, shape_b):
        array = data.draw(S.values(shape, -1.0, 1.0))
        leaf, view = S.build(tg, array, data.draw(S.layouts()), requires_grad=True)
        leaves.append(leaf)
        views.append(view)
    seed = tg.randn(*np.broadcast_shapes(shape_a, shape_b), dtype=tg.float64)

    def f(a, b):
        return ((a * b).tanh() + a) * b - (a - b).exp() * 0.5

    def run(function):
        for leaf in leaves:
            leaf.grad = None
        out = function(*views)
        (out * seed).sum().backward(retain_graph=True)
        return [out] + [leaf.grad for leaf in leaves]

    expected = run(f)
    compiled = tg.compile(f)
    compiled(*views)
    got = run(compiled)
    for name, g, e in zip(("output", "grad of a", "grad of b"), got, expected):
        close(g, e, f"{name}, shapes {shape_a} and {shape_b}", rtol=1e-12, atol=1e-12)


def test_module_compile_in_place_keeps_state_dict_and_numbers():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.GELU("tanh"), tg.nn.Linear(8, 2))
    x = tg.randn(3, 4)
    expected = model(x).detach().numpy()
    keys = list(model.state_dict())
    assert model.compile() is None
    for _ in range(2):  # trace, then replay
        np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-6)
    assert list(model.state_dict()) == keys
