"""tinygrad_edu.onnx: write a model as an ONNX file (torch.onnx.export's tracing exporter).

    tinygrad_edu.onnx.export(model, example_input, "model.onnx")

Read in this order: `exporter.py` (the steps), `translate.py` (the table of op
translations), `graph.py` (values, initializers, dynamic axes), the translations
(`math_ops.py`, `shape_ops.py`, `nn_ops.py`), and `protobuf.py` (the file's bytes).
No dependency: the protobuf encoder is written here; `onnx` and `onnxruntime` are only
the tests' oracles.
"""

from tinygrad_edu.onnx.exporter import DEFAULT_OPSET, export
from tinygrad_edu.onnx.graph import ExportError, UnsupportedOperatorError
from tinygrad_edu.onnx.translate import supported

__all__ = ["DEFAULT_OPSET", "ExportError", "UnsupportedOperatorError", "export", "supported"]
