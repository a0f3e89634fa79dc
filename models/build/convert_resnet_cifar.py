#!/usr/bin/python3
"""Converts the pretrained CIFAR-10 ResNet-20 / ResNet-56 (akamaster/pytorch_resnet_cifar10) to ONNX.

    /usr/bin/python3 models/build/convert_resnet_cifar.py [--depth 20|56] [--out DIR]

For each depth writes DIR/resnet<depth>-cifar10/model.onnx (DIR defaults to the repository's models/)
and sets "size" and "sha256" in DIR/resnet<depth>-cifar10/manifest.json (created from the template
below when missing; other fields of an existing manifest are left as they are).

The ONNX graph (opset 13, eval mode, BatchNorm folded into the convolutions by the exporter):
    input    float32 [N, 3, 32, 32]  normalised RGB, N dynamic
    logits   float32 [N, 10]         CIFAR-10 class scores (airplane ... truck), before softmax
    features float32 [N, 64]         global-average-pooled vector fed to the final Linear layer

Output is byte-for-byte reproducible for a given torch/onnx install: the model is exported from
fixed weights, then doc strings (which hold source paths) are stripped before serialising.

Needs: Debian python3-torch (CPU) and python3-onnx. Reads only files under models/build/.
"""

import argparse
import copy
import hashlib
import io
import json
import os
import sys

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from resnet_cifar import CIFAR10_CLASSES, count_parameters, resnet_cifar  # noqa: E402

UPSTREAM = os.path.join(HERE, "upstream", "akamaster-resnet-cifar10")
MODELS_DIR = os.path.dirname(HERE)
OPSET = 13

CHECKPOINTS = {
    20: "resnet20-12fca82f.th",
    56: "resnet56-4bfd9763.th",
}

ATTRIBUTION = (
    "Pretrained weights by Yerlan Idelbayev, akamaster/pytorch_resnet_cifar10 "
    "(commit d5489e8995e81e91ce6b1d69dcc98ad579b0b153), BSD 2-Clause License."
)


# What the app says of these models wherever it lists them: they are no model to tag photos with.
DEMO_NOTE = (
    "A demonstration model: it knows only the 10 CIFAR-10 classes (airplane, automobile, bird, cat, deer, dog, "
    "frog, horse, ship, truck), seen at 32x32 pixels, so it calls every photo one of them, often with full "
    "confidence."
)


def manifest_template(depth):
    return {
        "id": f"resnet{depth}-cifar10",
        "name": f"ResNet-{depth} (CIFAR-10)",
        "version": "1",
        "architecture": f"ResNet-{depth} for CIFAR (He et al. 2016, option A shortcuts)",
        "labelSet": "cifar-10",
        "demo": DEMO_NOTE,
        "file": "model.onnx",
        "size": 0,
        "sha256": "0" * 64,
        "input": {
            "name": "input",
            "width": 32,
            "height": 32,
            "layout": "NCHW",
            "colorOrder": "RGB",
            # "stretch" (whole frame squashed to 32x32) was compared with "shorter-side-center-crop"
            # (shorterSide 32) on the sample photos: same top-1 results, and stretch gave the
            # expected class more probability with both depths. At 32x32 keeping the whole frame
            # matters more than keeping the aspect ratio.
            "resize": {"policy": "stretch"},
            "scale": 1 / 255,
            "mean": [0.485, 0.456, 0.406],
            "std": [0.229, 0.224, 0.225],
        },
        "output": {"name": "logits", "kind": "logits", "backgroundClass": False, "features": "features"},
        "license": {"name": "BSD-2-Clause", "attribution": ATTRIBUTION},
        "source": f"Converted by models/build/convert_resnet_cifar.py from {CHECKPOINTS[depth]}.",
    }


