"""A small protocol-buffers encoder: just enough to write an ONNX model file.

An ONNX file is one `ModelProto` message in protobuf's binary wire format. That format is
simple enough to write by hand, and doing so shows what the bytes of a model are.

**The wire format.** A message is a sequence of fields, in any order; each field is a key
followed by a value. The key is one varint, `(field_number << 3) | wire_type`:

    wire type 0  VARINT            int32, int64, bool, enum     the value as a varint
    wire type 1  I64               double, fixed64               8 bytes, little-endian
    wire type 2  LEN               string, bytes, sub-message,   a varint length, then that
                                   packed repeated numbers       many bytes
    wire type 5  I32               float, fixed32                4 bytes, little-endian

A *varint* writes an unsigned integer 7 bits at a time, lowest bits first, with the top bit
of each byte set when more bytes follow: 1 -> 01, 150 -> 96 01 (150 = 0b1_0010110: the low
seven bits 0010110 with the "more" bit make 0x96, then 0b1). A negative int64 is written as
its two's complement, an unsigned 64-bit number, so it always takes ten bytes.

A sub-message is written as LEN: its own encoded bytes, prefixed by their length. A
repeated field is the same field written again for each element; repeated numbers may
instead be *packed*, all of them inside one LEN field (proto3's default; proto2 readers
accept it too). Fields left out read as their default (0, "", empty), so we write only what
is set. For example a `TensorShapeProto.Dimension` with `dim_value = 3` (field 1, varint)
is the two bytes 08 03; with `dim_param = "batch"` (field 2, LEN) it is 12 05 'b' 'a' 't'
'c' 'h'.

**The messages** (field numbers from onnx/onnx.proto, which these functions follow):

    ModelProto        1 ir_version  2 producer_name  3 producer_version  7 graph
                      8 opset_import (OperatorSetIdProto: 1 domain, 2 version)
    GraphProto        1 node  2 name  5 initializer  11 input  12 output  13 value_info
    NodeProto         1 input  2 output  3 name  4 op_type  5 attribute  7 domain
    AttributeProto    1 name  2 f  3 i  4 s  5 t  7 floats  8 ints  20 type (an enum:
                      FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7)
    TensorProto       1 dims  2 data_type  8 name  9 raw_data (the elements, little-endian)
    ValueInfoProto    1 name  2 type (TypeProto: 1 tensor_type)
    TypeProto.Tensor  1 elem_type  2 shape (TensorShapeProto: 1 dim, repeated)
    Dimension         1 dim_value (a size)  or  2 dim_param (a symbolic name, e.g. "batch")

Each function below returns the encoded bytes of one message; a message that contains
another calls the inner function and writes the result as a LEN field.
"""

import struct
from collections.abc import Sequence

import numpy as np

# wire types
VARINT, I64, LEN, I32 = 0, 1, 2, 5

# TensorProto.DataType codes of the NumPy dtypes that tensors here can have
DATA_TYPES = {
    np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3,
    np.dtype(np.int16): 5, np.dtype(np.int32): 6, np.dtype(np.int64): 7,
    np.dtype(np.bool_): 9, np.dtype(np.float16): 10, np.dtype(np.float64): 11,
}

# AttributeProto.AttributeType codes
ATTRIBUTE_FLOAT, ATTRIBUTE_INT, ATTRIBUTE_STRING, ATTRIBUTE_TENSOR = 1, 2, 3, 4
ATTRIBUTE_FLOATS, ATTRIBUTE_INTS = 6, 7


def data_type(dtype: np.dtype) -> int:
    """The TensorProto.DataType code of a NumPy dtype (FLOAT = 1, INT64 = 7, ...)."""
    code = DATA_TYPES.get(np.dtype(dtype))
    if code is None:
        raise TypeError(f"ONNX export: no ONNX data type for {np.dtype(dtype)}")
    return code


# ---------------------------------------------------------------------------- wire format


