"""How far can zero-shot CIFAR-10 go on EfficientNet-Lite0's ImageNet outputs? A diagnosis,
not a tuning: it measures on the images what any rule reading the classifier could reach.

    python3 benchmarks/cifar_bounds.py /work/shared/data/cifar10_test --per-class 30
    python3 benchmarks/cifar_bounds.py /work/shared/data/cifar10_test --per-class 100 \
        --variant lite2 --flip

Prints, on the first N images of each class (as ``mmrag eval --limit N`` takes them):
- WordNet zero-shot top-1 (each class name's summed ImageNet probabilities,
  ``mmrag.vision.hierarchy.resolve``) with and without WordNet's other words of a synset
  (``wordnet_senses.tsv``), per class, and what each name resolves to;
- how often the photo's top ImageNet class lies under its class's concept at all;
- the vectors' zero-shot (the prompts against ConSE, moved by the shipped bridge where it
  maps this variant) and both views as experts (:mod:`mmrag.vision.zeroshot`);
- with ``--flip``, every figure again with each image's outputs averaged with its mirror's;
- two references that use these images' labels (so no zero-shot rule is expected to pass
  them; neither sets anything): every ImageNet top-1 class mapped to the CIFAR class it
  most often is (in-sample, optimistic), and a supervised linear probe on the 1280-d
  features (ridge, 5-fold cross-validated).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from PIL import ImageOps  # noqa: E402

from mmrag.embedders import embed_texts, embedders  # noqa: E402
from mmrag.vision import hierarchy  # noqa: E402
from mmrag.vision.bridge import BRIDGES, load_bridge  # noqa: E402
from mmrag.vision.classes import imagenet_classes  # noqa: E402
from mmrag.vision.encoder import ImageEncoder  # noqa: E402
from mmrag.vision.image_file import open_rgb  # noqa: E402
from mmrag.vision.zeroshot import combined_scores  # noqa: E402

SUFFIXES = {".jpg", ".jpeg", ".png"}


def probe(features: np.ndarray, labels: np.ndarray, k: int, folds: int = 5) -> float:
    """Ridge one-vs-rest on standardised features, cross-validated accuracy."""
    order = np.random.default_rng(0).permutation(len(labels))
    hits = 0
    for f in range(folds):
        test = order[f::folds]
        train = np.setdiff1d(order, test)
        mean, std = features[train].mean(0), features[train].std(0) + 1e-6
        x = (features[train] - mean) / std
        y = np.eye(k)[labels[train]]
        w = np.linalg.solve(x.T @ x + 100.0 * np.eye(x.shape[1]), x.T @ y)
        hits += int(np.sum(np.argmax(((features[test] - mean) / std) @ w, 1) == labels[test]))
    return hits / len(labels)


def bounds(probs: np.ndarray, features: np.ndarray, y: np.ndarray, classes: list[str],
           text: Any, variant: str) -> dict[str, object]:
    names = [c.replace("_", " ") for c in classes]
    imagenet = imagenet_classes()
    out: dict[str, object] = {}
    shipped = hierarchy.wordnet_senses
    for tag, senses in (("names only", dict), ("with WordNet's other words", shipped)):
        hierarchy.wordnet_senses = senses  # type: ignore[assignment]
        members = hierarchy.resolve(names, text)
        summed = hierarchy.concept_probs(probs, members)
        guess = np.argmax(summed, 1)
        top1 = np.argmax(probs, 1)
        out[tag] = {
            "top1": round(float(np.mean(guess == y)), 3),
            "per_class": {c: round(float(np.mean(guess[y == j] == j)), 2)
                          for j, c in enumerate(classes)},
            "top_imagenet_class_under_its_concept": round(float(np.mean(
                [t in members[label] for t, label in zip(top1, y, strict=True)])), 3),
            "resolves_to": {c: [imagenet[i].name for i in sorted(m)][:4] + (
                [f"... {len(m)} classes"] if len(m) > 4 else []) for c, m in zip(
                    classes, members, strict=True)},
        }
    hierarchy.wordnet_senses = shipped  # type: ignore[assignment]
    prompts = embed_texts(text.text, [f"a photo of a {c}." for c in classes], "query")
    vectors = text.from_probs(probs)
    bridge = "flickr8k-2" if BRIDGES["flickr8k-2"][1] == variant else None
    if bridge:
        vectors = load_bridge(bridge).fuse(vectors, features)
    similarity = vectors @ prompts.T
    summed = hierarchy.concept_probs(probs, hierarchy.resolve(names, text))
    out[f"vectors' zero-shot top1 (ConSE{' + ' + bridge if bridge else ''})"] = round(
        float(np.mean(np.argmax(similarity, 1) == y)), 3)
    out["both as experts (vision.zeroshot) top1"] = round(float(np.mean(
        np.argmax(combined_scores(similarity, summed), 1) == y)), 3)
    top1 = np.argmax(probs, 1)
    best = {t: Counter(y[top1 == t].tolist()).most_common(1)[0][0] for t in set(top1.tolist())}
    out["ceiling: top-1 class mapped to its most frequent CIFAR class (in-sample)"] = round(
        float(np.mean([best[t] == label for t, label in zip(top1, y, strict=True)])), 3)
    out["ceiling: ridge probe on the features, 5-fold"] = round(probe(features, y, len(classes)), 3)
    out["mean top-1 ImageNet probability"] = round(float(probs.max(1).mean()), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--variant", default="lite0", help="lite0, lite1, lite2, ...")
    parser.add_argument("--flip", action="store_true",
                        help="also average each image's outputs with its mirror image's")
    args = parser.parse_args()
    classes = sorted(d.name for d in args.folder.iterdir() if d.is_dir())
    paths, labels = [], []
    for j, c in enumerate(classes):
        files = sorted(p for p in (args.folder / c).iterdir() if p.suffix.lower() in SUFFIXES)
        paths += files[:args.per_class]
        labels += [j] * len(files[:args.per_class])
    y = np.array(labels)
    encoder = ImageEncoder((args.variant,), batch_size=32, threads=2)
    images = [open_rgb(p, draft=encoder.resolution)[0] for p in paths]
    encoded = encoder.encode(images)
    text = embedders.create("conse", bridge="none")
    out: dict[str, object] = {"images": len(y), "variant": args.variant}
    out["plain"] = bounds(encoded.probs, encoded.features, y, classes, text, args.variant)
    if args.flip:
        mirrored = encoder.encode([ImageOps.mirror(im) for im in images])
        out["flip"] = bounds((encoded.probs + mirrored.probs) / 2,
                             (encoded.features + mirrored.features) / 2, y, classes, text,
                             args.variant)
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
