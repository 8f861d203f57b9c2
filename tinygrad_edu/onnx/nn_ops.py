"""ONNX translations of the matrix, convolution, pooling and softmax primitives.

These map one to one onto ONNX ops; what needs care is the attributes. ONNX writes pads as
[top, left, bottom, right] (every begin, then every end) and computes the output size from
them, so each translation checks that its formula gives the size the primitive recorded
(the `out_size` argument) and says so when it does not, rather than write a graph that
would compute a differently shaped result. (Convolution's out_size can be larger than the
formula's, for average pooling's ceil_mode: the kernels read zeros past the end, which is
what more end padding reads in ONNX.)
"""

from typing import Any

from tinygrad_edu.onnx.graph import ExportError, Graph


def matmul(g: Graph, node: Any, args: dict) -> None:
    """Mm = MatMul: (..., n, k) @ (..., k, m), the batch dims equal."""
    dtype = args["dtype"]
    g.bind(node.output, g.add("MatMul", [g.value(args["a"], dtype),
                                         g.value(args["b"], dtype)]))


def linear(g: Graph, node: Any, args: dict) -> None:
    """Linear = Gemm(x, weight, bias, transB=1): x @ weight^T + bias, one node as here; with
    relu=True (nn.Sequential's fused Linear + ReLU) a Relu after it."""
    inputs = [g.name(args["x"]), g.name(args["weight"])]
    if args["bias"] is not None:
        inputs.append(g.name(args["bias"]))
    name = g.add("Gemm", inputs, transB=1)
    g.bind(node.output, g.add("Relu", [name]) if args["relu"] else name)


def _pool_size(size: int, kernel: int, stride: int, padding: int, dilation: int,
               ceil: bool) -> int:
    """Conv and pool output size: floor (or ceil) of (size + 2p - d(k-1) - 1) / s, plus 1."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    return (-(-span // stride) if ceil else span // stride) + 1


def _geometry(kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> dict:
    return {"kernel_shape": [int(k) for k in kernel], "strides": [int(s) for s in stride],
            "pads": [int(p) for p in padding] * 2, "dilations": [int(d) for d in dilation]}


def convolution(g: Graph, node: Any, args: dict) -> None:
    """Convolution = Conv (weight (O, C / groups, KH, KW), bias optional)."""
    x, weight, bias = args["x"], args["weight"], args["bias"]
    geometry = _geometry(weight.shape[2:], args["stride"], args["padding"], args["dilation"])
    ends = []  # a larger out_size (avg_pool's ceil_mode) reads zeros past the end: pad more
    for size, k, s, p, d, want in zip(x.shape[2:], weight.shape[2:], args["stride"],
                                      args["padding"], args["dilation"], args["out_size"]):
        ends.append(max(int(p), (want - 1) * s + d * (k - 1) + 1 - size - p))
        if (size + p + ends[-1] - d * (k - 1) - 1) // s + 1 != want:
            raise ExportError(f"ONNX export: a convolution recorded output size "
                              f"{tuple(args['out_size'])}, which ONNX Conv cannot give")
    geometry["pads"] = [int(p) for p in args["padding"]] + ends
    inputs = [g.name(x), g.name(weight)] + ([g.name(bias)] if bias is not None else [])
    g.bind(node.output, g.add("Conv", inputs, group=int(args["groups"]), **geometry))


def convolution_transpose(g: Graph, node: Any, args: dict) -> None:
    """ConvolutionTranspose = ConvTranspose (weight (Cin, Cout / groups, KH, KW)).
    ONNX's size: stride (in - 1) + output_padding + d (k - 1) + 1 - 2 pad; output_padding
    is what makes it the recorded out_size."""
    x, weight, bias = args["x"], args["weight"], args["bias"]
    geometry = _geometry(weight.shape[2:], args["stride"], args["padding"], args["dilation"])
    output_padding = []
    for size, k, s, p, d, want in zip(x.shape[2:], weight.shape[2:], args["stride"],
                                      args["padding"], args["dilation"], args["out_size"]):
        output_padding.append(int(want - (s * (size - 1) + d * (k - 1) + 1 - 2 * p)))
    if any(extra < 0 for extra in output_padding):
        raise ExportError(f"ONNX export: a transposed convolution's output size "
                          f"{tuple(args['out_size'])} is smaller than ConvTranspose gives")
    inputs = [g.name(x), g.name(weight)] + ([g.name(bias)] if bias is not None else [])
    g.bind(node.output, g.add("ConvTranspose", inputs, group=int(args["groups"]),
                              output_padding=output_padding, **geometry))


def max_pool(g: Graph, node: Any, args: dict) -> None:
    """MaxPool2DWithIndices = MaxPool; ceil_mode read off the recorded output size."""
    x = args["x"]
    if args["positions_out"] is not None:
        raise ExportError("ONNX export: max_pool2d(return_indices=True) is not supported "
                          "(ONNX's indices count over the whole tensor, and the trace does not "
                          "follow the indices tensor)")
    geometry = _geometry(args["kernel_size"], args["stride"], args["padding"],
                         args["dilation"])
    wanted = tuple(args["out_size"])
    sizes = {ceil: tuple(_pool_size(size, k, s, p, d, ceil) for size, k, s, p, d in zip(
        x.shape[2:], args["kernel_size"], args["stride"], args["padding"], args["dilation"]))
        for ceil in (False, True)}
    if wanted not in sizes.values():
        raise ExportError(f"ONNX export: a max pool recorded output size {wanted}, MaxPool "
                          f"would give {sizes[False]} (or {sizes[True]} with ceil_mode)")
    ceil_mode = int(wanted != sizes[False])
    g.bind(node.output, g.add("MaxPool", [g.name(x)], ceil_mode=ceil_mode, **geometry))


def softmax(g: Graph, node: Any, args: dict) -> None:
    """Softmax / LogSoftmax along `dim` (opset 13 on: along that one axis)."""
    g.bind(node.output, g.add(node.target.__name__, [g.name(args["x"])],
                              axis=int(args["dim"])))


def cross_entropy(g: Graph, node: Any, args: dict) -> None:
    """CrossEntropy = SoftmaxCrossEntropyLoss (reduction, ignore_index); label smoothing has
    no ONNX counterpart here."""
    if args["smoothing"]:
        raise ExportError("ONNX export: cross_entropy with label_smoothing > 0 is not "
                          "supported")
    g.bind(node.output, g.add("SoftmaxCrossEntropyLoss",
                              [g.name(args["x"]), g.name(args["target"])],
                              reduction=str(args["reduction"]),
                              ignore_index=int(args["ignore_index"])))
