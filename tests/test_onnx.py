"""tinygrad_edu.onnx.export: the file is valid ONNX (onnx's own checker, with full shape
inference) and onnxruntime computes from it what tinygrad_edu computes; the protobuf encoder
against onnx's parser; the runs export must refuse."""

import io
import math

import numpy as np
import pytest
from helpers import DEVICES

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.onnx import ExportError, UnsupportedOperatorError, protobuf

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def exported(model, args, **options):
    """The ONNX bytes of model(args), checked by onnx's checker (full_check)."""
    buffer = io.BytesIO()
    tg.onnx.export(model, args, buffer, **options)
    data = buffer.getvalue()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    return data


def run(data, *inputs):
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    return session.run(None, feeds)


def assert_same(data, model, *inputs):
    """onnxruntime's outputs equal the model's (rtol 1e-5, atol 1e-5 for float32)."""
    got = run(data, *inputs)
    with tg.no_grad():
        want = model(*inputs)
    want = list(want) if isinstance(want, (tuple, list)) else [want]
    assert len(got) == len(want)
    for number, (g, w) in enumerate(zip(got, want)):
        w = w.numpy()
        assert g.shape == w.shape, f"output {number}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"output {number}: dtype {g.dtype} != {w.dtype}"
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5,
                                   err_msg=f"output {number} differs")


def op_types(data):
    return [node.op_type for node in onnx.load_from_string(data).graph.node]


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, dilation=1, groups=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(6 * 1 * 1, 3)

    def forward(self, x):  # (B, 1, 12, 12)
        x = self.pool(self.bn1(self.conv1(x)).relu())  # (B, 4, 6, 6)
        x = self.pool(nn.functional.relu(self.conv2(x)))  # (B, 6, 1, 1)
        return self.fc(x.flatten(1))


class Block(nn.Module):
    """Pre-norm transformer block: causal multi-head self-attention and an MLP, residuals."""

    def __init__(self, dim=8, heads=2):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 16), nn.GELU(), nn.Linear(16, dim))

    def forward(self, x):  # (B, T, D)
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=-1)
        q, k, v = (t.reshape(B, T, self.heads, D // self.heads).transpose(1, 2)
                   for t in (q, k, v))  # (B, H, T, D / H)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D // self.heads)
        causal = tg.ones(T, T).tril().bool()
        weights = scores.masked_fill(~causal, float("-inf")).softmax(dim=-1)
        y = (weights @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.proj(y)
        return x + self.mlp(self.ln2(x))


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 6)
        self.out = nn.Linear(6, 4)

    def forward(self, tokens):  # (B, T) int64
        return self.out(self.embed(tokens)).log_softmax(-1)


def test_mlp_matches_onnxruntime_and_uses_gemm():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(),
                          nn.Linear(8, 3), nn.Sigmoid())
    x = tg.randn(4, 5)
    data = exported(model, x)
    assert_same(data, model, x)
    assert op_types(data).count("Gemm") == 3


def test_activations_and_softmaxes():
    tg.manual_seed(1)
    model = nn.Sequential(nn.GELU(), nn.Linear(6, 6), nn.Softmax(dim=1), nn.LogSoftmax(dim=-1))
    x = tg.randn(3, 6)
    data = exported(model, x)
    assert_same(data, model, x)
    assert {"Erf", "Softmax", "LogSoftmax"} <= set(op_types(data))


def test_lenet_with_batchnorm_in_eval_and_max_pool():
    tg.manual_seed(2)
    model = LeNet()
    model.bn1.running_mean.copy_(tg.randn(4))  # stats that are not 0 and 1
    model.bn1.running_var.copy_(tg.rand(4) + 0.5)
    model.eval()
    x = tg.randn(2, 1, 12, 12)
    data = exported(model, x)
    assert_same(data, model, x)
    types = op_types(data)
    assert types.count("Conv") == 2 and types.count("MaxPool") == 2
    conv2 = [n for n in onnx.load_from_string(data).graph.node if n.op_type == "Conv"][1]
    attributes = {a.name: onnx.helper.get_attribute_value(a) for a in conv2.attribute}
    assert attributes["group"] == 2 and list(attributes["strides"]) == [2, 2]


