"""nn.Module and containers: registration, state_dict, load_state_dict errors, the printed
tree, hooks, train/eval, dtype/device moves, apply, zero_grad; nn.Parameter; nn.utils."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 1, bias=False)
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("steps", tg.zeros(1))
        self.register_buffer("cache", tg.zeros(2), persistent=False)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ---------------------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_sharing_memory():
    data = tg.zeros(2, 3)
    parameter = nn.Parameter(data)
    assert isinstance(parameter, tg.Tensor) and isinstance(parameter, nn.Parameter)
    assert parameter.requires_grad and parameter.is_leaf and parameter.grad_fn is None
    data[0, 0] = 5.0
    assert parameter[0, 0].item() == 5.0  # same storage
    assert not nn.Parameter(tg.zeros(1), requires_grad=False).requires_grad
    assert repr(nn.Parameter(tg.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert type(parameter * 2) is tg.Tensor and type(parameter.detach()) is tg.Tensor
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(tg.tensor([1, 2]))
    assert nn.Parameter().shape == (0,)


def test_parameter_deepcopy():
    parameter = nn.Parameter(tg.ones(2))
    parameter.grad = tg.ones(2)
    clone = copy.deepcopy(parameter)
    assert isinstance(clone, nn.Parameter) and clone.requires_grad
    clone.data.fill_(3.0)
    assert parameter.tolist() == [1.0, 1.0] and clone.grad.tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------- registration


def test_registration_and_iteration():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert len(list(net.parameters())) == 4
    assert len(list(net.parameters(recurse=False))) == 1
    assert [name for name, _ in net.named_buffers()] == ["steps", "cache"]
    assert [name for name, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [name for name, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(net.children())[0] is net.fc1
    assert net.get_submodule("fc1") is net.fc1 and net.get_parameter("fc1.bias") is net.fc1.bias
    # shared parameters and modules are listed once
    net.fc3 = net.fc1
    assert len(list(net.parameters())) == 4
    assert [name for name, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]


def test_attribute_rules():
    net = Net()
    net.extra = nn.Parameter(tg.zeros(1))
    assert "extra" in dict(net.named_parameters())
    net.extra = None
    assert net.extra is None and "extra" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter "
                                        "'scale'"):
        net.scale = tg.ones(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'fc1'"):
        net.fc1 = 3
    with pytest.raises(TypeError, match="cannot assign 'str' as buffer 'steps'"):
        net.steps = "x"
    net.steps = tg.ones(1)
    assert net.state_dict()["steps"].tolist() == [1.0]
    with pytest.raises(KeyError, match="attribute 'fc1' already exists"):
        net.register_buffer("fc1", tg.zeros(1))
    with pytest.raises(KeyError, match="parameter name can.+t contain"):
        net.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="module name can.+t contain"):
        net.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' object to parameter"):
        net.register_parameter("w", tg.zeros(1))
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'missing'"):
        _ = net.missing
    del net.fc2
    assert "fc2" not in dict(net.named_children())
    with pytest.raises(AttributeError, match="cannot assign parameters before"):
        Uninitialised()


class Uninitialised(nn.Module):
    def __init__(self) -> None:
        self.weight = nn.Parameter(tg.zeros(1))  # forgot super().__init__()


def test_forward_is_required():
    with pytest.raises(TypeError, match='missing the required "forward" function'):
        nn.Module()(tg.zeros(1))


# ---------------------------------------------------------------------------- state dict


def test_state_dict_round_trip():
    net = Net()
    state = net.state_dict()
    assert list(state) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight"]
    assert isinstance(state, OrderedDict) and not state["fc1.weight"].requires_grad
    assert state["fc1.weight"]._storage is net.fc1.weight._storage  # detached, shared
    assert net.state_dict(keep_vars=True)["scale"] is net.scale
    other = Net()
    result = other.load_state_dict({k: v.clone() for k, v in state.items()})
    assert repr(result) == "<All keys matched successfully>"
    x = tg.randn(4, 2)
    assert np.allclose(other(x).detach().numpy(), net(x).detach().numpy())
    # copying keeps the parameter objects; assign=True replaces them
    weight = other.fc1.weight
    other.load_state_dict(net.state_dict())
    assert other.fc1.weight is weight
    other.load_state_dict({k: v.clone() for k, v in net.state_dict().items()}, assign=True)
    assert other.fc1.weight is not weight and isinstance(other.fc1.weight, nn.Parameter)
    assert other.fc1.weight.requires_grad


def test_load_state_dict_errors():
    net = Net()
    state = net.state_dict()
    missing = {k: v for k, v in state.items() if k != "fc1.bias"}
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(missing)
    assert str(error.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                                'state_dict: "fc1.bias". ')
    unexpected = dict(state, **{"fc1.other": tg.zeros(1), "head.weight": tg.zeros(1)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "head.weight", '
                                           '"fc1.other". '):
        net.load_state_dict(unexpected)
    wrong = dict(state, **{"fc1.weight": tg.zeros(4, 2)})
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(wrong)
    assert ("size mismatch for fc1.weight: copying a param with shape "
            f"{tg.zeros(4, 2).shape} from checkpoint, the shape in current model is "
            f"{tg.zeros(3, 2).shape}.") in str(error.value)
    both = dict(missing, extra=tg.zeros(1))
    with pytest.raises(RuntimeError, match="(?s)Missing key.*\n\tUnexpected key"):
        net.load_state_dict(both)
    with pytest.raises(RuntimeError, match='expected torch.Tensor or Tensor-like object from '
                                           'checkpoint but received'):
        net.load_state_dict(dict(state, scale=[1.0]))
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        net.load_state_dict([1, 2])
    result = net.load_state_dict(both, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    # a shape mismatch raises even when strict=False (as in PyTorch)
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(wrong, strict=False)


def test_load_state_dict_matches_pytorch_messages(torch):
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    bad_ours = {"weight": tg.zeros(3, 3), "foo": tg.zeros(1)}
    bad_theirs = {"weight": torch.zeros(3, 3), "foo": torch.zeros(1)}
    with pytest.raises(RuntimeError) as ours_error:
        ours.load_state_dict(bad_ours)
    with pytest.raises(RuntimeError) as theirs_error:
        theirs.load_state_dict(bad_theirs)
    assert str(ours_error.value).replace("tinygrad_edu.", "torch.") == str(theirs_error.value)


def test_batchnorm_state_and_old_checkpoints():
    bn = nn.BatchNorm1d(3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert repr(nn.BatchNorm1d(3).load_state_dict(old)) == "<All keys matched successfully>"


def test_extra_state():
    class WithExtra(nn.Linear):
        def get_extra_state(self) -> dict:
            return {"note": "hi"}

        def set_extra_state(self, state: dict) -> None:
            self.note = state["note"]

    layer = WithExtra(1, 1)
    state = layer.state_dict()
    assert state["_extra_state"] == {"note": "hi"}
    layer.load_state_dict(state)
    assert layer.note == "hi"


# ---------------------------------------------------------------------------- printing


def test_repr_tree_matches_pytorch(torch):
    ours = nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2))),
        ("flatten", nn.Flatten()),
        ("heads", nn.ModuleList([nn.Linear(4, 2) for _ in range(3)] + [nn.Dropout(0.1)])),
        ("named", nn.ModuleDict({"out": nn.Linear(2, 1, bias=False), "act": nn.Sigmoid()})),
    ]))
    theirs = torch.nn.Sequential(OrderedDict([
        ("features", torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(),
                                         torch.nn.MaxPool2d(2))),
        ("flatten", torch.nn.Flatten()),
        ("heads", torch.nn.ModuleList([torch.nn.Linear(4, 2) for _ in range(3)]
                                      + [torch.nn.Dropout(0.1)])),
        ("named", torch.nn.ModuleDict({"out": torch.nn.Linear(2, 1, bias=False),
                                       "act": torch.nn.Sigmoid()})),
    ]))
    assert repr(ours) == repr(theirs)
    assert repr(nn.Linear(2, 3)) == "Linear(in_features=2, out_features=3, bias=True)"
    assert repr(nn.ModuleList()) == "ModuleList()" and repr(nn.Sequential()) == "Sequential()"


# ---------------------------------------------------------------------------- containers


def test_sequential():
    first, second, third = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    model = nn.Sequential(first, second, third)
    assert len(model) == 3 and model[0] is first and model[-1] is third
    assert isinstance(model[1:], nn.Sequential) and list(model[1:]) == [second, third]
    assert model(tg.zeros(4, 2)).shape == (4, 1)
    model.append(nn.Sigmoid())
    assert len(model) == 4 and isinstance(model[3], nn.Sigmoid)
    del model[1]
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    model[0] = nn.Linear(2, 3)
    assert model[0] is not first
    model.insert(1, nn.Tanh())
    assert isinstance(model[1], nn.Tanh)
    assert isinstance(model.pop(1), nn.Tanh) and len(model) == 3
    named = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh())]))
    assert named.a is named[0] and [n for n, _ in named.named_children()] == ["a", "b"]
    assert len(named + nn.Sequential(nn.ReLU())) == 3
    with pytest.raises(IndexError, match="index 5 is out of range"):
        model[5]


def _unfused(model: nn.Sequential, x: tg.Tensor) -> tg.Tensor:
    """model's modules called one by one (no fusion: each module runs on its own)."""
    for module in model:
        x = module(x)
    return x


