"""Does the Flickr8k-trained image-text bridge help on images unlike Flickr8k's? An
out-of-domain check of the image vectors alone (no BM25, no relevance model), per bridge.

    python3 benchmarks/bridge_ood.py /work/shared/data --per-class 100

- CIFAR-10 test images as retrieval targets: every class name as a query, in English ("a
  photo of a dog.") and Chinese ("一张狗的照片。"), over the first N images of each class;
  precision@10 and average precision (all N images of the class relevant).
- The 8 scikit-image photos of OpenAI's "Interacting with CLIP" notebook with their
  descriptions (``skimage_clip/``): each description ranks the 8 photos; top-1 and mean
  rank of its own photo (CLIP ViT-B/32 matches all 8 in that notebook).

Rows: ConSE alone (``bridge="none"``), the first bridge ("flickr8k"), the default
("flickr8k-2"); all map lite0 features. Nothing here is fitted: the Chinese names are
plain translations and every setting is the shipped one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mmrag.embedders import embed_texts, embedders  # noqa: E402
from mmrag.vision.encoder import ImageEncoder  # noqa: E402

CHINESE = {"airplane": "飞机", "automobile": "汽车", "bird": "鸟", "cat": "猫", "deer": "鹿",
           "dog": "狗", "frog": "青蛙", "horse": "马", "ship": "船", "truck": "卡车"}
BRIDGES = ("none", "flickr8k", "flickr8k-2")


def ranking(scores: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    """precision@10 and average precision of each query row over the image columns."""
    p10, ap = [], []
    for row, rel in zip(scores, relevant, strict=True):
        hits = rel[np.argsort(-row, kind="stable")]
        p10.append(hits[:10].mean())
        found = np.flatnonzero(hits)
        ap.append(np.mean((np.arange(len(found)) + 1) / (found + 1)) if len(found) else 0.0)
    return {"p@10": round(float(np.mean(p10)), 3), "map": round(float(np.mean(ap)), 3)}


def _vectors(conse: Any, encoded: Any) -> np.ndarray:
    """The stored image vectors (ConSE, moved by the bridge), no OCR or objects text."""
    base = conse.from_probs(encoded.probs)
    return base if conse.adapter is None else conse.adapter.fuse(base, encoded.features)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the folder holding cifar10_test/, skimage_clip/")
    parser.add_argument("--per-class", type=int, default=100)
    args = parser.parse_args()
    cifar = args.data / "cifar10_test"
    classes = sorted(d.name for d in cifar.iterdir() if d.is_dir())
    paths, labels = [], []
    for j, c in enumerate(classes):
        files = sorted(p for p in (cifar / c).iterdir() if p.suffix.lower() == ".jpg")
        paths += files[:args.per_class]
        labels += [j] * len(files[:args.per_class])
    y = np.array(labels)
    skimage = args.data / "skimage_clip"
    described = json.loads((skimage / "descriptions.json").read_text())
    photos = sorted(k for k in described if not k.startswith("_"))
    photo_paths = [next(skimage.glob(f"{k}.*")) for k in photos]
    encoder = ImageEncoder(("lite0",), batch_size=32, threads=2)
    encoded = encoder.encode_paths(paths)
    encoded_photos = encoder.encode_paths(photo_paths)
    out: dict[str, object] = {"cifar_images": len(y), "skimage_photos": len(photos)}
    for bridge in BRIDGES:
        conse: Any = embedders.create("conse", bridge=bridge)
        images = _vectors(conse, encoded)
        row: dict[str, object] = {}
        for lang, prompts in (("en", [f"a photo of a {c}." for c in classes]),
                              ("zh", [f"一张{CHINESE.get(c, c)}的照片。" for c in classes])):
            queries = embed_texts(conse.text, prompts, "query")
            relevant = y[None, :] == np.arange(len(classes))[:, None]
            row[f"cifar t->i {lang}"] = ranking(queries @ images.T, relevant)
        texts = embed_texts(conse.text, [described[k] for k in photos], "query")
        scores = texts @ _vectors(conse, encoded_photos).T
        ranks = [int((scores[i] > scores[i, i]).sum()) + 1 for i in range(len(photos))]
        row["skimage t->i"] = {"top1": round(float(np.mean(np.array(ranks) == 1)), 3),
                               "mean_rank": round(float(np.mean(ranks)), 2),
                               "ranks": dict(zip(photos, ranks, strict=True))}
        out[bridge] = row
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
