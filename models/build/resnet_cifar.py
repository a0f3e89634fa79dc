"""ResNet for CIFAR-10 (He et al. 2016, "Deep Residual Learning for Image Recognition", section 4.2).

Our own definition, written to match the layout of the pretrained weights from
akamaster/pytorch_resnet_cifar10 (see upstream/akamaster-resnet-cifar10/SOURCE.md):

    conv3x3(3 -> 16) - BN - ReLU
    stage 1: n BasicBlocks, 16 channels, stride 1
    stage 2: n BasicBlocks, 32 channels, stride 2 at the first block
    stage 3: n BasicBlocks, 64 channels, stride 2 at the first block
    global average pool -> 64-d features -> Linear(64, 10)

depth = 6n + 2 (ResNet-20: n=3, ResNet-56: n=9). Shortcuts are "option A": identity, and on a
downsampling block x[:, :, ::2, ::2] zero-padded with planes // 4 channels on each side
(parameter-free).

The state-dict key names (conv1, bn1, layer1..3.<i>.conv1/bn1/conv2/bn2, linear) are those of the
upstream checkpoints once the 'module.' prefix (from nn.DataParallel) is stripped.
"""

import hashlib
import os
import re
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

DEPTHS = (20, 32, 44, 56, 110, 1202)


class ShortcutA(nn.Module):
    """Option-A shortcut: subsample spatially by 2 and zero-pad the channel dimension."""

    def __init__(self, pad):
        super().__init__()
        self.pad = pad

    def forward(self, x):
        # Same as F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad)) as in the upstream code, written as a
        # concatenation with zeros: torch 1.13 exports F.pad as a Pad whose pads come from an unfolded
        # Slice/Transpose subgraph, which hides the channel count from ONNX shape inference.
        y = x[:, :, ::2, ::2]
        zeros = torch.zeros_like(y[:, : self.pad])
        return torch.cat((zeros, y, zeros), dim=1)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        if stride != 1 or in_planes != planes:
            self.shortcut = ShortcutA(planes // 4)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCifar(nn.Module):
    def __init__(self, depth, num_classes=10):
        super().__init__()
        if (depth - 2) % 6 != 0:
            raise ValueError(f"depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        self.depth = depth
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_stage(16, n, stride=1)
        self.layer2 = self._make_stage(32, n, stride=2)
        self.layer3 = self._make_stage(64, n, stride=2)
        self.linear = nn.Linear(64, num_classes)

    def _make_stage(self, planes, n, stride):
        blocks = []
        for s in [stride] + [1] * (n - 1):
            blocks.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*blocks)

    def forward_features(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        # Global average pool over the (8x8 for 32x32 input) map -> [N, 64].
        return out.mean(dim=(2, 3))

    def forward(self, x):
        """Returns (logits [N, 10], features [N, 64])."""
        features = self.forward_features(x)
        return self.linear(features), features


def _torch_load(path):
    # The upstream files are legacy (non-zip) pickles whose top level holds a Python float
    # (best_prec1); torch 1.13's weights_only unpickler rejects them, so a full unpickle is needed.
    # Only load files we vendor: when the name carries a hash prefix ("resnet20-12fca82f.th", the
    # torchvision/hub convention) check it against the file's sha256 first.
    m = re.search(r"-([0-9a-f]{8,64})\.th$", os.path.basename(path))
    if m:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if not digest.startswith(m.group(1)):
            raise ValueError(f"{path}: sha256 {digest} does not start with {m.group(1)}")
    return torch.load(path, map_location="cpu")


def load_checkpoint_state_dict(path):
    """Reads an upstream checkpoint: legacy torch pickle {'best_prec1', 'state_dict'} with 'module.' keys."""
    ckpt = _torch_load(path)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError(f"{path}: expected a dict with 'state_dict', got {type(ckpt).__name__}")
    state = OrderedDict()
    for key, value in ckpt["state_dict"].items():
        if not key.startswith("module."):
            raise ValueError(f"{path}: unexpected key without 'module.' prefix: {key}")
        state[key[len("module."):]] = value
    return state, ckpt.get("best_prec1")


def resnet_cifar(depth, checkpoint=None):
    """Builds ResNet-<depth> for CIFAR-10; loads the checkpoint strictly if given. Returns the model in eval mode."""
    model = ResNetCifar(depth)
    if checkpoint is not None:
        state, _ = load_checkpoint_state_dict(checkpoint)
        # The checkpoints predate BatchNorm's num_batches_tracked buffer. It is unused in eval mode
        # (momentum is set), so fill it in; every other key must match exactly.
        own = model.state_dict()
        for key, value in own.items():
            if key.endswith(".num_batches_tracked") and key not in state:
                state[key] = torch.zeros_like(value)
        model.load_state_dict(state, strict=True)
    return model.eval()


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
