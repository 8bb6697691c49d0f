"""Write the reference photos that calibrate image scores on small indexes.

    python3 scripts/build_image_background.py ../shared/data/flickr8k_trainval \\
        --captions ../shared/data/flickr8k_1k/flickr8kcn

A hit's relevance is judged by how far its cosine stands above the query's cosines to
unrelated items of its space (:mod:`mmrag.retrieval.calibration`); an index of a few photos
has too few of its own, so a reference set stands in for them. A bridged image vector
(:mod:`mmrag.vision.bridge`, ``mmrag align``) is made from the photo's image features, so the
reference must be real photos' features: made-up class mixtures sit where no bridged photo
does (cosine 0.80 to any query against the photos' 0.33), and a prior made of them had
squashed every image's z-score to about 0. This encodes ``--count`` photos drawn (seed 0)
from the Flickr8k train + val photos (never test: the script refuses them) and writes their
pooled features and top classes, fp16, to ``src/mmrag/vision/data/background-lite0.npz``;
any adapter turns them into vectors. Flickr8k is for research use; so are these features.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mmrag.vision.bridge import BACKGROUND_FILE, TOP_CLASSES  # noqa: E402
from mmrag.vision.encoder import ImageEncoder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", type=Path, help="the Flickr8k train + val photos")
    parser.add_argument("--captions", type=Path, required=True,
                        help="the Flickr8k-CN folder (its flickr8ktest.txt names the test split)")
    parser.add_argument("--count", type=int, default=128)
    parser.add_argument("--variant", default="lite0")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    folder = args.images / "images" if (args.images / "images").is_dir() else args.images
    test = set((args.captions / "flickr8ktest.txt").read_text().split())
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".jpg")
    if any(p.stem in test or p.name in test for p in photos):
        raise SystemExit(f"{folder} holds Flickr8k test photos: the reference never uses them")
    picked = [photos[i] for i in sorted(np.random.default_rng(0).choice(
        len(photos), args.count, replace=False))]
    encoded = ImageEncoder((args.variant,), batch_size=32, threads=2).encode_paths(picked)
    top = np.argsort(-encoded.probs, axis=1)[:, :TOP_CLASSES]
    out = args.out or ROOT / "src/mmrag/vision/data" / BACKGROUND_FILE.format(args.variant)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, features=encoded.features.astype(np.float16),
                        classes=top.astype(np.int16),
                        probs=np.take_along_axis(encoded.probs, top, 1).astype(np.float16))
    tmp.replace(out)
    print(f"{out}: {len(picked)} photos, {out.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
