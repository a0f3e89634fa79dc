#!/usr/bin/python3
"""Convert the uint8-quantized TFLite MobileNetV2 1.0/224 classifiers into QDQ ONNX models.

    /usr/bin/python3 models/build/convert_mobilenet_v2.py [--model ID ...] [--out DIR]

For each model in MODELS (all of them unless --model names some) writes DIR/<id>/model.onnx (DIR defaults to the
repository's models/) and updates `size`, `sha256` and `source` in DIR/<id>/manifest.json (created from the
model's template below when missing). The models:
  * mobilenet-v2-imagenet: ImageNet-1k (1001 outputs, index 0 = background), the embedded default;
  * inat-bird, inat-insect: the iNaturalist bird (965 outputs) and insect (1022 outputs) specialists, whose
    LAST output is background. They end in FULLY_CONNECTED instead of a 1x1 CONV_2D + RESHAPE.

What the ONNX graph computes (opset 13):
  * input  `input`         float32 [N,224,224,3], NHWC RGB, value = (pixel - 128) / 128.
    It is transposed to NCHW and quantized with the TFLite input tensor's
    parameters (scale 1/128, zero point 128), which gives back the pixel exactly.
  * every uint8 TFLite activation tensor becomes QuantizeLinear -> DequantizeLinear
    with that tensor's scale / zero point (one DequantizeLinear per consumer, the
    layout onnxruntime's QDQ fusion expects);
  * weights stay uint8 initializers (+ DequantizeLinear), biases stay int32 with
    scale = input_scale * weight_scale, zero point 0;
  * fused RELU6 (or RELU, RELU_N1_TO_1) becomes a Clip before the QuantizeLinear,
    except where TFLite's quantized clamp range is the whole uint8 range of the
    output tensor: then the QuantizeLinear saturation is exactly the TFLite clamp
    and the Clip is left out (this is the case for every ReLU6 in these models);
  * FULLY_CONNECTED becomes Flatten (on the uint8 tensor) -> DequantizeLinear -> Gemm
    with the [units, depth] weights as B (transB = 1), then QuantizeLinear;
  * output `probabilities` float32 [N,classes]: float softmax of the dequantized
    logits (the TFLite model re-quantizes it to 1/256 steps; we do not), in the
    TFLite output order, background included where the model has one;
  * output `features` float32 [N,1280]: the dequantized output of the global
    average pool (the input of the final classifier layer).

The output is deterministic: same input file -> byte-identical model.onnx (with the same python3-onnx and numpy:
another may write the same model in other bytes, so the tests compare a rebuild with same_model.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tflite_reader import read_tflite  # noqa: E402

UPSTREAM = os.path.join(HERE, "upstream")
MODELS_DIR = os.path.dirname(HERE)
OPSET = 13
CORAL_COMMIT = "104342d2d3480b3e66203073dac24f4e2dbb4c41"

INPUT = OrderedDict(
    [
        ("name", "input"),
        ("width", 224),
        ("height", 224),
        ("layout", "NHWC"),
        ("colorOrder", "RGB"),
        ("resize", OrderedDict([("policy", "shorter-side-center-crop"), ("shorterSide", 256)])),
        ("scale", 1),
        ("mean", [128, 128, 128]),
        ("std", [128, 128, 128]),
    ]
)


def output_spec(background: bool | str) -> OrderedDict:
    return OrderedDict(
        [("name", "probabilities"), ("kind", "probabilities"), ("backgroundClass", background), ("features", "features")]
    )


def apache_license(attribution: str) -> OrderedDict:
    return OrderedDict([("name", "Apache-2.0"), ("attribution", attribution)])


@dataclass(frozen=True)
class ModelSpec:
    tflite: str  # path under models/build/upstream
    classes_doc: str  # what the non-background probabilities are, for the ONNX doc string
    manifest: OrderedDict  # the manifest.json written when the output folder has none


def inat_spec(group: str) -> ModelSpec:
    tflite = f"mobilenet_v2_1.0_224_inat_{group}_quant.tflite"
    return ModelSpec(
        tflite=f"coral-inat-species/{tflite}",
        classes_doc=f"the species of inat_{group}_labels.txt in file order",
        manifest=OrderedDict(
            [
                ("id", f"inat-{group}"),
                ("name", f"iNaturalist {group}s (MobileNetV2 specialist)"),
                ("version", "1"),
                ("architecture", "MobileNetV2 1.0/224, uint8 quantized (converted from TFLite)"),
                ("role", "specialist"),
                # Only on photos the library's model finds to be of the group (its category id is the group).
                ("runsWhen", OrderedDict([("category", group), ("minScore", 0.5)])),
                ("labelSet", f"inat-{group}"),
                ("file", "model.onnx"),
                ("size", 0),
                ("sha256", ""),
                ("input", INPUT),
                ("output", output_spec("last")),
                (
                    "license",
                    apache_license(
                        f"MobileNetV2 1.0/224 iNaturalist {group}s, quantized (uint8), by Google, as published in "
                        f"google-coral/test_data (commit {CORAL_COMMIT}), files {tflite} and "
                        f"inat_{group}_labels.txt, Apache License 2.0."
                    ),
                ),
                ("source", ""),
            ]
        ),
    )


MODELS: OrderedDict[str, ModelSpec] = OrderedDict(
    [
        (
            "mobilenet-v2-imagenet",
            ModelSpec(
                tflite="coral-mobilenet-v2/mobilenet_v2_1.0_224_quant.tflite",
                classes_doc="ImageNet-1k (sorted wnid)",
                manifest=OrderedDict(
                    [
                        ("id", "mobilenet-v2-imagenet"),
                        ("name", "MobileNetV2 (embedded)"),
                        ("version", "1"),
                        ("architecture", "MobileNetV2 1.0/224, uint8 quantized (converted from TFLite)"),
                        ("labelSet", "imagenet-1k"),
                        ("file", "model.onnx"),
                        ("size", 0),
                        ("sha256", ""),
                        ("input", INPUT),
                        ("output", output_spec(True)),
                        ("defaultPriority", 10),
                        (
                            "license",
                            apache_license(
                                "MobileNetV2 1.0/224 quantized (uint8) by Google, as published in google-coral/test_data "
                                f"(commit {CORAL_COMMIT}), Apache License 2.0."
                            ),
                        ),
                        ("source", ""),
                    ]
                ),
            ),
        ),
        ("inat-bird", inat_spec("bird")),
        ("inat-insect", inat_spec("insect")),
    ]
)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def same_pads(in_size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    """TFLite SAME padding: output = ceil(in/stride); the odd pixel goes after."""
    out = -(-in_size // stride)
    eff_k = (k - 1) * dilation + 1
    total = max((out - 1) * stride + eff_k - in_size, 0)
    return total // 2, total - total // 2


def activation_bounds(act: str):
    return {"NONE": None, "RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}[act]


class Converter:
    def __init__(self, model, spec: ModelSpec, tflite_sha256: str):
        self.sg = model.subgraphs[0]
        self.t = self.sg.tensors
        self.spec = spec
        self.tflite_sha256 = tflite_sha256
        self.nodes: list = []
        self.inits: list = []
        self.init_names: set = set()
        self.names: dict[int, str] = {}  # tensor index -> readable base name
        self.q_name: dict[int, str] = {}  # tensor index -> name of its uint8 ONNX tensor
        self.dq_count: dict[int, int] = {}
        self.layout: dict[int, str] = {}  # 4-D activations are NCHW in ONNX
        used: set = set()
        for tensor in self.t:
            base = tensor.name.split(";")[0]
            name = base if base not in used else f"{base}_{tensor.index}"
            used.add(name)
            self.names[tensor.index] = name

    # --- helpers ---------------------------------------------------------

    def init(self, name: str, array: np.ndarray) -> str:
        if name not in self.init_names:
            self.inits.append(numpy_helper.from_array(np.array(array, order="C"), name))
            self.init_names.add(name)
        return name

    def node(self, op: str, inputs: list, outputs: list, name: str, **attrs) -> None:
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def qparams(self, idx: int) -> tuple[str, str]:
        tensor = self.t[idx]
        assert tensor.type_name == "UINT8" and tensor.quantization.per_tensor, tensor.name
        base = self.names[idx]
        s = self.init(f"{base}/scale", np.array(tensor.scale, dtype=np.float32))
        z = self.init(f"{base}/zero_point", np.array(tensor.zero_point, dtype=np.uint8))
        return s, z

    def quantize(self, idx: int, float_name: str) -> None:
        """float ONNX tensor -> QuantizeLinear with the TFLite tensor idx's parameters."""
        s, z = self.qparams(idx)
        out = f"{self.names[idx]}/quantized"
        self.node("QuantizeLinear", [float_name, s, z], [out], f"{self.names[idx]}/QuantizeLinear")
        self.q_name[idx] = out

    def dequantize(self, idx: int, source: str | None = None) -> str:
        """A fresh DequantizeLinear of activation idx (one per consumer), or of `source`, a uint8 tensor holding
        idx's values in another shape."""
        k = self.dq_count.get(idx, 0)
        self.dq_count[idx] = k + 1
        s, z = self.qparams(idx)
        out = f"{self.names[idx]}/dequantized_{k}"
        self.node("DequantizeLinear", [source or self.q_name[idx], s, z], [out], f"{self.names[idx]}/DequantizeLinear_{k}")
        return out

    def const_weight(self, idx: int, array: np.ndarray) -> str:
        tensor = self.t[idx]
        assert tensor.type_name == "UINT8" and tensor.quantization.per_tensor, "per-tensor uint8 weights expected"
        base = self.names[idx]
        q = self.init(f"{base}/quantized", array.astype(np.uint8))
        s, z = self.qparams(idx)
        out = f"{base}/dequantized"
        self.node("DequantizeLinear", [q, s, z], [out], f"{base}/DequantizeLinear")
        return out

    def const_bias(self, idx: int, in_idx: int, w_idx: int) -> str:
        tensor = self.t[idx]
        assert tensor.type_name == "INT32"
        scale = np.float32(self.t[in_idx].scale) * np.float32(self.t[w_idx].scale)
        if tensor.quantization is not None:
            stored = tensor.scale
            assert abs(stored - scale) <= 1e-5 * stored, (tensor.name, stored, scale)
            assert tensor.zero_point == 0
        base = self.names[idx]
        q = self.init(f"{base}/quantized", tensor.data.astype(np.int32))
        s = self.init(f"{base}/scale", np.array(scale, dtype=np.float32))
        z = self.init(f"{base}/zero_point", np.array(0, dtype=np.int32))
        out = f"{base}/dequantized"
        self.node("DequantizeLinear", [q, s, z], [out], f"{base}/DequantizeLinear")
        return out

    def finish(self, op, out_idx: int, float_name: str, act: str) -> None:
        """Apply the fused activation (Clip unless the uint8 saturation already is it), then quantize."""
        bounds = activation_bounds(act)
        if bounds is not None:
            out = self.t[out_idx]
            s, z = out.scale, out.zero_point
            lo, hi = bounds
            # TFLite CalculateActivationRangeQuantized: clamp to [zp + round(lo/s), zp + round(hi/s)] ∩ [0, 255]
            qlo = max(0, z + int(round(lo / s)))
            qhi = 255 if hi is None else min(255, z + int(round(hi / s)))
            if (qlo, qhi) != (0, 255):
                name = f"op{op.index}/{act}"
                cmin = self.init(f"{name}/min", np.array(lo, dtype=np.float32))
                inputs = [float_name, cmin]
                if hi is not None:
                    inputs.append(self.init(f"{name}/max", np.array(hi, dtype=np.float32)))
                clipped = f"{name}/output"
                self.node("Clip", inputs, [clipped], f"{name}/Clip")
                float_name = clipped
        self.quantize(out_idx, float_name)

    def nchw_hw(self, idx: int) -> tuple[int, int]:
        shape = self.t[idx].shape  # TFLite NHWC
        return shape[1], shape[2]

    # --- operators -------------------------------------------------------

    def conv(self, op, depthwise: bool) -> None:
        o = op.options
        x_idx, w_idx = op.inputs[0], op.inputs[1]
        b_idx = op.inputs[2] if len(op.inputs) > 2 else -1
        w = self.t[w_idx].data
        if depthwise:
            # TFLite [1, KH, KW, C*m] -> ONNX [C*m, 1, KH, KW], group = C_in
            cin = self.t[x_idx].shape[3]
            assert w.shape[3] == cin * o["depth_multiplier"]
            w_oihw = w.transpose(3, 0, 1, 2)
            group = cin
        else:
            # TFLite [O, KH, KW, I] -> ONNX [O, I, KH, KW]
            w_oihw = w.transpose(0, 3, 1, 2)
            group = 1
        kh, kw = w_oihw.shape[2], w_oihw.shape[3]
        dh, dw = o["dilation_h_factor"], o["dilation_w_factor"]
        sh, sw = o["stride_h"], o["stride_w"]
        h, wd = self.nchw_hw(x_idx)
        if o["padding"] == "SAME":
            pt, pb = same_pads(h, kh, sh, dh)
            pl, pr = same_pads(wd, kw, sw, dw)
        else:
            pt = pb = pl = pr = 0
        inputs = [self.dequantize(x_idx), self.const_weight(w_idx, w_oihw)]
        if b_idx >= 0:
            inputs.append(self.const_bias(b_idx, x_idx, w_idx))
        out_idx = op.outputs[0]
        y = f"{self.names[out_idx]}/float"
        self.node(
            "Conv",
            inputs,
            [y],
            f"op{op.index}/{'DepthwiseConv' if depthwise else 'Conv'}",
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            dilations=[dh, dw],
            pads=[pt, pl, pb, pr],
            group=group,
        )
        self.finish(op, out_idx, y, o["fused_activation_function"])

    def add(self, op) -> None:
        a, b = op.inputs
        out_idx = op.outputs[0]
        y = f"{self.names[out_idx]}/float"
        self.node("Add", [self.dequantize(a), self.dequantize(b)], [y], f"op{op.index}/Add")
        self.finish(op, out_idx, y, op.options["fused_activation_function"])

    def average_pool(self, op) -> None:
        o = op.options
        x_idx, out_idx = op.inputs[0], op.outputs[0]
        kh, kw, sh, sw = o["filter_height"], o["filter_width"], o["stride_h"], o["stride_w"]
        h, wd = self.nchw_hw(x_idx)
        if o["padding"] == "SAME":
            pt, pb = same_pads(h, kh, sh, 1)
            pl, pr = same_pads(wd, kw, sw, 1)
        else:
            pt = pb = pl = pr = 0
        y = f"{self.names[out_idx]}/float"
        # TFLite averages over the valid (unpadded) pixels only: count_include_pad=0 (ONNX default).
        self.node(
            "AveragePool",
            [self.dequantize(x_idx)],
            [y],
            f"op{op.index}/AveragePool",
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=[pt, pl, pb, pr],
        )
        self.finish(op, out_idx, y, o["fused_activation_function"])

    def fully_connected(self, op) -> None:
        o = op.options
        x_idx, w_idx, out_idx = op.inputs[0], op.inputs[1], op.outputs[0]
        b_idx = op.inputs[2] if len(op.inputs) > 2 else -1
        assert o["weights_format"] == 0, "only DEFAULT (unshuffled) FULLY_CONNECTED weights are supported"
        w = self.t[w_idx].data  # TFLite [units, depth]
        xs, ys = self.t[x_idx].shape, self.t[out_idx].shape
        assert int(np.prod(xs[1:])) == w.shape[1] and list(ys) == [xs[0], w.shape[0]], (xs, w.shape, ys)
        x = self.q_name[x_idx]
        if len(xs) != 2:
            # TFLite reads the input as [-1, depth]. Flattening the uint8 tensor keeps the DequantizeLinear right
            # before the Gemm, where onnxruntime's QDQ fusion looks for it.
            x = f"{self.names[x_idx]}/flattened"
            self.node("Flatten", [self.q_name[x_idx]], [x], f"op{op.index}/Flatten", axis=1)
        inputs = [self.dequantize(x_idx, x), self.const_weight(w_idx, w)]
        if b_idx >= 0:
            inputs.append(self.const_bias(b_idx, x_idx, w_idx))
        y = f"{self.names[out_idx]}/float"
        self.node("Gemm", inputs, [y], f"op{op.index}/FullyConnected", transB=1)
        self.finish(op, out_idx, y, o["fused_activation_function"])

    def reshape(self, op) -> None:
        # Only the classifier squeeze [N,1,1,C] -> [N,C] is supported; it becomes a
        # batch-agnostic Flatten on the uint8 tensor (reshape does not change values).
        x_idx, out_idx = op.inputs[0], op.outputs[0]
        xs, ys = self.t[x_idx].shape, self.t[out_idx].shape
        assert len(xs) == 4 and xs[1] == 1 and xs[2] == 1 and list(ys) == [xs[0], xs[3]], (xs, ys)
        xq, yq = self.t[x_idx], self.t[out_idx]
        assert (xq.scale, xq.zero_point) == (yq.scale, yq.zero_point), "requantizing reshape not supported"
        out = f"{self.names[out_idx]}/quantized"
        self.node("Flatten", [self.q_name[x_idx]], [out], f"op{op.index}/Flatten", axis=1)
        self.q_name[out_idx] = out

    def softmax(self, op, output_name: str) -> None:
        x = self.dequantize(op.inputs[0])
        beta = op.options.get("beta", 1.0)
        if beta != 1.0:
            b = self.init(f"op{op.index}/beta", np.array(beta, dtype=np.float32))
            scaled = f"op{op.index}/scaled_logits"
            self.node("Mul", [x, b], [scaled], f"op{op.index}/Mul")
            x = scaled
        self.node("Softmax", [x], [output_name], f"op{op.index}/Softmax", axis=1)

    # --- whole graph -----------------------------------------------------

    def convert(self) -> onnx.ModelProto:
        sg = self.sg
        assert len(sg.inputs) == 1 and len(sg.outputs) == 1
        in_idx, out_idx = sg.inputs[0], sg.outputs[0]
        in_t = self.t[in_idx]
        assert in_t.type_name == "UINT8" and list(in_t.shape[1:]) == [224, 224, 3]
        assert abs(in_t.scale - 1 / 128) < 1e-9 and in_t.zero_point == 128, "input must be (p-128)/128"

        self.node("Transpose", ["input"], ["input_nchw"], "input/Transpose", perm=[0, 3, 1, 2])
        self.quantize(in_idx, "input_nchw")

        pools = [op for op in sg.operators if op.opcode_name == "AVERAGE_POOL_2D"]
        features_idx = pools[-1].outputs[0]
        fs = self.t[features_idx].shape
        assert fs[1] == 1 and fs[2] == 1, "feature tensor must be globally pooled"

        for op in sg.operators:
            name = op.opcode_name
            if name == "CONV_2D":
                self.conv(op, depthwise=False)
            elif name == "DEPTHWISE_CONV_2D":
                self.conv(op, depthwise=True)
            elif name == "ADD":
                self.add(op)
            elif name == "AVERAGE_POOL_2D":
                self.average_pool(op)
            elif name == "FULLY_CONNECTED":
                self.fully_connected(op)
            elif name == "RESHAPE":
                self.reshape(op)
            elif name == "SOFTMAX":
                assert op.outputs[0] == out_idx, "softmax must be the graph output"
                self.softmax(op, "probabilities")
            else:
                raise NotImplementedError(f"TFLite op {name} (operator {op.index})")
            if op.outputs[0] == features_idx:
                self.node("Flatten", [self.dequantize(features_idx)], ["features"], "features/Flatten", axis=1)

        n_classes = self.t[out_idx].shape[-1]
        n_features = fs[3]
        tflite_name = os.path.basename(self.spec.tflite)
        graph = helper.make_graph(
            self.nodes,
            os.path.splitext(tflite_name)[0],
            inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 224, 224, 3])],
            outputs=[
                helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes]),
                helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", n_features]),
            ],
            initializer=self.inits,
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="phototag convert_mobilenet_v2.py",
            producer_version="1",
            doc_string=(
                f"MobileNetV2 1.0/224 uint8 (QDQ), converted from {tflite_name} "
                f"(sha256 {self.tflite_sha256}). input: float32 NHWC RGB (pixel-128)/128; "
                f"{self.probabilities_doc(n_classes)}; "
                "features = dequantized global-average-pool output."
            ),
        )
        model.ir_version = 7  # opset 13 needs IR >= 7; keep it as low as possible for old runtimes
        onnx.checker.check_model(model)
        return model

    def probabilities_doc(self, n: int) -> str:
        background = self.spec.manifest["output"]["backgroundClass"]
        classes = self.spec.classes_doc
        if background in (True, "first"):
            return f"probabilities[0] = background, 1..{n - 1} = {classes}"
        assert background == "last", background
        return f"probabilities[0..{n - 2}] = {classes}, [{n - 1}] = background"


