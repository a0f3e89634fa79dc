#!/usr/bin/python3
"""Builds models/yunet-face/model.onnx: upstream YuNet-n with the letterbox in front of it, in the graph.

Run with Debian's Python (apt-get install python3-onnx):
    /usr/bin/python3 models/build/build_yunet_face.py [--out DIR]

YuNet takes float32 NCHW BGR planes, padded to multiples of 32. Making them in JavaScript (enlarging the 256 px
decode to 640 and laying out 3.7 MB of floats) cost about half as much CPU as the detector itself; the same steps as
operators cost a fraction of it. The built model takes instead
  - `pixels`: uint8, height x width x 3, RGB: the decoded photo as it is;
  - `photo_size`: int64 [height, width]: the size the photo is scaled to (its longer side the manifest's input size);
  - `input_size`: int64 [height, width]: that size rounded up to multiples of 32, which YuNet's outputs are laid out by;
and flips the channels to BGR, lays out planes, scales bilinearly with pixel centres aligned (half_pixel, as
cv2.resize), and pads black to the right and below, into upstream's unchanged graph. Its outputs are upstream's.
The script also writes the new file's size and sha256 into the manifest; running it again changes no byte (with the
same python3-onnx: another may write the same model in other bytes, so the tests compare a rebuild with
same_model.py).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
UPSTREAM = os.path.join(HERE, "upstream", "libfacedetection-yunet", "yunet_n_dynamic.onnx")
MODELS_DIR = os.path.dirname(HERE)
# The name of upstream's input, which the letterbox's last operator now writes.
YUNET_INPUT = "input"


def const(name: str, values, dtype) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def letterbox_nodes() -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    p = "letterbox/"
    initializers = [
        const(p + "bgr", [2, 1, 0], np.int64),
        const(p + "batch_and_channels", [1, 3], np.int64),
        const(p + "no_roi", [], np.float32),
        const(p + "no_scales", [], np.float32),
        const(p + "no_leading_pads", [0, 0, 0, 0, 0, 0], np.int64),
        const(p + "black", 0.0, np.float32),
    ]
    nodes = [
        helper.make_node("Transpose", ["pixels"], [p + "planes"], perm=[2, 0, 1], name=p + "planes"),
        helper.make_node("Gather", [p + "planes", p + "bgr"], [p + "bgr_planes"], axis=0, name=p + "to_bgr"),
        helper.make_node("Unsqueeze", [p + "bgr_planes"], [p + "nchw"], axes=[0], name=p + "batch"),
        helper.make_node("Cast", [p + "nchw"], [p + "float"], to=TensorProto.FLOAT, name=p + "to_float"),
        helper.make_node(
            "Concat", [p + "batch_and_channels", "photo_size"], [p + "sizes"], axis=0, name=p + "sizes"
        ),
        helper.make_node(
            "Resize",
            [p + "float", p + "no_roi", p + "no_scales", p + "sizes"],
            [p + "scaled"],
            mode="linear",
            coordinate_transformation_mode="half_pixel",
            name=p + "scale",
        ),
        helper.make_node("Sub", ["input_size", "photo_size"], [p + "trailing_pads"], name=p + "trailing_pads"),
        helper.make_node(
            "Concat", [p + "no_leading_pads", p + "trailing_pads"], [p + "pads"], axis=0, name=p + "pads"
        ),
        helper.make_node(
            "Pad", [p + "scaled", p + "pads", p + "black"], [YUNET_INPUT], mode="constant", name=p + "pad"
        ),
    ]
    return nodes, initializers


def build(upstream: onnx.ModelProto) -> onnx.ModelProto:
    graph = upstream.graph
    assert [i.name for i in graph.input] == [YUNET_INPUT], [i.name for i in graph.input]
    nodes, initializers = letterbox_nodes()
    inputs = [
        helper.make_tensor_value_info("pixels", TensorProto.UINT8, ["height", "width", 3]),
        helper.make_tensor_value_info("photo_size", TensorProto.INT64, [2]),
        helper.make_tensor_value_info("input_size", TensorProto.INT64, [2]),
    ]
    new_graph = helper.make_graph(
        nodes + list(graph.node),
        graph.name,
        inputs,
        list(graph.output),
        initializer=initializers + list(graph.initializer),
        value_info=list(graph.value_info),
    )
    model = helper.make_model(new_graph, opset_imports=list(upstream.opset_import))
    model.ir_version = upstream.ir_version
    model.producer_name = "phototag models/build/build_yunet_face.py"
    model.doc_string = "YuNet-n (libfacedetection.train yunet_n_dynamic) with its letterbox in the graph."
    onnx.checker.check_model(model)
    return model


def write_manifest(manifest_path: str, data: bytes) -> None:
    with open(manifest_path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r'"size": \d+,', f'"size": {len(data)},', text, count=1)
    text = re.sub(r'"sha256": "[0-9a-f]{64}"', f'"sha256": "{hashlib.sha256(data).hexdigest()}"', text, count=1)
    with open(manifest_path, "w", encoding="utf-8") as f:
        f.write(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=MODELS_DIR, help="models directory to write yunet-face/ into (default: %(default)s)")
    args = ap.parse_args()
    data = build(onnx.load(UPSTREAM)).SerializeToString()
    folder = os.path.join(args.out, "yunet-face")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    manifest = os.path.join(folder, "manifest.json")
    if os.path.exists(manifest):
        write_manifest(manifest, data)
    print(f"yunet-face/model.onnx: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
