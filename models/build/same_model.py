#!/usr/bin/python3
"""Says whether two ONNX files hold the same model, whatever the bytes python3-onnx wrote them as.

Run with Debian's Python (apt-get install python3-onnx):
    /usr/bin/python3 models/build/same_model.py REBUILT.onnx COMMITTED.onnx

Another onnx version may serialize the same model differently (field order, raw_data or typed fields for a
tensor, the order of a node's attributes), so a rebuilt model is checked by what it computes from: the IR version
and opsets, the graph's inputs and outputs, its nodes in order (operator, domain, name, inputs, outputs and
attributes, tensors and subgraphs by value), its initializers' names, types, shapes and values (sparse ones too),
its value_info and the model's local functions. The producer's name and doc strings are left out. Exits 0 when they are the same, 1 naming the first difference.
"""
from __future__ import annotations

import sys

import onnx
from onnx import helper, numpy_helper


def tensor_facts(tensor: onnx.TensorProto):
    values = numpy_helper.to_array(tensor)
    # Strings come as an object array, whose bytes are the strings' addresses: compare the strings themselves.
    if values.dtype == object:
        return (tensor.name, values.dtype.str, values.shape, values.tolist())
    # Bit for bit, so that NaNs and -0.0 count as what they are.
    return (tensor.name, values.dtype.str, values.shape, values.tobytes())


def sparse_facts(tensor: onnx.SparseTensorProto):
    return (tensor.values.name, list(tensor.dims), tensor_facts(tensor.values), tensor_facts(tensor.indices))


def function_facts(function: onnx.FunctionProto):
    return (
        function.domain,
        function.name,
        list(function.input),
        list(function.output),
        list(function.attribute),
        sorted((o.domain, o.version) for o in function.opset_import),
        [node_facts(n) for n in function.node],
    )


def attribute_value(attribute: onnx.AttributeProto):
    value = helper.get_attribute_value(attribute)
    if isinstance(value, onnx.TensorProto):
        return tensor_facts(value)
    if isinstance(value, onnx.GraphProto):
        return graph_facts(value)
    if isinstance(value, list) and value and isinstance(value[0], onnx.TensorProto):
        return [tensor_facts(t) for t in value]
    if isinstance(value, list) and value and isinstance(value[0], onnx.GraphProto):
        return [graph_facts(g) for g in value]
    return value


def node_facts(node: onnx.NodeProto):
    attributes = {a.name: attribute_value(a) for a in node.attribute}
    return (node.op_type, node.domain, node.name, list(node.input), list(node.output), attributes)


def graph_facts(graph: onnx.GraphProto) -> dict:
    # Messages without tensors compare field by field (protobuf's ==), not by their bytes.
    return {
        "inputs": list(graph.input),
        "outputs": list(graph.output),
        "value_info": sorted(graph.value_info, key=lambda v: v.name),
        "nodes": [node_facts(n) for n in graph.node],
        "initializers": sorted((tensor_facts(t) for t in graph.initializer), key=lambda t: t[0]),
        "sparse_initializers": sorted((sparse_facts(t) for t in graph.sparse_initializer), key=lambda t: t[0]),
    }


def first_difference(a: onnx.ModelProto, b: onnx.ModelProto) -> str | None:
    if a.ir_version != b.ir_version:
        return f"IR version {a.ir_version} against {b.ir_version}"
    opsets = [sorted((o.domain, o.version) for o in m.opset_import) for m in (a, b)]
    if opsets[0] != opsets[1]:
        return f"opsets {opsets[0]} against {opsets[1]}"
    x, y = graph_facts(a.graph), graph_facts(b.graph)
    for key in ("inputs", "outputs", "value_info"):
        if x[key] != y[key]:
            return f"the graph's {key.replace('_', ' ')} differ"
    if len(x["nodes"]) != len(y["nodes"]):
        return f"{len(x['nodes'])} nodes against {len(y['nodes'])}"
    for i, (n, m) in enumerate(zip(x["nodes"], y["nodes"])):
        if n != m:
            return f"node {i} ({n[0]} {n[2]!r}) differs in {node_difference(n, m)}"
    if [t[0] for t in x["initializers"]] != [t[0] for t in y["initializers"]]:
        return "the initializers have other names"
    for s, t in zip(x["initializers"], y["initializers"]):
        if s != t:
            return f"initializer {s[0]!r} holds other values, or of another type or shape"
    if x["sparse_initializers"] != y["sparse_initializers"]:
        return "the sparse initializers differ"
    functions = [sorted((function_facts(f) for f in m.functions), key=lambda f: f[:2]) for m in (a, b)]
    if functions[0] != functions[1]:
        return "the model's local functions differ"
    return None


def node_difference(n, m) -> str:
    for what, p, q in zip(("its operator", "its domain", "its name", "its inputs", "its outputs"), n, m):
        if p != q:
            return f"{what}: {p!r} against {q!r}"
    changed = [k for k in sorted(set(n[5]) | set(m[5])) if n[5].get(k) != m[5].get(k)]
    return "its attributes: " + ", ".join(f"{k} {short(n[5].get(k))} against {short(m[5].get(k))}" for k in changed)


def short(value) -> str:
    """A value as Python writes it, cut short: a tensor's or a subgraph's would run to megabytes."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} A.onnx B.onnx")
    a, b = (onnx.load(path) for path in sys.argv[1:])
    difference = first_difference(a, b)
    if difference:
        print(f"{sys.argv[1]} is not the model {sys.argv[2]} is: {difference}.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