def update_manifest(path: str, template: OrderedDict, size: int, sha: str, tflite_name: str, tflite_sha: str) -> dict:
    if os.path.exists(path):
        with open(path, "r", encoding="utf-8") as f:
            manifest = json.load(f, object_pairs_hook=OrderedDict)
    else:
        manifest = json.loads(json.dumps(template), object_pairs_hook=OrderedDict)
    manifest["size"] = size
    manifest["sha256"] = sha
    manifest["source"] = (
        f"Converted by models/build/convert_mobilenet_v2.py from {tflite_name} (sha256 {tflite_sha})."
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    # keep short number lists on one line: "mean": [128, 128, 128]
    text = re.sub(r"\[\s*(-?[\d.]+(?:,\s*-?[\d.]+)*)\s*\]", lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return manifest


def build(model_id: str, models_dir: str) -> None:
    spec = MODELS[model_id]
    tflite = os.path.join(UPSTREAM, spec.tflite)
    tflite_sha = sha256_file(tflite)
    model = Converter(read_tflite(tflite), spec, tflite_sha).convert()
    data = model.SerializeToString()

    out = os.path.join(models_dir, model_id)
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "model.onnx")
    tmp = onnx_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, onnx_path)
    sha = hashlib.sha256(data).hexdigest()
    manifest_path = os.path.join(out, "manifest.json")
    update_manifest(manifest_path, spec.manifest, len(data), sha, os.path.basename(tflite), tflite_sha)

    ops: dict[str, int] = {}
    for n in model.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(f"read  {tflite} (sha256 {tflite_sha})")
    print(f"wrote {onnx_path}: {len(data)} bytes, sha256 {sha}")
    print(f"      {len(model.graph.node)} nodes: " + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    print(f"wrote {manifest_path} (size, sha256 updated)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", choices=list(MODELS), help="convert only this model (repeatable)")
    ap.add_argument("--out", default=MODELS_DIR, help="models directory to write <id>/ into (default: %(default)s)")
    args = ap.parse_args(argv)
    for model_id in args.model or MODELS:
        build(model_id, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
