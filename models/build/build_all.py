#!/usr/bin/python3
"""Rebuilds every generated file under models/ from the upstream sources in models/build/upstream.

Run with Debian's Python (apt-get install python3-numpy python3-onnx python3-torch wordnet-base):
    npm run models:build
Each step is deterministic: running it on an unchanged tree changes no byte.
"""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STEPS = ["build_label_sets.py", "convert_mobilenet_v2.py", "convert_resnet_cifar.py", "build_yunet_face.py"]

for step in STEPS:
    print(f"== {step}", flush=True)
    subprocess.run([sys.executable, str(HERE / step)], check=True)
