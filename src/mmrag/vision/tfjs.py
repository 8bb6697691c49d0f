"""A TF.js graph model (``model.json`` + ``.bin`` shards) converted to ONNX with ``onnx``.

Only what the COCO detector (:mod:`.detector`) needs is converted: the convolutions of a
MobileNetV3 backbone and a CenterNet head (``_FusedConv2D`` with BiasAdd[+Relu], depthwise,
plain ``Conv2D``), element-wise ``Mul``/``Add``/``Relu``/``Relu6``/``Sigmoid``, ``Mean``
(squeeze-excite), ``ResizeBilinear``, ``ConcatV2`` and ``Identity``. The graph is NHWC; the
ONNX one runs NCHW inside, with one transpose at the input and one per output. TF's "SAME"
padding puts the extra pixel at the end, which is ONNX's ``SAME_UPPER``. Weights stored as
float16 (TF.js quantisation) become float32. Any other op is a :class:`ConversionError`
naming it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..errors import ConfigError


class ConversionError(ConfigError):
    """A TF.js model that this converter cannot turn into ONNX."""


DTYPES = {"float32": np.float32, "int32": np.int32}


def read_model(folder: Path, name: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The graph's nodes and its constants (by node name) from ``name.json`` + shards."""
    try:
        spec = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        nodes = spec["modelTopology"]["node"]
        weights: dict[str, np.ndarray] = {}
        for group in spec["weightsManifest"]:
            data = b"".join((folder / p).read_bytes() for p in group["paths"])
            at = 0
            for w in group["weights"]:
                count = int(np.prod(w["shape"])) if w["shape"] else 1
                quant = (w.get("quantization") or {}).get("dtype")
                dtype = np.float16 if quant == "float16" else DTYPES.get(w["dtype"])
                if dtype is None or (quant and quant != "float16"):
                    raise ConversionError(f"{name}: weight {w['name']} has dtype "
                                          f"{w['dtype']}/{quant}; supported: float32, "
                                          f"float16-quantised float32, int32")
                size = count * np.dtype(dtype).itemsize
                if at + size > len(data):
                    raise ConversionError(f"{name}: weight shards end before {w['name']}")
                raw = np.frombuffer(data[at:at + size], dtype=np.dtype(dtype).newbyteorder("<"))
                weights[w["name"]] = raw.astype(DTYPES[w["dtype"]]).reshape(w["shape"])
                at += size
    except ConversionError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConversionError(f"{folder / name}.json: not a readable TF.js graph model "
                              f"({type(exc).__name__}: {exc})") from None
    return nodes, weights


def _attr(node: dict[str, Any], key: str, default: Any = None) -> Any:
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "list" in value:
        items = value["list"]
        if "s" in items:
            return [base64.b64decode(s).decode() for s in items["s"]]
        return [int(i) for i in items.get("i", [])]
    if "b" in value:
        return bool(value["b"])
    if "i" in value:
        return int(value["i"])
    return value