class _Export(torch.nn.Module):
    """Wraps the model so the exported graph has exactly the two named outputs."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        logits, features = self.model(x)
        return logits, features


def export_onnx_bytes(model):
    torch.manual_seed(0)
    dummy = torch.zeros(1, 3, 32, 32, dtype=torch.float32)
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            _Export(model).eval(),
            dummy,
            buf,
            opset_version=OPSET,
            input_names=["input"],
            output_names=["logits", "features"],
            dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}, "features": {0: "N"}},
            do_constant_folding=True,
            training=torch.onnx.TrainingMode.EVAL,
            export_params=True,
        )
    proto = onnx.load_from_string(buf.getvalue())
    return canonicalize(proto)


def canonicalize(proto):
    """Removes run-dependent text so two exports serialise identically."""
    proto = copy.deepcopy(proto)
    proto.doc_string = ""
    proto.graph.doc_string = ""
    for node in proto.graph.node:
        node.doc_string = ""
    for tensor in proto.graph.initializer:
        tensor.doc_string = ""
    for value in list(proto.graph.input) + list(proto.graph.output) + list(proto.graph.value_info):
        value.doc_string = ""
    del proto.metadata_props[:]
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def check_graph(data, depth):
    proto = onnx.load_from_string(data)
    graph = proto.graph
    initializer_names = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializer_names]

    def shape(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    got = {
        "inputs": [(i.name, shape(i)) for i in inputs],
        "outputs": [(o.name, shape(o)) for o in graph.output],
    }
    want = {
        "inputs": [("input", ["N", 3, 32, 32])],
        "outputs": [("logits", ["N", 10]), ("features", ["N", 64])],
    }
    if got != want:
        raise SystemExit(f"resnet{depth}: unexpected graph signature {got}, want {want}")
    for value in list(inputs) + list(graph.output):
        if value.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise SystemExit(f"resnet{depth}: {value.name} is not float32")
    if [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")] != [OPSET]:
        raise SystemExit(f"resnet{depth}: unexpected opset {proto.opset_import}")


def format_json(value, indent=0, prefix_len=0, width=120):
    """json.dumps(indent=2), except objects/arrays holding only scalars go on one line when they fit
    (the style of the hand-written manifests: "mean": [0.485, 0.456, 0.406], "resize": { ... })."""
    def scalar(v):
        return json.dumps(v, ensure_ascii=False)

    if isinstance(value, dict) and value:
        items = list(value.items())
        if all(not isinstance(v, (dict, list)) for _, v in items):
            one = "{ " + ", ".join(f"{scalar(k)}: {scalar(v)}" for k, v in items) + " }"
            if indent + prefix_len + len(one) + 1 <= width:
                return one
        pad = " " * (indent + 2)
        parts = []
        for k, v in items:
            key = f"{scalar(k)}: "
            parts.append(pad + key + format_json(v, indent + 2, len(key), width))
        return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        if all(not isinstance(v, (dict, list)) for v in value):
            one = "[" + ", ".join(scalar(v) for v in value) + "]"
            if indent + prefix_len + len(one) + 1 <= width:
                return one
        pad = " " * (indent + 2)
        return "[\n" + ",\n".join(pad + format_json(v, indent + 2, 0, width) for v in value) + "\n" + " " * indent + "]"
    return scalar(value)


def write_manifest(path, depth, size, sha256):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    else:
        manifest = manifest_template(depth)
    manifest["size"] = size
    manifest["sha256"] = sha256
    text = format_json(manifest) + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def convert(depth, out_dir):
    checkpoint = os.path.join(UPSTREAM, CHECKPOINTS[depth])
    model = resnet_cifar(depth, checkpoint)
    data = export_onnx_bytes(model)
    check_graph(data, depth)

    folder = os.path.join(out_dir, f"resnet{depth}-cifar10")
    os.makedirs(folder, exist_ok=True)
    onnx_path = os.path.join(folder, "model.onnx")
    tmp = onnx_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, onnx_path)

    sha256 = hashlib.sha256(data).hexdigest()
    manifest_path = os.path.join(folder, "manifest.json")
    write_manifest(manifest_path, depth, len(data), sha256)
    print(
        f"resnet{depth}-cifar10: {count_parameters(model)} parameters from {CHECKPOINTS[depth]}\n"
        f"  wrote {_show(onnx_path)} ({len(data)} bytes, sha256 {sha256})\n"
        f"  updated {_show(manifest_path)}"
    )


def _show(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, choices=sorted(CHECKPOINTS), action="append",
                        help="depth to convert (repeatable); default: all")
    parser.add_argument("--out", default=MODELS_DIR,
                        help="folder that holds the resnet<depth>-cifar10/ model folders (default: models/)")
    args = parser.parse_args(argv)
    assert len(CIFAR10_CLASSES) == 10
    torch.set_num_threads(1)
    for depth in args.depth or sorted(CHECKPOINTS):
        convert(depth, args.out)


if __name__ == "__main__":
    main()
