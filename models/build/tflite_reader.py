"""Minimal reader for TensorFlow Lite model files (FlatBuffers), pure Python + numpy.

Only the parts of the TFLite schema (tensorflow/lite/schema/schema.fbs) that a
simple image classifier needs are decoded: tensors, buffers, per-tensor/per-axis
quantization parameters, operators, operator codes and the builtin options of
the common vision ops. No generated code and no flatbuffers package is used.

FlatBuffers in brief (all little-endian):
  * the file starts with a uint32 offset to the root table, then the 4-byte
    file identifier ("TFL3" for TFLite);
  * a table starts with an int32 `soffset`; its vtable lives at
    `table - soffset` and holds uint16 [vtable_size, table_size, field0_off,
    field1_off, ...]; a field offset of 0 (or a field past the vtable end) means
    "absent, use the schema default";
  * references to tables, vectors and strings are uint32 offsets relative to
    the position where the offset itself is stored;
  * a vector is a uint32 element count followed by the elements; a vector of
    tables/strings holds one uint32 relative offset per element;
  * a union field `x` is stored as two fields: `x_type` (uint8) and `x` (table).

Usage:
    model = read_tflite("model.tflite")
    sg = model.subgraphs[0]
    for op in sg.operators: print(op.opcode_name, op.inputs, op.outputs, op.options)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

# --- Schema enums (subset) --------------------------------------------------

# TensorType -> numpy dtype
TENSOR_TYPES = {
    0: np.dtype("<f4"),  # FLOAT32
    1: np.dtype("<f2"),  # FLOAT16
    2: np.dtype("<i4"),  # INT32
    3: np.dtype("u1"),  # UINT8
    4: np.dtype("<i8"),  # INT64
    6: np.dtype("?"),  # BOOL
    7: np.dtype("<i2"),  # INT16
    9: np.dtype("i1"),  # INT8
}
TENSOR_TYPE_NAMES = {0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64",
                     5: "STRING", 6: "BOOL", 7: "INT16", 8: "COMPLEX64", 9: "INT8"}

# BuiltinOperator (subset)
BUILTIN_OPS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D",
    4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC",
    17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
    25: "SOFTMAX", 34: "PAD", 40: "MEAN", 114: "QUANTIZE", 117: "HARD_SWISH",
}

PADDING = {0: "SAME", 1: "VALID"}
ACTIVATION = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}

# --- FlatBuffer primitives --------------------------------------------------


class _Table:
    """A view of one FlatBuffer table inside `buf` at absolute position `pos`."""

    __slots__ = ("buf", "pos", "_vt", "_vt_len")

    def __init__(self, buf: bytes, pos: int):
        self.buf = buf
        self.pos = pos
        (soff,) = struct.unpack_from("<i", buf, pos)
        self._vt = pos - soff
        (self._vt_len,) = struct.unpack_from("<H", buf, self._vt)

    def _field_pos(self, index: int) -> Optional[int]:
        entry = 4 + 2 * index
        if entry >= self._vt_len:
            return None
        (off,) = struct.unpack_from("<H", self.buf, self._vt + entry)
        return self.pos + off if off else None

    def scalar(self, index: int, fmt: str, default: Any = 0) -> Any:
        p = self._field_pos(index)
        return default if p is None else struct.unpack_from("<" + fmt, self.buf, p)[0]

    def _deref(self, index: int) -> Optional[int]:
        p = self._field_pos(index)
        return None if p is None else p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, index: int) -> Optional["_Table"]:
        p = self._deref(index)
        return None if p is None else _Table(self.buf, p)

    def string(self, index: int) -> Optional[str]:
        p = self._deref(index)
        if p is None:
            return None
        (n,) = struct.unpack_from("<I", self.buf, p)
        return self.buf[p + 4 : p + 4 + n].decode("utf-8")

    def vector(self, index: int, dtype: str) -> Optional[np.ndarray]:
        """A vector of scalars as a (read-only) numpy array, or None if absent."""
        p = self._deref(index)
        if p is None:
            return None
        (n,) = struct.unpack_from("<I", self.buf, p)
        return np.frombuffer(self.buf, dtype=np.dtype(dtype), count=n, offset=p + 4)

    def tables(self, index: int) -> list["_Table"]:
        p = self._deref(index)
        if p is None:
            return []
        (n,) = struct.unpack_from("<I", self.buf, p)
        out = []
        for i in range(n):
            q = p + 4 + 4 * i
            out.append(_Table(self.buf, q + struct.unpack_from("<I", self.buf, q)[0]))
        return out


# --- Decoded model ----------------------------------------------------------


@dataclass
class Quantization:
    scale: Optional[np.ndarray] = None  # float32
    zero_point: Optional[np.ndarray] = None  # int64
    min: Optional[np.ndarray] = None
    max: Optional[np.ndarray] = None
    quantized_dimension: int = 0

    @property
    def per_tensor(self) -> bool:
        return self.scale is not None and self.scale.size == 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: int
    buffer: int
    quantization: Optional[Quantization]
    data: Optional[np.ndarray] = None  # constant contents (shaped), None for activations

    @property
    def dtype(self) -> np.dtype:
        return TENSOR_TYPES[self.type]

    @property
    def type_name(self) -> str:
        return TENSOR_TYPE_NAMES.get(self.type, str(self.type))

    @property
    def scale(self) -> float:
        assert self.quantization is not None and self.quantization.per_tensor, self.name
        return float(self.quantization.scale[0])

    @property
    def zero_point(self) -> int:
        assert self.quantization is not None and self.quantization.per_tensor, self.name
        return int(self.quantization.zero_point[0])


@dataclass
class Operator:
    index: int
    opcode: int  # BuiltinOperator value
    opcode_name: str
    inputs: list[int]  # tensor indices, -1 = optional input absent
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class SubGraph:
    name: Optional[str]
    tensors: list[Tensor]
    inputs: list[int]
    outputs: list[int]
    operators: list[Operator]


@dataclass
class Model:
    version: int
    description: Optional[str]
    subgraphs: list[SubGraph]


# --- Builtin options --------------------------------------------------------


def _conv2d_options(t: _Table) -> dict:
    return {
        "padding": PADDING[t.scalar(0, "b")],
        "stride_w": t.scalar(1, "i"),
        "stride_h": t.scalar(2, "i"),
        "fused_activation_function": ACTIVATION[t.scalar(3, "b")],
        "dilation_w_factor": t.scalar(4, "i", 1),
        "dilation_h_factor": t.scalar(5, "i", 1),
    }


def _depthwise_options(t: _Table) -> dict:
    return {
        "padding": PADDING[t.scalar(0, "b")],
        "stride_w": t.scalar(1, "i"),
        "stride_h": t.scalar(2, "i"),
        "depth_multiplier": t.scalar(3, "i"),
        "fused_activation_function": ACTIVATION[t.scalar(4, "b")],
        "dilation_w_factor": t.scalar(5, "i", 1),
        "dilation_h_factor": t.scalar(6, "i", 1),
    }


def _pool2d_options(t: _Table) -> dict:
    return {
        "padding": PADDING[t.scalar(0, "b")],
        "stride_w": t.scalar(1, "i"),
        "stride_h": t.scalar(2, "i"),
        "filter_width": t.scalar(3, "i"),
        "filter_height": t.scalar(4, "i"),
        "fused_activation_function": ACTIVATION[t.scalar(5, "b")],
    }


def _fully_connected_options(t: _Table) -> dict:
    return {
        "fused_activation_function": ACTIVATION[t.scalar(0, "b")],
        "weights_format": t.scalar(1, "b"),
        "keep_num_dims": bool(t.scalar(2, "B")),
    }


def _softmax_options(t: _Table) -> dict:
    return {"beta": t.scalar(0, "f", 0.0)}


def _add_options(t: _Table) -> dict:
    return {"fused_activation_function": ACTIVATION[t.scalar(0, "b")]}


def _reshape_options(t: _Table) -> dict:
    ns = t.vector(0, "<i4")
    return {"new_shape": None if ns is None else [int(v) for v in ns]}


# BuiltinOptions union type id -> (name, decoder)
BUILTIN_OPTIONS = {
    1: ("Conv2DOptions", _conv2d_options),
    2: ("DepthwiseConv2DOptions", _depthwise_options),
    5: ("Pool2DOptions", _pool2d_options),
    8: ("FullyConnectedOptions", _fully_connected_options),
    9: ("SoftmaxOptions", _softmax_options),
    11: ("AddOptions", _add_options),
    17: ("ReshapeOptions", _reshape_options),
}

# --- Reader -----------------------------------------------------------------


def _quantization(t: Optional[_Table]) -> Optional[Quantization]:
    if t is None:
        return None
    q = Quantization(
        min=t.vector(0, "<f4"),
        max=t.vector(1, "<f4"),
        scale=t.vector(2, "<f4"),
        zero_point=t.vector(3, "<i8"),
        quantized_dimension=t.scalar(6, "i"),
    )
    if q.scale is None or q.scale.size == 0:
        return None  # not quantized
    return q


def _ints(v: Optional[np.ndarray]) -> list[int]:
    return [] if v is None else [int(x) for x in v]


def read_tflite(path_or_bytes) -> Model:
    if isinstance(path_or_bytes, (bytes, bytearray)):
        buf = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            buf = f.read()
    if buf[4:8] != b"TFL3":
        raise ValueError("not a TFLite file (missing TFL3 identifier)")
    root = _Table(buf, struct.unpack_from("<I", buf, 0)[0])

    # Model{version:0, operator_codes:1, subgraphs:2, description:3, buffers:4}
    version = root.scalar(0, "I")
    opcodes = []
    for oc in root.tables(1):
        # OperatorCode{deprecated_builtin_code:0 (int8), custom_code:1, version:2, builtin_code:3 (int32)}
        code = max(oc.scalar(0, "b"), oc.scalar(3, "i"))
        custom = oc.string(1)
        opcodes.append((code, custom))

    buffers = []
    for b in root.tables(4):
        # Buffer{data:0 [ubyte], offset:1, size:2} (offset/size = data stored after the flatbuffer)
        data = b.vector(0, "u1")
        if data is None:
            off, size = b.scalar(1, "Q"), b.scalar(2, "Q")
            if off > 1:
                data = np.frombuffer(buf, dtype="u1", count=size, offset=off)
        buffers.append(data)

    subgraphs = []
    for sgt in root.tables(2):
        # SubGraph{tensors:0, inputs:1, outputs:2, operators:3, name:4}
        tensors = []
        for i, tt in enumerate(sgt.tables(0)):
            # Tensor{shape:0, type:1, buffer:2, name:3, quantization:4}
            shp = tt.vector(0, "<i4")
            t = Tensor(
                index=i,
                name=tt.string(3) or f"tensor_{i}",
                shape=tuple(int(v) for v in shp) if shp is not None else (),
                type=tt.scalar(1, "b"),
                buffer=tt.scalar(2, "I"),
                quantization=_quantization(tt.table(4)),
            )
            raw = buffers[t.buffer] if t.buffer < len(buffers) else None
            if raw is not None and raw.size > 0:
                t.data = np.frombuffer(raw.tobytes(), dtype=t.dtype).reshape(t.shape)
            tensors.append(t)

        operators = []
        for i, ot in enumerate(sgt.tables(3)):
            # Operator{opcode_index:0, inputs:1, outputs:2, builtin_options_type:3, builtin_options:4}
            code, custom = opcodes[ot.scalar(0, "I")]
            name = custom if code == 32 and custom else BUILTIN_OPS.get(code, f"BUILTIN_{code}")
            opt_type = ot.scalar(3, "B")
            options: dict[str, Any] = {}
            if opt_type in BUILTIN_OPTIONS:
                opt_table = ot.table(4)
                if opt_table is not None:
                    options = BUILTIN_OPTIONS[opt_type][1](opt_table)
            elif opt_type != 0:
                options = {"_unparsed_options_type": opt_type}
            operators.append(
                Operator(
                    index=i,
                    opcode=code,
                    opcode_name=name,
                    inputs=_ints(ot.vector(1, "<i4")),
                    outputs=_ints(ot.vector(2, "<i4")),
                    options=options,
                )
            )

        subgraphs.append(
            SubGraph(
                name=sgt.string(4),
                tensors=tensors,
                inputs=_ints(sgt.vector(1, "<i4")),
                outputs=_ints(sgt.vector(2, "<i4")),
                operators=operators,
            )
        )

    return Model(version=version, description=root.string(3), subgraphs=subgraphs)


def _summary(path: str) -> None:
    m = read_tflite(path)
    print(f"version {m.version}, description {m.description!r}, {len(m.subgraphs)} subgraph(s)")
    for sg in m.subgraphs:
        ts = sg.tensors

        def desc(i: int) -> str:
            if i < 0:
                return "-"
            t = ts[i]
            q = f" s={t.scale:.6g} z={t.zero_point}" if t.quantization is not None and t.quantization.per_tensor else ""
            c = " const" if t.data is not None else ""
            return f"#{i} {t.name} {t.type_name}{list(t.shape)}{q}{c}"

        print("inputs:", [desc(i) for i in sg.inputs])
        print("outputs:", [desc(i) for i in sg.outputs])
        for op in sg.operators:
            print(f"[{op.index}] {op.opcode_name} {op.options}")
            for i in op.inputs:
                print("    in ", desc(i))
            for i in op.outputs:
                print("    out", desc(i))


if __name__ == "__main__":
    import sys

    _summary(sys.argv[1])
