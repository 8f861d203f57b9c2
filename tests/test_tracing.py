"""tinygrad_edu.tracing: the recorded ops of a run, where their arguments come from, and the
runs a trace cannot hold (which it must say, not hide)."""

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import autograd, dispatch, nn, tracing


def replay(trace, *inputs):
    """Run the trace again on new inputs (the simplest consumer of a trace)."""
    values = []
    for node in trace.nodes:
        def resolve(arg):
            if not isinstance(arg, tg.Tensor):
                return arg
            where = trace.source(arg)
            if where[0] == "input":
                return inputs[where[1]]
            if where[0] == "node":
                produced = values[where[1]]
                return produced[where[2]] if isinstance(produced, tuple) else produced
            return where[1]
        args = tuple(resolve(a) for a in node.args)
        if node.kind == "function":
            values.append(node.target.apply(*args, **node.options))
        else:
            values.append(getattr(dispatch, node.target)(*args, **node.options))
    return [resolve_output(trace, values, inputs, out) for out in trace.outputs]


def resolve_output(trace, values, inputs, out):
    where = trace.source(out)
    if where[0] == "node":
        produced = values[where[1]]
        return produced[where[2]] if isinstance(produced, tuple) else produced
    return inputs[where[1]] if where[0] == "input" else where[1]


def test_records_primitives_in_order_with_sources():
    tg.manual_seed(0)
    layer = nn.Linear(4, 3)
    x = tg.randn(2, 4)
    with tracing.record(x) as trace:
        y = layer(x).relu() * 2
        trace.set_outputs(y)
    names = [node.name() for node in trace.nodes]
    assert names[0] == "Linear" and "Mul" in names
    first = trace.nodes[0]
    assert trace.source(first.args[0]) == ("input", 0)
    assert trace.source(first.args[1]) == ("constant", layer.weight)
    assert trace.source(y)[0] == "node"
    assert trace.problems == []


def test_replay_gives_the_same_numbers_on_new_inputs_and_sees_parameter_updates():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.LayerNorm(8), nn.Linear(8, 2))
    x = tg.randn(3, 5)
    with tracing.record(x) as trace:
        out = model(x)
        trace.set_outputs((out > 0).float() * out)  # a comparison: a dispatch node
    assert any(node.kind == "dispatch" for node in trace.nodes)
    trace.check()
    fresh = tg.randn(3, 5)
    with tg.no_grad():
        model[0].weight.mul_(0.5)  # an optimizer-like update between trace and replay
    expected = model(fresh)
    expected = (expected > 0).float() * expected
    (got,) = replay(trace, fresh)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-6)


def test_nested_primitives_are_recorded_once():
    x = tg.randn(4, 3)
    with tracing.record(x) as trace:
        F.cross_entropy(x, tg.tensor([0, 1, 2, 0]))
    assert [node.name() for node in trace.nodes].count("CrossEntropy") == 1


@pytest.mark.parametrize("run, words", [
    (lambda x: F.dropout(x, 0.5, training=True), "random number"),
    (lambda x: x * 2 if (x.sum() > 0) else x, "read a traced value"),
    (lambda x: x[x > 0], "outside a recorded op"),
    (lambda x: x.float().sum().item(), "read a traced value"),
])
def test_runs_a_trace_cannot_hold_are_named(run, words):
    x = tg.randn(3, 4)
    with tracing.record(x) as trace:
        run(x)
    assert any(words in problem for problem in trace.problems), trace.problems
    with pytest.raises(tracing.TraceError, match=words):
        trace.check()


def test_untraced_alias_of_a_traced_tensor_is_refused():
    x = tg.randn(3, requires_grad=True)
    with tracing.record(x) as trace:
        y = (x * 2).detach() + 1
    with pytest.raises(tracing.TraceError, match="shares memory"):
        trace.source(trace.nodes[-1].args[0])
    assert y.shape == (3,)


def test_hooks_are_removed_after_the_block():
    before = (autograd._recorder, dispatch.binary, tg.Tensor.item)
    x = tg.randn(2)
    with pytest.raises(ValueError):
        with tracing.record(x):
            raise ValueError("inside")
    assert (autograd._recorder, dispatch.binary, tg.Tensor.item) == before
    from tinygrad_edu.device import loaded_backends
    assert all("to_numpy" not in vars(backend) for backend in loaded_backends())
    assert float((x * 0).sum()) == 0.0


def test_views_of_constants_stay_constants_and_no_grad_slices_are_recorded():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6)).eval()
    with tg.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
    x = tg.randn(5, 4)
    with tg.no_grad(), tracing.record(x) as trace:
        out = model(x)[1:4]  # a slice of rows under no_grad: still a Slice node
        trace.set_outputs(out)
    trace.check()
    assert trace.source(model[1].running_mean)[0] == "constant"
    assert "Slice" in [node.name() for node in trace.nodes]
    fresh = tg.randn(5, 4)
    with tg.no_grad():
        (got,) = replay(trace, fresh)
        np.testing.assert_allclose(got.numpy(), model(fresh)[1:4].numpy(), rtol=1e-6)


def test_argument_checks_are_neither_problems_nor_nodes():
    x = tg.randn(3, 4)
    index = tg.tensor([[0, 2], [1, 1], [3, 0]])
    with tracing.record(x) as trace:
        trace.set_outputs(x.gather(1, index) * 2)
    trace.check()
    assert [node.name() for node in trace.nodes] == ["Gather", "Mul"] or \
        "Amin" not in [node.name() for node in trace.nodes]
    with tracing.record(x) as trace, pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, tg.tensor([[5]]))