def test_sequential_fuses_linear_relu_with_the_same_numbers():
    """A Linear then a ReLU runs as one node (ReluBackward0, straight to the Linear's
    inputs); outputs and every gradient equal the modules run one by one, bit for bit."""
    tg.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 4), nn.ReLU(inplace=True),
                          nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2))
    x = tg.randn(6, 5, requires_grad=True)
    results = []
    for run in (model, lambda x: _unfused(model, x)):
        model.zero_grad()
        x.grad = None
        out = run(x)
        (out * tg.arange(12.0).reshape(6, 2)).sum().backward()
        results.append([out.detach().numpy().copy(), x.grad.numpy().copy()]
                       + [p.grad.numpy().copy() for p in model.parameters()])
        names = []
        node = out.grad_fn
        while node is not None and type(node).__name__ != "AccumulateGrad":
            names.append(node.name())
            node = node.next_functions[0][0]
        results[-1].append(names)
    fused, unfused = results
    for got, want in zip(fused[:-1], unfused[:-1]):
        assert np.array_equal(got, want)
    assert (model[0](x).detach().numpy() < 0).any()  # the first relu has work to do
    assert fused[-1] == ["AddmmBackward0", "ReluBackward0", "ReluBackward0", "ReluBackward0"]
    # (an in-place relu_ records a CloneBackward0 before it here, which PyTorch does not)
    # on more than two dims the pair is not fused: the ReLU follows the Linear's reshape
    pair = nn.Sequential(nn.Linear(5, 3), nn.ReLU())
    assert pair(tg.randn(2, 6, 5)).grad_fn.next_functions[0][0].name() == "ViewBackward0"
    assert [name for name in unfused[-1] if name != "CloneBackward0"] == [
        "AddmmBackward0", "ReluBackward0", "MmBackward0", "ReluBackward0", "AddmmBackward0",
        "ReluBackward0", "AddmmBackward0"]