def test_average_pool_padding_and_ceil_mode():
    tg.manual_seed(3)
    model = nn.Sequential(nn.AvgPool2d(2, padding=1),
                          nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True))
    x = tg.randn(2, 3, 9, 9)
    data = exported(model, x)
    assert_same(data, model, x)
    assert op_types(data) == ["AveragePool", "MaxPool"]
    for pool in (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
                 nn.AvgPool2d(3, 2, padding=1, ceil_mode=True),  # partial windows: the
                 nn.AvgPool2d(2, divisor_override=3)):  # Conv and Div it is made of
        assert_same(exported(pool, x), pool, x)


def test_transformer_block():
    tg.manual_seed(4)
    model = Block()
    x = tg.randn(2, 5, 8)
    data = exported(model, x)
    assert_same(data, model, x)
    assert {"Softmax", "MatMul", "Where", "Transpose"} <= set(op_types(data))


def test_embedding_model():
    tg.manual_seed(5)
    model = Tagger()
    tokens = tg.tensor([[1, 2, 19], [0, 7, 7]])
    data = exported(model, tokens)
    assert_same(data, model, tokens)
    assert "Gather" in op_types(data)


class PickColumns(tg.nn.Module):
    def forward(self, x):
        return x.gather(1, tg.tensor([[0, 2], [1, 1], [2, 0]])) * 2


def test_gather_exports_now_that_its_index_check_is_an_argument_check():
    x = tg.randn(3, 4)
    data = exported(PickColumns(), x)
    assert_same(data, PickColumns(), x)
    assert "Gather" in op_types(data) and "ReduceMin" not in op_types(data)


def test_broadcasting_elementwise_functions():
    tg.manual_seed(6)

    def f(x, y, n):  # (3, 4), (4,), int64 (3, 1)
        z = tg.where(x > y, x ** 2, (x - y).abs().sqrt().exp().log() / 3)
        z = z + x.amax(-1, keepdim=True) - x.sum(dim=0) * y.neg() + n
        z = z / (1 + x.exp()) + x.clone().float().abs() ** 0.5 + (x <= 0).float()
        loss = nn.functional.mse_loss(x, y.expand(3, 4))  # 0-d, from a 0-d constant
        return z.sum(dim=(0, 1)), (n * 3 + 1) // 2, (x == y) | (x < 0), x.argmax(1), loss

    inputs = (tg.randn(3, 4), tg.randn(4), tg.tensor([[1], [2], [-3]]))
    assert_same(exported(f, inputs), f, *inputs)


def test_shape_ops_slices_and_cat():
    def f(x):  # (2, 3, 4)
        left, right = x[:, :1], x[:, 1:, ::2]
        joined = tg.cat([left.expand(2, 2, 4), x[:, 1:]], dim=1)
        return (joined.permute(2, 0, 1), right[..., None], x[1, 2], x.view(6, 4)[1::2],
                x.diagonal(0, 1, 2))

    x = tg.randn(2, 3, 4)
    assert_same(exported(f, x), f, x)


