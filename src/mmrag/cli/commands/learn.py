"""tune and align: the commands that learn from labelled data and save it in the index."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ...errors import ConfigError
from ..shared import emit, open_pipeline


def cmd_tune(args: argparse.Namespace) -> int:
    from ...index import update_manifest, write_lock
    from ...retrieval.hybrid import HybridRetriever
    from ...retrieval.modality_fusion import ModalityFusionRetriever
    from ...tune import read_devset, tune, tune_calibration, tune_hybrid

    rag = open_pipeline(args)
    devset = read_devset(args.devset)
    dense_weight, hybrid_mrr, hybrid_rrf = tune_hybrid(
        HybridRetriever(rag.store, rag.embedder, method="weighted"), devset
    )
    hybrid = {"method": "weighted", "dense_weight": dense_weight}
    retriever = ModalityFusionRetriever(rag.store, rag.embedder, method="weighted", hybrid=hybrid)
    weights, mrr, rrf = tune(retriever, devset)
    model, floor, bar, calibrated = tune_calibration(rag, devset)
    with write_lock(rag.index_dir):
        rag.calibration.refresh()
        current = replace(rag.calibration(), weights=model, floor=floor, topical=bar,
                          tuned=True)
        rag.calibration.current = current
        # the weighted fusions are kept where they rank at least as well as relevance does
        update_manifest(
            rag.index_dir, calibration=current.save(rag.index_dir),
            hybrid=hybrid if hybrid_mrr >= calibrated["mrr@10"] else {"dense_weight": dense_weight,
                                                                     "method": "calibrated"},
            fusion={"method": "weighted", "weights": weights} if mrr >= calibrated["mrr@10"]
            else {"method": "calibrated", "weights": weights})
    data = {"weights": weights, "mrr@10": mrr, "rrf_mrr@10": rrf, "queries": len(devset),
            "hybrid": {"dense_weight": dense_weight, "mrr@10": hybrid_mrr,
                       "rrf_mrr@10": hybrid_rrf},
            "calibration": {"weights": model, "floor": floor, "topical": bar, **calibrated}}
    shown = ", ".join(f"{m} {w:.1f}" for m, w in weights.items())
    emit(args, data, "\n".join([
        f"relevance model refitted, floor {floor:g}, topicality bar {bar:g}: MRR@10 "
        f"{calibrated['mrr@10']:.3f}, {calibrated['answered']:.0%} of answerable queries "
        f"answered in the top 10, {calibrated['nothing_found']:.0%} of the others nothing",
        f"hybrid: dense {dense_weight:.1f}, BM25 {1 - dense_weight:.1f}: MRR@10 "
        f"{hybrid_mrr:.3f} (reciprocal rank fusion: {hybrid_rrf:.3f})",
        f"per modality: {shown}: MRR@10 {mrr:.3f} (reciprocal rank fusion: {rrf:.3f})",
        f"learned on {len(devset)} queries; saved in {rag.index_dir}",
    ]))
    return 0


def cmd_align(args: argparse.Namespace) -> int:
    from ...align import align, read_pairs, remove_adapter
    from ..progress import StageBars

    rag = open_pipeline(args)
    if args.remove:
        n = remove_adapter(rag, StageBars())
        emit(args, {"removed": True, "reembedded_images": n},
             f"adapter removed; {n} images have their ConSE vectors again")
        return 0
    if args.pairs is None:
        raise ConfigError("align takes a PAIRS file or folder (or --remove)")
    pairs = [p for c in args.captions.split("+") for p in read_pairs(args.pairs, c, args.split)]
    if not pairs:
        raise ConfigError(f"{args.pairs}: no image-caption pairs found")
    info = align(rag, pairs, mix=args.mix, progress=StageBars())
    held = info["held_out_recall@10"]
    shown = ", ".join(f"{k} {v:.3f}" for k, v in held.items())
    emit(args, info, f"adapter trained on {info['images']} images / {info['captions']} "
         f"captions in {info['trained_seconds']} s; held-out text->image recall@10: {shown}; "
         f"{info['reembedded_images']} indexed images re-embedded (mix {info['mix']})")
    return 0