def test_sequential_does_not_fuse_past_hooks_or_subclasses():
    """Hooks on the Linear or the ReLU, or a Linear subclass, keep the pair unfused: the
    hooks run and see the Linear's own output, the subclass's forward is called."""
    seen = []
    linear, relu = nn.Linear(3, 2), nn.ReLU()
    handle = linear.register_forward_hook(lambda module, args, out: seen.append(out) or out * 2)
    x = tg.randn(4, 3)
    out = nn.Sequential(linear, relu)(x)
    assert len(seen) == 1
    assert np.array_equal(out.detach().numpy(), np.maximum(seen[0].detach().numpy() * 2, 0))
    handle.remove()
    relu.register_forward_pre_hook(lambda module, args: seen.append("pre"))
    nn.Sequential(linear, relu)(x)
    assert seen[-1] == "pre"

    class Shifted(nn.Linear):
        def forward(self, input):
            return super().forward(input) + 100.0

    out = nn.Sequential(Shifted(3, 2), nn.ReLU())(x)
    assert (out.detach().numpy() > 50).all()


def test_fused_linear_relu_catches_an_in_place_change_of_its_output():
    """The fused node saves its output (as ReLU does): changing it in place, then calling
    backward, raises PyTorch's error."""
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    out = model(tg.randn(4, 3))
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers += [nn.Sigmoid()]
    assert len(layers) == 5 and isinstance(layers[-1], nn.Sigmoid)
    assert len(list(layers.parameters())) == 4
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and len(layers) == 6
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and isinstance(layers[1:], nn.ModuleList)
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        layers.extend(nn.ReLU())
    table = nn.ModuleDict({"a": nn.Linear(1, 1)})
    table["b"] = nn.ReLU()
    table.update([("c", nn.Tanh())])
    assert list(table) == ["a", "b", "c"] and "b" in table and len(table) == 3
    assert list(table.keys()) == ["a", "b", "c"] and table.pop("b") is not None
    assert [name for name, _ in table.named_parameters()] == ["a.weight", "a.bias"]