def test_dynamic_batch_axis_runs_at_another_batch_size():
    tg.manual_seed(7)
    model = LeNet().eval()
    data = exported(model, tg.randn(2, 1, 12, 12), input_names=["image"],
                    output_names=["logits"],
                    dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    graph = onnx.load_from_string(data).graph
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert_same(data, model, tg.randn(5, 1, 12, 12))


def test_dynamic_batch_and_sequence_of_a_transformer_block():
    tg.manual_seed(8)
    model = Block()
    data = exported(model, tg.randn(2, 5, 8), dynamic_axes={"input_0": [0]})
    assert_same(data, model, tg.randn(5, 5, 8))
    tagger = Tagger()
    data = exported(tagger, tg.tensor([[1, 2], [3, 4]]),
                    dynamic_axes={"input_0": {0: "batch", 1: "time"}})
    tokens = tg.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert_same(data, tagger, tokens)

    def ends(x):  # slices counted from the end of a dynamic axis
        return x[:, -1] * x[:, -2:].sum(1) + x[:, 1:-1].amax(1)

    data = exported(ends, tg.randn(2, 5, 3), dynamic_axes={"input_0": {0: "b", 1: "t"}})
    assert_same(data, ends, tg.randn(3, 9, 3))


@pytest.mark.parametrize("device", DEVICES)
def test_a_model_on_either_device(device):
    tg.manual_seed(12)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.LayerNorm(4)).to(device)
    data = exported(model, tg.randn(2, 3, device=device), dynamic_axes={"input_0": [0]})
    x = tg.randn(5, 3)
    (got,) = run(data, x)
    want = model(x.to(device)).detach().cpu().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_names_opsets_file_path_and_parameters_as_inputs(tmp_path):
    tg.manual_seed(9)
    model = nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1))
    x = tg.randn(2, 3)
    path = tmp_path / "model.onnx"
    tg.onnx.export(model, (x,), str(path), input_names=["features"],
                   output_names=["probabilities"], opset_version=18)
    loaded = onnx.load(str(path))
    assert [i.name for i in loaded.graph.input] == ["features"]
    assert [o.name for o in loaded.graph.output] == ["probabilities"]
    assert loaded.opset_import[0].version == 18
    data = exported(model, x, export_params=False, opset_version=13)
    names = [i.name for i in onnx.load_from_string(data).graph.input]
    assert names == ["input_0", "0.weight", "0.bias"]
    weight, bias = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input_0": x.numpy(), "0.weight": weight, "0.bias": bias})
    np.testing.assert_allclose(got, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_reductions_and_integer_relu_at_each_opset(opset):
    def f(x, n):  # ReduceMax/Min/Prod take axes as an attribute before opset 18
        return x.amax(1) + x.amin(0).sum() + x.prod(1) + (x > 0).sum(1), n.relu()

    inputs = (tg.randn(3, 4), tg.tensor([-1, 2, 0]))
    assert_same(exported(f, inputs, opset_version=opset), f, *inputs)


def test_constant_folding_stores_batchnorm_scale_once():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).eval()
    x = tg.randn(1, 1, 5, 5)
    folded = exported(model, x)
    unfolded = exported(model, x, do_constant_folding=False)
    assert "Sqrt" not in op_types(folded) and "Sqrt" in op_types(unfolded)
    assert_same(unfolded, model, x)


def test_dropout_in_training_mode_is_refused():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    with pytest.raises(ExportError, match="random number.*model.eval"):
        tg.onnx.export(model, tg.randn(2, 3), io.BytesIO())
    model.eval()
    assert_same(exported(model, tg.randn(2, 3)), model, tg.randn(2, 3))


def test_data_dependent_branch_is_refused():
    def f(x):
        return x * 2 if x.sum() > 0 else x - 1

    with pytest.raises(ExportError, match="read a traced value"):
        tg.onnx.export(f, tg.randn(3), io.BytesIO())


def test_embedding_range_check_is_no_problem_but_max_norm_renorm_is():
    tokens = tg.tensor([[1, 2]])
    plain = nn.Embedding(5, 3)
    assert_same(exported(plain, tokens), plain, tokens)
    with pytest.raises(ExportError, match="read a traced value"):  # it rewrites weight rows
        tg.onnx.export(nn.Embedding(5, 3, max_norm=1.0), tokens, io.BytesIO())


def test_detached_input_data_inside_forward_is_refused():
    with pytest.raises(ExportError, match="shares memory with data computed from the inputs"):
        tg.onnx.export(lambda x: x * 2 + (x * 3).detach(), tg.randn(3), io.BytesIO())


def test_unsupported_op_names_itself_and_what_is_supported():
    with pytest.raises(UnsupportedOperatorError, match="Atan2.*Supported:.*Convolution"):
        tg.onnx.export(lambda x: tg.atan2(x, x + 1), tg.randn(3), io.BytesIO())


def test_every_primitive_is_translated_or_listed_as_unsupported():
    from tinygrad_edu import functions as F
    from tinygrad_edu.nn import functions_nn
    from tinygrad_edu.onnx import translate

    translated = {function.__name__ for function in translate.FUNCTIONS}
    primitives = set(F.PRIMITIVES) | set(functions_nn.NN_PRIMITIVES)
    assert primitives - translated == set(translate.UNSUPPORTED), \
        f"no translation and not listed: {primitives - translated - set(translate.UNSUPPORTED)}"


def test_a_size_used_as_a_number_is_refused_with_dynamic_axes():
    def f(x):
        return x.mean(0)  # divides by the batch size, a constant in the trace

    data = exported(f, tg.randn(4, 3))  # fine without dynamic axes
    assert_same(data, f, tg.randn(4, 3))
    with pytest.raises(ExportError, match="other values when the dynamic axes"):
        tg.onnx.export(f, tg.randn(4, 3), io.BytesIO(), dynamic_axes={"input_0": [0]})


# ---------------------------------------------------------------------------- protobuf


