#!/usr/bin/python3
"""The script a user would write instead of Phototag, as the benchmark's baseline.

    /usr/bin/python3 test/bench/baseline.py --model-dir models/resnet56-cifar10 (--folder DIR | --list FILE)
                                            [--limit N] [--json]

One photo at a time, the plain way: Pillow opens it, applies the EXIF orientation and converts it to RGB,
resizes it as the model's manifest says (plain resize, or shorter side then center crop), normalises it,
torch runs the model, softmax, top 5. Uses Debian's python3-torch, python3-pil and python3-numpy, and the
torch definition of the CIFAR-10 ResNets in models/build/resnet_cifar.py with the upstream checkpoint
(the other models have no torch definition here: MobileNetV2 exists only as TFLite).

The timing covers the photos only, not Python's start-up, the imports or loading the model, just as the
Node benchmark does not count starting its classifier worker. Prints a summary on stderr; with --json,
one JSON object on the last line of stdout: photos, failed, seconds, photos_per_second, torch_threads,
versions, and per photo its path and top-5 labels.
"""

import argparse
import glob
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(os.path.dirname(os.path.dirname(HERE)), "models", "build")
EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp"}


def photo_files(args):
    if args.list:
        with open(args.list, encoding="utf-8") as f:
            files = [line.rstrip("\n") for line in f if line.strip()]
    else:
        files = []
        for folder, subfolders, names in os.walk(args.folder):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            files += [os.path.join(folder, n) for n in sorted(names) if os.path.splitext(n)[1].lower() in EXTENSIONS]
    return files[: args.limit] if args.limit else files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, help="a models/<id> folder holding manifest.json")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--folder", help="tag every photo under this folder")
    source.add_argument("--list", help="a file naming one photo per line")
    parser.add_argument("--limit", type=int, default=0, help="only the first N photos")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with open(os.path.join(args.model_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    match = re.fullmatch(r"resnet(\d+)-cifar10", manifest["id"])
    if not match:
        sys.exit(f"baseline.py: there is no torch definition of {manifest['id']}; only the CIFAR-10 ResNets have one.")
    depth = int(match.group(1))
    checkpoints = glob.glob(os.path.join(BUILD, "upstream", "akamaster-resnet-cifar10", f"resnet{depth}-*.th"))
    if len(checkpoints) != 1:
        sys.exit(f"baseline.py: cannot find the checkpoint of ResNet-{depth} under models/build/upstream.")

    import numpy as np
    import PIL
    import torch
    from PIL import Image, ImageOps

    sys.path.insert(0, BUILD)
    from resnet_cifar import CIFAR10_CLASSES, resnet_cifar

    model = resnet_cifar(depth, checkpoints[0])
    spec = manifest["input"]
    width, height = spec["width"], spec["height"]
    mean = np.array(spec["mean"], dtype=np.float32)
    std = np.array(spec["std"], dtype=np.float32)
    channels = [0, 1, 2] if spec["colorOrder"] == "RGB" else [2, 1, 0]

    def model_input(path):
        image = Image.open(path)
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
        if spec["resize"]["policy"] == "stretch":
            image = image.resize((width, height))
        else:
            factor = spec["resize"]["shorterSide"] / min(image.size)
            w, h = max(width, round(image.width * factor)), max(height, round(image.height * factor))
            image = image.resize((w, h))
            left, top = (w - width) // 2, (h - height) // 2
            image = image.crop((left, top, left + width, top + height))
        pixels = (np.asarray(image, dtype=np.float32)[:, :, channels] * spec["scale"] - mean) / std
        if spec["layout"] == "NCHW":
            pixels = pixels.transpose(2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(pixels)).unsqueeze(0)

    files = photo_files(args)
    results = []
    failed = 0
    start = time.perf_counter()
    with torch.no_grad():
        for path in files:
            try:
                logits, _features = model(model_input(path))
                probabilities = torch.softmax(logits[0], dim=0)
                scores, indices = torch.topk(probabilities, 5)
                labels = [[CIFAR10_CLASSES[i], float(s)] for s, i in zip(scores.tolist(), indices.tolist())]
                results.append({"path": path, "labels": labels})
            except Exception as error:  # a broken photo is reported and the run goes on
                failed += 1
                results.append({"path": path, "error": str(error)})
    seconds = time.perf_counter() - start

    rate = len(files) / seconds if seconds > 0 else 0.0
    print(
        f"baseline: {len(files)} photos ({failed} failed) in {seconds:.1f} s = {rate:.2f} photos/s "
        f"({manifest['id']}, torch {torch.__version__} with {torch.get_num_threads()} thread(s))",
        file=sys.stderr,
    )
    if args.json:
        summary = {
            "model": manifest["id"],
            "photos": len(files),
            "failed": failed,
            "seconds": seconds,
            "photos_per_second": rate,
            "torch_threads": torch.get_num_threads(),
            "versions": {
                "python": ".".join(map(str, sys.version_info[:3])),
                "pillow": PIL.__version__,
                "torch": torch.__version__,
                "numpy": np.__version__,
            },
            "results": results,
        }
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