# ---------------------------------------------------------------------------- hooks


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda module, args, output: seen.append(output) or
                                       output + 1)
    out = layer(tg.ones(1, 2))
    assert np.allclose(out.detach().numpy(), layer.bias.detach().numpy() + 1)
    assert len(seen) == 1
    pre.remove()
    post.remove()
    out = layer(tg.ones(1, 2))
    assert len(seen) == 1
    with layer.register_forward_hook(lambda m, args, kwargs, output: output * 0,
                                     with_kwargs=True):
        assert not layer(tg.ones(1, 2)).detach().numpy().any()
    assert layer(tg.ones(1, 2)).detach().numpy().any()
    order = []
    layer.register_forward_hook(lambda *a: order.append("first"))
    layer.register_forward_hook(lambda *a: order.append("prepended"), prepend=True)
    layer(tg.ones(1, 2))
    assert order == ["prepended", "first"]


def test_forward_pre_hook_with_kwargs_and_always_call():
    class Scale(nn.Module):
        def forward(self, x: tg.Tensor, factor: float = 1.0) -> tg.Tensor:
            if factor < 0:
                raise ValueError("negative")
            return x * factor

    module = Scale()
    module.register_forward_pre_hook(lambda m, args, kwargs: (args, {"factor": 3.0}),
                                     with_kwargs=True)
    assert module(tg.ones(1)).item() == 3.0
    calls = []
    failing = Scale()
    failing.register_forward_hook(lambda *a: calls.append(1), always_call=True)
    with pytest.raises(ValueError, match="negative"):
        failing(tg.ones(1), factor=-1.0)
    assert calls == [1]


# ---------------------------------------------------------------------------- modes, grads


def test_train_eval_requires_grad_zero_grad_apply():
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(), nn.Sequential(nn.BatchNorm1d(2)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(tg.randn(4, 2)).sum().backward()
    grad = net[0].weight.grad
    assert grad is not None
    net.zero_grad(set_to_none=False)
    assert net[0].weight.grad is grad and not grad.numpy().any()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    assert visited == ["Linear", "Dropout", "BatchNorm1d", "Sequential", "Sequential"]

    def init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 0.5)

    net.apply(init_weights)
    assert np.all(net[0].weight.detach().numpy() == 0.5)


def test_to_double_float_keeps_parameter_identity():
    net = Net()
    weight = net.fc1.weight
    net(tg.randn(3, 2)).sum().backward()
    assert net.double() is net
    assert net.fc1.weight is weight and weight.dtype is tg.float64
    assert isinstance(weight, nn.Parameter) and weight.requires_grad and weight.is_leaf
    assert weight.grad.dtype is tg.float64 and net.steps.dtype is tg.float64
    assert net(tg.randn(3, 2).double()).dtype is tg.float64
    net.float()
    assert weight.dtype is tg.float32 and net.steps.dtype is tg.float32
    net.to(tg.float64)
    assert weight.dtype is tg.float64
    net.to("cpu", dtype=tg.float32)
    assert weight.dtype is tg.float32 and weight.device == tg.device("cpu")
    assert net.cpu() is net
    bn = nn.BatchNorm1d(2).double()
    assert bn.num_batches_tracked.dtype is tg.int64  # integer buffers keep their dtype
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(tg.int64)


def test_deepcopy_module():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    net(tg.randn(4, 2)).sum().backward()
    clone = copy.deepcopy(net)
    clone[0].weight.data.fill_(0.0)
    assert net[0].weight.detach().numpy().any()
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.grad is not None


# ---------------------------------------------------------------------------- nn.utils


