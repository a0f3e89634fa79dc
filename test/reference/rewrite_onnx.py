#!/usr/bin/python3
"""Writes an ONNX model again, for the tests of models/build/same_model.py.

    /usr/bin/python3 test/reference/rewrite_onnx.py IN OUT --other-bytes
        the same model in other bytes, as another onnx version might write it: every tensor's values in its typed
        fields (float_data, int64_data...) instead of raw_data, every node's attributes in reverse order
    /usr/bin/python3 test/reference/rewrite_onnx.py IN OUT --set NODE ATTRIBUTE VALUE
        another model: the string attribute of the node named NODE set to VALUE
    /usr/bin/python3 test/reference/rewrite_onnx.py IN OUT --add string-constant|function|sparse-initializer
        another model: an unused Constant node holding strings, a local function, or a sparse initializer added
"""
from __future__ import annotations

import sys

import onnx
from onnx import helper, numpy_helper


def typed_fields(tensor: onnx.TensorProto) -> None:
    if not tensor.HasField("raw_data"):
        return
    typed = helper.make_tensor(tensor.name, tensor.data_type, tensor.dims, numpy_helper.to_array(tensor).flatten())
    tensor.CopyFrom(typed)


def other_bytes(model: onnx.ModelProto) -> None:
    for tensor in model.graph.initializer:
        typed_fields(tensor)
    for node in model.graph.node:
        attributes = list(node.attribute)[::-1]
        del node.attribute[:]
        node.attribute.extend(attributes)
        for attribute in node.attribute:
            if attribute.HasField("t"):
                typed_fields(attribute.t)


def set_attribute(model: onnx.ModelProto, node_name: str, name: str, value: str) -> None:
    node = next(n for n in model.graph.node if n.name == node_name)
    attribute = next(a for a in node.attribute if a.name == name)
    attribute.s = value.encode()


def add(model: onnx.ModelProto, what: str) -> None:
    if what == "string-constant":
        strings = helper.make_tensor("phototag/strings", onnx.TensorProto.STRING, [2], [b"bird", b"insect"])
        model.graph.node.append(helper.make_node("Constant", [], ["phototag/strings"], value=strings))
    elif what == "function":
        identity = helper.make_node("Identity", ["x"], ["y"])
        model.functions.append(
            helper.make_function("phototag.test", "Same", ["x"], ["y"], [identity], [helper.make_opsetid("", 13)])
        )
    elif what == "sparse-initializer":
        values = helper.make_tensor("phototag/sparse", onnx.TensorProto.FLOAT, [1], [1.0])
        indices = helper.make_tensor("phototag/sparse_indices", onnx.TensorProto.INT64, [1], [2])
        model.graph.sparse_initializer.append(helper.make_sparse_tensor(values, indices, [4]))
    else:
        sys.exit(__doc__)


def main() -> None:
    source, target, mode, *rest = sys.argv[1:]
    model = onnx.load(source)
    if mode == "--other-bytes":
        other_bytes(model)
    elif mode == "--set":
        set_attribute(model, *rest)
    elif mode == "--add":
        add(model, *rest)
    else:
        sys.exit(__doc__)
    onnx.save(model, target)


if __name__ == "__main__":
    main()