def varint(value: int) -> bytes:
    """value as a varint: 7 bits a byte, lowest first, top bit = "more bytes follow".
    A negative value is written as its 64-bit two's complement (ten bytes)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def key(field: int, wire_type: int) -> bytes:
    """The key that starts a field: varint((field << 3) | wire_type)."""
    return varint((field << 3) | wire_type)


def int_field(field: int, value: int) -> bytes:
    """An int32/int64/bool/enum field (wire type 0)."""
    return key(field, VARINT) + varint(int(value))


def float_field(field: int, value: float) -> bytes:
    """A float field (wire type 5: four bytes, little-endian IEEE 754)."""
    return key(field, I32) + struct.pack("<f", value)


def bytes_field(field: int, data: bytes) -> bytes:
    """A bytes, string or sub-message field (wire type 2: length, then the bytes)."""
    return key(field, LEN) + varint(len(data)) + data


def string_field(field: int, text: str) -> bytes:
    return bytes_field(field, text.encode("utf-8"))


def packed_ints(field: int, values: Sequence[int]) -> bytes:
    """A repeated int64 field, packed: one LEN field holding every varint."""
    return bytes_field(field, b"".join(varint(int(v)) for v in values))


def packed_floats(field: int, values: Sequence[float]) -> bytes:
    """A repeated float field, packed: one LEN field of 4-byte little-endian floats."""
    return bytes_field(field, struct.pack(f"<{len(values)}f", *values))


# ---------------------------------------------------------------------------- ONNX messages


def tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims, data_type, name, and the elements as raw little-endian bytes
    (row-major; a bool takes one byte)."""
    array = np.asarray(array)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return (packed_ints(1, array.shape) + int_field(2, data_type(array.dtype))
            + string_field(8, name) + bytes_field(9, np.ascontiguousarray(little).tobytes()))


def attribute(name: str, value: object) -> bytes:
    """AttributeProto for an int, float, string, ndarray (a tensor) or a list of ints or of
    floats; `type` says which field holds the value."""
    head = string_field(1, name)
    if isinstance(value, (bool, int, np.integer)):
        return head + int_field(20, ATTRIBUTE_INT) + int_field(3, int(value))
    if isinstance(value, (float, np.floating)):
        return head + int_field(20, ATTRIBUTE_FLOAT) + float_field(2, float(value))
    if isinstance(value, str):
        return head + int_field(20, ATTRIBUTE_STRING) + string_field(4, value)
    if isinstance(value, np.ndarray):
        return head + int_field(20, ATTRIBUTE_TENSOR) + bytes_field(5, tensor("", value))
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, np.integer)) for v in value):
            return head + int_field(20, ATTRIBUTE_INTS) + packed_ints(8, value)
        return head + int_field(20, ATTRIBUTE_FLOATS) + packed_floats(7, value)
    raise TypeError(f"ONNX export: attribute {name!r} of type {type(value).__name__}")


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], name: str,
         attributes: dict) -> bytes:
    """NodeProto: outputs = op_type(inputs) with the given attributes. An empty input name
    stands for an optional input left out."""
    data = b"".join(string_field(1, text) for text in inputs)
    data += b"".join(string_field(2, text) for text in outputs)
    data += string_field(3, name) + string_field(4, op_type)
    data += b"".join(bytes_field(5, attribute(key_, value))
                     for key_, value in attributes.items())
    return data


def value_info(name: str, dtype: np.dtype, dims: Sequence[int | str]) -> bytes:
    """ValueInfoProto: a graph input's or output's name, element type and shape; a dim is a
    size (dim_value) or a symbolic name (dim_param) for a dynamic axis."""
    shape = b"".join(bytes_field(1, string_field(2, d) if isinstance(d, str) else
                                 int_field(1, d)) for d in dims)
    tensor_type = int_field(1, data_type(dtype)) + bytes_field(2, shape)
    return string_field(1, name) + bytes_field(2, bytes_field(1, tensor_type))


def graph(name: str, nodes: Sequence[bytes], initializers: Sequence[bytes],
          inputs: Sequence[bytes], outputs: Sequence[bytes]) -> bytes:
    """GraphProto: the nodes in an order where each value is made before it is used."""
    data = b"".join(bytes_field(1, n) for n in nodes) + string_field(2, name)
    data += b"".join(bytes_field(5, t) for t in initializers)
    data += b"".join(bytes_field(11, v) for v in inputs)
    data += b"".join(bytes_field(12, v) for v in outputs)
    return data


def model(graph_bytes: bytes, opset: int, ir_version: int, producer: str,
          producer_version: str) -> bytes:
    """ModelProto: the IR version, who wrote it, the graph, and the operator set version
    of the default domain ("" = ai.onnx) the nodes are to be read with."""
    opset_id = string_field(1, "") + int_field(2, opset)
    return (int_field(1, ir_version) + string_field(2, producer)
            + string_field(3, producer_version) + bytes_field(7, graph_bytes)
            + bytes_field(8, opset_id))