def test_clip_grad_norm_and_value(torch):
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
    ours = [nn.Parameter(tg.zeros(*g.shape)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(*g.shape)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = tg.tensor(g, dtype=tg.float32)
        q.grad = torch.tensor(g, dtype=torch.float32)
    total = nn.utils.clip_grad_norm_(ours, max_norm=6.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm=6.5)
    assert abs(total.item() - expected.item()) < 1e-5 and abs(total.item() - 13.0) < 1e-5
    for p, q in zip(ours, theirs):
        assert np.allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6)
    inf_total = nn.utils.clip_grad_norm_(ours, 1.0, norm_type="inf")
    assert abs(inf_total.item() - 6.0) < 1e-4
    nn.utils.clip_grad_value_(ours, 0.5)
    assert max(np.abs(p.grad.numpy()).max() for p in ours) <= 0.5
    ours[0].grad = tg.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


def test_parameters_to_vector_and_back():
    net = nn.Linear(3, 2)
    vector = nn.utils.parameters_to_vector(net.parameters())
    assert vector.shape == (8,)
    nn.utils.vector_to_parameters(tg.arange(8.0), net.parameters())
    assert net.weight.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert net.bias.tolist() == [6.0, 7.0] and isinstance(net.bias, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters([1.0], net.parameters())


@pytest.mark.gpu
def test_module_to_cuda_trains_like_cpu():
    """Module.to('cuda') moves parameters (same objects) and buffers; forward, a loss and
    backward on the device agree with the CPU (on the CUDA simulator without a GPU)."""
    import tinygrad_edu.nn.functional as F
    tg.manual_seed(0)
    def make() -> nn.Module:
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))

    model, copy_on_cpu = make(), make()
    copy_on_cpu.load_state_dict(model.state_dict())
    weight = model[0].weight
    assert model.to("cuda") is model and model[0].weight is weight
    assert weight.device == tg.device("cuda", 0) and model[1].running_mean.is_cuda
    x, y = tg.randn(5, 3), tg.tensor([0, 1, 1, 0, 1])
    loss = F.cross_entropy(model(x.cuda()), y.cuda())
    loss.backward()
    expected = F.cross_entropy(copy_on_cpu(x), y)
    expected.backward()
    assert abs(loss.item() - expected.item()) < 1e-5
    assert np.allclose(weight.grad.cpu().numpy(), copy_on_cpu[0].weight.grad.numpy(), atol=1e-5)
    assert model.cpu()[0].weight.device == tg.device("cpu") and weight.grad.device == \
        tg.device("cpu")


def test_modules_and_named_modules_take_remove_duplicate(torch):
    """modules(remove_duplicate) and named_modules(memo, prefix, remove_duplicate), as
    PyTorch: a module registered twice is listed once unless remove_duplicate=False."""
    def build(lib):
        model = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.ReLU())
        model.add_module("again", model[0])
        return model

    ours, theirs = build(tg), build(torch)
    for remove_duplicate in (True, False):
        got = [type(m).__name__ for m in ours.modules(remove_duplicate=remove_duplicate)]
        expected = [type(m).__name__ for m in theirs.modules(remove_duplicate=remove_duplicate)]
        assert got == expected, f"modules({remove_duplicate}): {got} vs torch {expected}"
        got = [name for name, _ in ours.named_modules(None, "net", remove_duplicate)]
        expected = [name for name, _ in theirs.named_modules(None, "net", remove_duplicate)]
        assert got == expected, f"named_modules({remove_duplicate}): {got} vs torch {expected}"
    assert [name for name, _ in ours.named_modules(memo={ours[1]})] == ["", "0"]


def test_recurrent_reprs_match_pytorch(torch):
    cases = [("RNN", (2, 3), {"nonlinearity": "relu"}), ("RNN", (2, 3), {}),
             ("RNN", (2, 3), {"num_layers": 2, "bias": False, "batch_first": True,
                              "dropout": 0.5, "bidirectional": True}),
             ("LSTM", (2, 3), {"proj_size": 2}), ("GRU", (2, 3), {"num_layers": 2}),
             ("RNNCell", (2, 3), {"nonlinearity": "relu"}), ("LSTMCell", (2, 3), {"bias": False})]
    for name, args, options in cases:
        ours = repr(getattr(nn, name)(*args, **options))
        expected = repr(getattr(torch.nn, name)(*args, **options))
        assert ours == expected, f"{name}{args} {options}: {ours} vs torch {expected}"