def to_onnx(nodes: list[dict[str, Any]], weights: dict[str, np.ndarray], inputs: str,
            outputs: list[str], size: int) -> Any:
    """An ONNX model computing ``outputs`` (NHWC, as TF.js does) from ``inputs`` [n, size,
    size, 3]; only the nodes those outputs depend on are converted. A fully convolutional
    graph may be converted for another input size than it declares: its fixed resize
    sizes scale with it."""
    onnx = require("onnx", "image", purpose="converting the object detector to ONNX")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    by_name = {n["name"]: n for n in nodes}
    declared = by_name.get(inputs, {}).get("attr", {}).get("shape", {}).get("shape", {})
    dims = [int(d.get("size", -1)) for d in declared.get("dim", [])]
    scale = size / dims[1] if len(dims) == 4 and dims[1] > 0 else 1.0
    out_nodes: list[Any] = []
    inits: list[Any] = []
    done: dict[str, str] = {inputs: "nchw_input"}
    out_nodes.append(helper.make_node("Transpose", ["input"], ["nchw_input"], perm=[0, 3, 1, 2]))

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def value_of(ref: str) -> np.ndarray:
        node = by_name.get(ref.split(":")[0])
        if node is None or node["op"] != "Const" or ref not in weights:
            raise ConversionError(f"expected a constant for {ref}")
        return weights[ref]

    def channel_const(ref: str) -> str:
        v = value_of(ref).astype(np.float32)
        return const(ref, v.reshape(-1, 1, 1) if v.ndim == 1 and v.size > 1 else v)

    def conv(node: dict[str, Any], x: str, depthwise: bool) -> str:
        w = value_of(node["input"][1])
        if depthwise:  # [h, w, c, mult] -> [c * mult, 1, h, w], one group per channel
            kh, kw, c, mult = w.shape
            kernel, groups = w.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw), c
        else:  # HWIO -> OIHW
            kernel, groups = w.transpose(3, 2, 0, 1), 1
        stride = _attr(node, "strides", [1, 1, 1, 1])[1:3]
        dilation = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
        padding = _attr(node, "padding", "VALID")
        fused = _attr(node, "fused_ops", []) or []
        args = [x, const(node["name"] + "/kernel", kernel.astype(np.float32))]
        if fused[:1] == ["BiasAdd"]:
            bias = value_of(node["input"][2]).astype(np.float32)
            args.append(const(node["name"] + "/bias", bias))
        elif fused:
            raise ConversionError(f"{node['name']}: fused ops {fused} are not supported")
        y = node["name"] + ("/conv" if len(fused) > 1 else "")
        out_nodes.append(helper.make_node(
            "Conv", args, [y], kernel_shape=list(kernel.shape[2:]), strides=stride,
            dilations=dilation, group=groups,
            auto_pad="SAME_UPPER" if padding == "SAME" else "VALID"))
        if len(fused) > 1:
            if fused[1:] not in (["Relu"], ["Relu6"]):
                raise ConversionError(f"{node['name']}: fused ops {fused} are not supported")
            activation(fused[1], y, node["name"])
        return node["name"]

    def activation(op: str, x: str, out: str) -> None:
        if op == "Relu6":
            out_nodes.append(helper.make_node(
                "Clip", [x, const(out + "/lo", np.array(0, np.float32)),
                         const(out + "/hi", np.array(6, np.float32))], [out]))
        else:
            out_nodes.append(helper.make_node(op, [x], [out]))

    def emit(ref: str) -> str:
        ref = ref.lstrip("^")
        if ref in done:
            return done[ref]
        node = by_name.get(ref)
        if node is None:
            raise ConversionError(f"the graph has no node {ref!r}")
        op, name = node["op"], node["name"]
        ins = node.get("input", [])
        if op == "Const":
            done[ref] = channel_const(ref)
            return done[ref]
        if op in ("_FusedConv2D", "Conv2D", "FusedDepthwiseConv2dNative",
                  "DepthwiseConv2dNative"):
            out = conv(node, emit(ins[0]), depthwise="Depthwise" in op)
        elif op in ("Mul", "Add", "AddV2", "Sub"):
            onnx_op = {"AddV2": "Add"}.get(op, op)
            out_nodes.append(helper.make_node(onnx_op, [emit(i) for i in ins[:2]], [name]))
            out = name
        elif op in ("Relu", "Relu6", "Sigmoid"):
            activation(op, emit(ins[0]), name)
            out = name
        elif op == "Identity":
            out_nodes.append(helper.make_node("Identity", [emit(ins[0])], [name]))
            out = name
        elif op == "Mean":
            axes = [[0, 2, 3, 1][int(a)] for a in np.atleast_1d(value_of(ins[1]))]
            out_nodes.append(helper.make_node("ReduceMean", [emit(ins[0])], [name], axes=axes,
                                              keepdims=int(_attr(node, "keep_dims", False))))
            out = name
        elif op == "ConcatV2":
            axis = int(value_of(ins[-1]))
            axis = [0, 2, 3, 1][axis % 4]
            out_nodes.append(helper.make_node("Concat", [emit(i) for i in ins[:-1]], [name],
                                              axis=axis))
            out = name
        elif op == "ResizeBilinear":
            hw = np.round(value_of(ins[1]) * scale).astype(np.int64)
            if _attr(node, "align_corners", False):
                mode = "align_corners"
            elif _attr(node, "half_pixel_centers", False):
                mode = "half_pixel"
            else:
                mode = "asymmetric"
            sizes = const(name + "/sizes", np.array([1, 0, *hw], np.int64))
            shape = name + "/shape"
            out_nodes.append(helper.make_node("Shape", [emit(ins[0])], [shape]))
            full = name + "/full"
            # keep N and C from the input, take H and W from the TF sizes
            out_nodes.append(helper.make_node(
                "Max", [helper_mask(shape, name), sizes], [full]))
            out_nodes.append(helper.make_node(
                "Resize", [emit(ins[0]), "", "", full], [name], mode="linear",
                coordinate_transformation_mode=mode))
            out = name
        else:
            raise ConversionError(f"TF.js op {op} ({name}) is not supported by this converter")
        done[ref] = out
        return out

    def helper_mask(shape: str, name: str) -> str:
        """The input's [N, C, 0, 0] (its shape times [1, 1, 0, 0])."""
        masked = name + "/nc"
        out_nodes.append(helper.make_node(
            "Mul", [shape, const(name + "/mask", np.array([1, 1, 0, 0], np.int64))], [masked]))
        return masked

    floats = onnx.TensorProto.FLOAT
    graph_outputs = []
    for i, ref in enumerate(outputs):
        name = f"output{i}"
        out_nodes.append(helper.make_node("Transpose", [emit(ref)], [name], perm=[0, 2, 3, 1]))
        graph_outputs.append(helper.make_tensor_value_info(name, floats, [1, "h", "w", "c"]))
    graph = helper.make_graph(
        out_nodes, "tfjs", [helper.make_tensor_value_info("input", floats, ["n", size, size, 3])],
        graph_outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="mmrag.vision.tfjs")
    model.ir_version = 8
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ConversionError(f"the converted graph is not valid ONNX: {exc}") from None
    return model
