"""The built-in strategies, registered by name.

The three strategies of the design: one shared space (``shared``, the same as ``hybrid``:
images by their image vectors), everything as text (``text``), and per-modality
retrievers fused (``fusion``); ``average`` searches images by the mean of both vectors.
``hybrid-rrf``, ``hybrid-weighted``, ``dense`` and ``bm25`` (``BASELINES``) are the
baselines evaluations compare against.
"""

from __future__ import annotations

from . import Retriever, StrategyContext, strategies
from .alt_vectors import AltVectorRetriever
from .hybrid import HybridRetriever
from .modality_fusion import ModalityFusionRetriever
from .single import BM25Retriever, DenseRetriever

# Kept to measure the others against: they rank by raw or rank-fused scores, which do not
# compare across modalities (an image's cosine is not a text's), so no calibrated relevance
BASELINES = ("hybrid-rrf", "hybrid-weighted", "dense", "bm25")


@strategies.register("shared")
@strategies.register("hybrid")  # listed first: the baseline of every evaluation
def hybrid(ctx: StrategyContext) -> Retriever:
    return HybridRetriever(ctx.store, ctx.embedder, **ctx.hybrid_options())


@strategies.register("hybrid-rrf")
def hybrid_rrf(ctx: StrategyContext) -> Retriever:
    """Hybrid fused by reciprocal rank, to compare with the default in evaluation."""
    return HybridRetriever(ctx.store, ctx.embedder, **ctx.hybrid_options(method="rrf"))


@strategies.register("hybrid-weighted")
def hybrid_weighted(ctx: StrategyContext) -> Retriever:
    """Hybrid fused by the 0.5/0.5 weighted sum of min-max scores (the default before
    calibrated relevance), to compare with it in evaluation."""
    return HybridRetriever(ctx.store, ctx.embedder, **ctx.hybrid_options(method="weighted"))


@strategies.register("text")
def as_text(ctx: StrategyContext) -> Retriever:
    return AltVectorRetriever(ctx.store, ctx.embedder, "text", ctx.capabilities.alt,
                              hybrid=ctx.hybrid_options())


@strategies.register("average")
def average(ctx: StrategyContext) -> Retriever:
    return AltVectorRetriever(ctx.store, ctx.embedder, "average", ctx.capabilities.alt,
                              hybrid=ctx.hybrid_options())


@strategies.register("fusion")
def fusion(ctx: StrategyContext) -> Retriever:
    return ModalityFusionRetriever(
        ctx.store, ctx.embedder, method=ctx.fusion.get("method", "calibrated"),
        weights=ctx.fusion.get("weights", {}), hybrid=ctx.hybrid_options(),
    )


@strategies.register("dense")
def dense(ctx: StrategyContext) -> Retriever:
    return DenseRetriever(ctx.store, ctx.embedder)


@strategies.register("bm25")
def bm25(ctx: StrategyContext) -> Retriever:
    return BM25Retriever(ctx.store)
