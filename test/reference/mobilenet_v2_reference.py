#!/usr/bin/python3
"""Independent numpy reference for the uint8-quantized TFLite MobileNetV2 classifiers.

    /usr/bin/python3 test/reference/mobilenet_v2_reference.py \
        --tflite models/build/upstream/coral-mobilenet-v2/mobilenet_v2_1.0_224_quant.tflite \
        --input X.f32 --batch N [--features]

X.f32: raw little-endian float32 [N,224,224,3] (NHWC, RGB, (pixel-128)/128).
Prints one JSON object: {"probabilities": [[one float per output] x N]} (plus
"features" [[1280 floats] x N] with --features).

It interprets the TFLite graph directly, in NHWC, with float64 math on the
dequantized weights and biases; after each op the result goes through the fused
activation in float and is then fake-quantized onto the output tensor's uint8
grid (round, clamp to 0..255, dequantize). The softmax is computed in float on
the dequantized logits and NOT re-quantized. It uses models/build/tflite_reader.py
for parsing only; it shares no code with the ONNX converter and does not use onnx.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "models", "build"))
from tflite_reader import read_tflite  # noqa: E402


def fake_quant(x: np.ndarray, tensor) -> np.ndarray:
    s, z = tensor.scale, tensor.zero_point
    q = np.clip(np.round(x / s) + z, 0, 255)
    return (q - z) * s


def dequant(tensor) -> np.ndarray:
    zp = tensor.zero_point if tensor.quantization is not None else 0
    s = tensor.scale if tensor.quantization is not None else 1.0
    return (tensor.data.astype(np.float64) - zp) * s


def activation(x: np.ndarray, act: str) -> np.ndarray:
    if act == "NONE":
        return x
    if act == "RELU":
        return np.maximum(x, 0)
    if act == "RELU6":
        return np.clip(x, 0, 6)
    if act == "RELU_N1_TO_1":
        return np.clip(x, -1, 1)
    raise NotImplementedError(act)


def pad_same(x: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int = 1, dw: int = 1):
    """Zero-pad an NHWC tensor the TFLite SAME way; returns (padded, out_h, out_w)."""
    n, h, w, c = x.shape
    oh, ow = -(-h // sh), -(-w // sw)
    ph = max((oh - 1) * sh + (kh - 1) * dh + 1 - h, 0)
    pw = max((ow - 1) * sw + (kw - 1) * dw + 1 - w, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    return xp, oh, ow


def windows(x, padding, kh, kw, sh, sw, dh=1, dw=1):
    """Yield (i, j, view) for each kernel tap: view[n, oy, ox, c] = x_padded[n, oy*sh + i*dh, ox*sw + j*dw, c]."""
    if padding == "SAME":
        xp, oh, ow = pad_same(x, kh, kw, sh, sw, dh, dw)
    else:
        xp = x
        oh = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
        ow = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            yield i, j, xp[:, y0 : y0 + (oh - 1) * sh + 1 : sh, x0 : x0 + (ow - 1) * sw + 1 : sw, :]


def conv2d(x, w, b, o):
    """x NHWC, w [O,KH,KW,I] (TFLite layout), im2col + matmul."""
    out_c, kh, kw, in_c = w.shape
    cols = [v for _, _, v in windows(x, o["padding"], kh, kw, o["stride_h"], o["stride_w"],
                                     o["dilation_h_factor"], o["dilation_w_factor"])]
    n, oh, ow, _ = cols[0].shape
    if kh == kw == 1:
        patches = cols[0].reshape(-1, in_c)
    else:
        patches = np.stack(cols, axis=3).reshape(n * oh * ow, kh * kw * in_c)  # (tap, channel) order
    y = patches @ w.reshape(out_c, kh * kw * in_c).T
    if b is not None:
        y = y + b
    return y.reshape(n, oh, ow, out_c)


def depthwise(x, w, b, o):
    """x NHWC, w [1,KH,KW,C*m]; output channel c*m+k uses input channel c."""
    _, kh, kw, oc = w.shape
    m = o["depth_multiplier"]
    if m != 1:
        x = np.repeat(x, m, axis=3)
    acc = None
    for i, j, v in windows(x, o["padding"], kh, kw, o["stride_h"], o["stride_w"],
                           o["dilation_h_factor"], o["dilation_w_factor"]):
        t = v * w[0, i, j, :]
        acc = t if acc is None else acc + t
    return acc + b if b is not None else acc


def average_pool(x, o):
    kh, kw, sh, sw = o["filter_height"], o["filter_width"], o["stride_h"], o["stride_w"]
    ones = np.ones((1,) + x.shape[1:3] + (1,))
    total, count = 0.0, 0.0
    for (_, _, v), (_, _, c) in zip(windows(x, o["padding"], kh, kw, sh, sw), windows(ones, o["padding"], kh, kw, sh, sw)):
        total = total + v
        count = count + c  # padded pixels do not count (TFLite)
    return total / count


def run(model, images: np.ndarray):
    sg = model.subgraphs[0]
    T = sg.tensors
    vals = {}
    (inp,) = sg.inputs
    vals[inp] = fake_quant(images.astype(np.float64), T[inp])
    pooled = None
    for op in sg.operators:
        name, o = op.opcode_name, op.options
        ins = op.inputs
        out = T[op.outputs[0]]
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            x = vals[ins[0]]
            w = dequant(T[ins[1]])
            b = dequant(T[ins[2]]) if len(ins) > 2 and ins[2] >= 0 else None
            y = conv2d(x, w, b, o) if name == "CONV_2D" else depthwise(x, w, b, o)
            y = fake_quant(activation(y, o["fused_activation_function"]), out)
        elif name == "ADD":
            y = fake_quant(activation(vals[ins[0]] + vals[ins[1]], o["fused_activation_function"]), out)
        elif name == "AVERAGE_POOL_2D":
            y = fake_quant(activation(average_pool(vals[ins[0]], o), o["fused_activation_function"]), out)
            pooled = y
        elif name == "FULLY_CONNECTED":
            x = vals[ins[0]]
            w = dequant(T[ins[1]])  # [units, depth]
            b = dequant(T[ins[2]]) if len(ins) > 2 and ins[2] >= 0 else 0.0
            y = x.reshape(x.shape[0], w.shape[1]) @ w.T + b
            y = fake_quant(activation(y, o["fused_activation_function"]), out)
        elif name == "RESHAPE":
            x = vals[ins[0]]
            shape = list(out.shape)
            shape[0] = x.shape[0]  # batch
            y = fake_quant(x.reshape(shape), out)
        elif name == "SOFTMAX":
            z = vals[ins[0]] * o.get("beta", 1.0)
            z = z - z.max(axis=-1, keepdims=True)
            e = np.exp(z)
            y = e / e.sum(axis=-1, keepdims=True)  # float, not re-quantized
        else:
            raise NotImplementedError(name)
        vals[op.outputs[0]] = y
    probs = vals[sg.outputs[0]]
    feats = None if pooled is None else pooled.reshape(pooled.shape[0], -1)
    return probs, feats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="numpy reference of the quantized TFLite MobileNetV2")
    ap.add_argument("--tflite", required=True)
    ap.add_argument("--input", required=True, help="raw little-endian float32 [N,224,224,3]")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--features", action="store_true", help="also print the pooled features")
    args = ap.parse_args(argv)

    model = read_tflite(args.tflite)
    in_shape = model.subgraphs[0].tensors[model.subgraphs[0].inputs[0]].shape
    x = np.fromfile(args.input, dtype="<f4")
    per = int(np.prod(in_shape[1:]))
    if x.size != args.batch * per:
        raise SystemExit(f"input has {x.size} floats, expected {args.batch} x {per}")
    x = x.reshape((args.batch,) + tuple(in_shape[1:]))
    probs, feats = run(model, x)
    result = {"probabilities": probs.tolist()}
    if args.features:
        result["features"] = feats.tolist()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