def test_varints_as_the_protobuf_documentation_writes_them():
    assert protobuf.varint(1) == b"\x01"
    assert protobuf.varint(150) == b"\x96\x01"
    assert protobuf.varint(-1) == b"\xff" * 9 + b"\x01"
    assert protobuf.int_field(1, 3) == b"\x08\x03"
    assert protobuf.string_field(2, "batch") == b"\x12\x05batch"


def test_encoder_fields_read_back_by_onnx_parser():
    weights = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    node = protobuf.node("Gemm", ["x", "w", ""], ["y"], "gemm0",
                         {"alpha": 0.5, "transB": 1, "mode": "fast", "pads": [1, -2, 3],
                          "scales": [1.5, 2.0], "value": np.array([True, False])})
    graph = protobuf.graph("g", [node], [protobuf.tensor("w", weights)],
                           [protobuf.value_info("x", np.float32, ["batch", 3])],
                           [protobuf.value_info("y", np.int64, [4, 0])])
    model = onnx.load_from_string(protobuf.model(graph, 17, 8, "me", "1.2"))
    assert (model.ir_version, model.producer_name, model.producer_version) == (8, "me", "1.2")
    assert (model.opset_import[0].domain, model.opset_import[0].version) == ("", 17)
    parsed = model.graph.node[0]
    assert (parsed.op_type, parsed.name) == ("Gemm", "gemm0")
    assert list(parsed.input) == ["x", "w", ""] and list(parsed.output) == ["y"]
    values = {a.name: onnx.helper.get_attribute_value(a) for a in parsed.attribute}
    assert values["alpha"] == 0.5 and values["transB"] == 1 and values["mode"] == b"fast"
    assert list(values["pads"]) == [1, -2, 3] and list(values["scales"]) == [1.5, 2.0]
    assert onnx.numpy_helper.to_array(values["value"]).tolist() == [True, False]
    stored = model.graph.initializer[0]
    assert stored.name == "w" and list(stored.dims) == [2, 3]
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(stored), weights)
    x_dims = model.graph.input[0].type.tensor_type.shape.dim
    assert (x_dims[0].dim_param, x_dims[1].dim_value) == ("batch", 3)
    output = model.graph.output[0].type.tensor_type
    assert output.elem_type == onnx.TensorProto.INT64
    assert [d.dim_value for d in output.shape.dim] == [4, 0]


# ---------------------------------------------------------------------------- more models


def test_library_layers_encoder_lstm_and_a_broadcast_class_token():
    tg.manual_seed(10)
    encoder = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True).eval()
    data = exported(encoder, tg.randn(2, 5, 8), dynamic_axes={"input_0": {0: "b", 1: "t"}})
    assert_same(data, encoder, tg.randn(3, 7, 8))
    lstm = nn.LSTM(3, 4, batch_first=True)  # (output, (h, c)): three graph outputs
    data = exported(lstm, tg.randn(2, 3, 3), dynamic_axes={"input_0": [0]})
    x = tg.randn(5, 3, 3)  # its zero initial state, made inside forward, follows the batch
    output, (h, c) = lstm(x)
    got = run(data, x)
    for g, w in zip(got, (output, h, c)):
        np.testing.assert_allclose(g, w.detach().numpy(), rtol=1e-5, atol=1e-5)
    token = tg.randn(1, 1, 4)

    def prepend(x):  # a constant expanded to the batch size
        return tg.cat([token.expand(x.shape[0], 1, 4), x], dim=1)

    data = exported(prepend, tg.randn(2, 3, 4), dynamic_axes={"input_0": [0]})
    assert_same(data, prepend, tg.randn(5, 3, 4))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # its TorchScript exporter, ours
def test_op_types_agree_with_pytorchs_exporter():
    torch = pytest.importorskip("torch")
    tg.manual_seed(11)
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2), nn.Softmax(dim=1))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(8, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
                                 torch.nn.Softmax(dim=1))
    buffer = io.BytesIO()
    try:
        torch.onnx.export(theirs, (torch.randn(1, 1, 6, 6),), buffer, dynamo=False)
    except Exception as error:  # an exporter that needs what is not installed here
        pytest.skip(f"torch.onnx.export does not run here: {error}")
    # the same ops in the same order; PyTorch spells flatten as Flatten, we as Reshape
    want = ["Reshape" if t == "Flatten" else t for t in op_types(buffer.getvalue())]
    assert op_types(exported(ours, tg.randn(1, 1, 6, 6))) == want
