"""Image retrieval without CLIP, measured on ../shared/data (CIFAR-10 test, Flickr8k 1k).

- CIFAR-10 zero-shot top-1: each image's ConSE vector against the 10 class names (en + zh).
- Flickr8k test split (the 125 of the 1k images in it): text->image and image->text
  R@1/5/10 with English (enc) and human-written Chinese (zhc) captions, for the bare ConSE
  vectors (dense) and for the whole pipeline (ingest + hybrid dense/BM25 search).
- CIFAR-10 image->image precision@10 on the pooled features (cosine after centring).
- Ingest rate, images/s, end to end (decode, classify, OCR, embed, store) vs bare encoder.

Usage: PYTHONPATH=src python benchmarks/bench_images.py [--limit 50] [--vision lite0] [--ocr off]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR_ZH = ["飞机", "汽车", "鸟", "猫", "鹿", "狗", "青蛙", "马", "船", "卡车"]


def recall(ranked: np.ndarray, relevant: list[set[int]], ks=(1, 5, 10)) -> dict[str, float]:
    out = {}
    for k in ks:
        pairs = zip(ranked, relevant, strict=True)
        hits = [bool(set(row[:k].tolist()) & rel) for row, rel in pairs]
        out[f"R@{k}"] = 100.0 * float(np.mean(hits))
    return out


def cifar_files(data: Path, per_class: int, offset: int = 0) -> tuple[list[str], np.ndarray]:
    files, labels = [], []
    for c, name in enumerate(CIFAR):
        names = sorted(os.listdir(data / "cifar10_test" / name))[offset:offset + per_class]
        files += [str(data / "cifar10_test" / name / f) for f in names]
        labels += [c] * len(names)
    return files, np.array(labels)


def zero_shot(emb, data: Path, per_class: int) -> dict[str, float]:
    from mmrag.embedders import embed_texts

    files, labels = cifar_files(data, per_class)
    probs = emb.encoder.encode_paths(files).probs
    images = emb.from_probs(probs)
    en = embed_texts(emb.text, [f"a photo of a {c}." for c in CIFAR], "query")
    zh = embed_texts(emb.text, [f"一张{c}的照片。" for c in CIFAR_ZH], "query")
    out = {"images": len(files)}
    for name, classes in (("en", en), ("zh", zh), ("en+zh", en + zh)):
        pred = np.argmax(images @ classes.T, axis=1)
        out[f"top1 {name}"] = 100.0 * float(np.mean(pred == labels))
    return out


def flickr_captions(data: Path, lang: str) -> tuple[list[str], dict[str, list[str]]]:
    base = data / "flickr8k_1k" / "flickr8kcn"
    test = {line.strip() for line in (base / "flickr8ktest.txt").read_text().splitlines()}
    images = sorted(f for f in os.listdir(data / "flickr8k_1k" / "images") if f[:-4] in test)
    caps: dict[str, list[str]] = defaultdict(list)
    name = {"en": "flickr8kenc", "zh": "flickr8kzhc"}[lang]
    for line in (base / f"{name}.caption.txt").read_text(encoding="utf-8").splitlines():
        key, _, text = line.partition(" ")
        image = key.split("#")[0]
        if image[:-4] in test and text.strip():
            caps[image].append(text.strip())
    return images, caps


def flickr_dense(emb, data: Path) -> dict[str, dict[str, float]]:
    from mmrag.embedders import embed_texts

    out = {}
    for lang in ("en", "zh"):
        images, caps = flickr_captions(data, lang)
        paths = [str(data / "flickr8k_1k" / "images" / f) for f in images]
        vectors = emb.from_probs(emb.encoder.encode_paths(paths).probs)
        texts, owner = [], []
        for i, image in enumerate(images):
            for c in caps[image]:
                texts.append(c)
                owner.append(i)
        q = embed_texts(emb.text, texts, "query")
        t2i = np.argsort(-(q @ vectors.T), axis=1)
        d = embed_texts(emb.text, texts, "document")
        i2t = np.argsort(-(vectors @ d.T), axis=1)
        owner_arr = np.array(owner)
        r = {f"t2i {k}": v for k, v in recall(t2i, [{o} for o in owner]).items()}
        mine = [set(np.flatnonzero(owner_arr == i).tolist()) for i in range(len(images))]
        r.update({f"i2t {k}": v for k, v in recall(i2t, mine).items()})
        r["images"], r["captions"] = len(images), len(texts)
        out[lang] = r
    return out


def image_image(emb, data: Path, per_class: int) -> dict[str, float]:
    from mmrag.retrieval.image import rank_by_feature

    files, labels = cifar_files(data, per_class, offset=500)
    feats = emb.encoder.encode_paths(files).features
    precision = {"centred": [], "raw": []}
    centred = feats - feats.mean(axis=0)
    for name, gallery in (("centred", centred), ("raw", feats)):
        g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
        sims = g @ g.T
        np.fill_diagonal(sims, -np.inf)
        top = np.argsort(-sims, axis=1)[:, :10]
        precision[name] = 100.0 * float(np.mean(labels[top] == labels[:, None]))
    # the library's own path (centres by the gallery mean) on one query, as a check
    top, _ = rank_by_feature(feats[0], feats, 11)
    assert top[0] == 0
    return {"images": len(files), "P@10 centred": precision["centred"],
            "P@10 raw": precision["raw"]}


def throughput_and_pipeline(
    emb_name: str, emb, data: Path, ocr: str, queries: bool = True
) -> dict[str, object]:
    from mmrag.config import ImageConfig, IndexConfig
    from mmrag.pipeline import Pipeline
    from mmrag.stores.filters import Filter
    from mmrag.vision.encoder import ImageEncoder
    from mmrag.vision.image_file import open_rgb

    images, caps_en = flickr_captions(data, "en")
    _, caps_zh = flickr_captions(data, "zh")
    src = [data / "flickr8k_1k" / "images" / f for f in images]
    bare = ImageEncoder(emb.variants, batch_size=16)
    bare.encode([open_rgb(src[0])[0]])  # load the session outside the timing
    t = time.perf_counter()
    bare.encode([open_rgb(p, draft=bare.resolution)[0] for p in src])
    bare_rate = len(src) / (time.perf_counter() - t)
    bare1 = ImageEncoder(emb.variants, batch_size=1)
    bare1.encode([open_rgb(src[0])[0]])
    t = time.perf_counter()
    bare1.encode([open_rgb(p, draft=bare1.resolution)[0] for p in src])
    bare1_rate = len(src) / (time.perf_counter() - t)
    config = IndexConfig(image=ImageConfig(ocr=ocr.lower() not in ("0", "off", "false", "no")))
    with tempfile.TemporaryDirectory() as tmp:
        photos = Path(tmp) / "photos"
        photos.mkdir()
        for p in src:
            shutil.copy(p, photos / p.name)
        rag = Pipeline.open(Path(tmp) / "index", embedder=emb_name, create=True,
                            config=config, embedder_options={"vision": "+".join(emb.variants)}
                            if emb_name == "conse" else {})
        rag.embedder.class_vectors()  # cached once per machine; not part of the ingest rate
        # Load the ONNX sessions and the OCR engine outside the timing (ingest classifies
        # every image itself: nothing is remembered between runs).
        from mmrag.loaders.image import _reader
        from mmrag.vision.encoder import shared_encoder

        shared = shared_encoder(emb.variants)
        for variant in shared.variants:
            shared._session(variant)
        if ocr != "off":
            _ = _reader().engine
        t = time.perf_counter()
        report = rag.ingest([photos])
        seconds = time.perf_counter() - t
        out: dict[str, object] = {
            "images": len(src), "errors": len(report.errors),
            "bare encoder img/s (batch 16)": bare_rate, "bare encoder img/s (batch 1)": bare1_rate,
            f"ingest img/s (OCR {ocr})": len(src) / seconds,
        }
        for lang, caps in (("en", caps_en), ("zh", caps_zh)) if queries else ():
            ranked, relevant = [], []
            t = time.perf_counter()
            for i, image in enumerate(images):
                for c in caps[image]:
                    hits = rag.search(c, 10, where=Filter(modalities=("image",)))
                    ranked.append([images.index(Path(h.source).name) for h in hits]
                                  + [-1] * (10 - len(hits)))
                    relevant.append({i})
            per_query = (time.perf_counter() - t) / len(ranked)
            r = recall(np.array(ranked), relevant)
            out[f"hybrid t2i {lang}"] = {**r, "ms/query": 1000 * per_query}
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=50, help="CIFAR images per class")
    parser.add_argument("--vision", default="lite0")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--power", type=float, default=0.5)
    parser.add_argument("--hypernyms", type=int, default=2)
    parser.add_argument("--ocr", default="on")
    parser.add_argument("--skip", default="",
                        help="comma list of: zeroshot,flickr,i2i,ingest,hybrid")
    args = parser.parse_args()
    # as the mmrag CLI does before any model loads (mmrag.cli.environment.thread_defaults)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if not (args.data / "cifar10_test").is_dir():
        print(f"skipped: no evaluation data at {args.data}")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from mmrag.embedders import embedders

    options = {"vision": args.vision, "top_k": args.top_k, "power": args.power,
               "hypernyms": args.hypernyms}
    emb = embedders.create("conse", **options)
    print(f"# conse {options}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus", flush=True)
    skip = set(args.skip.split(","))
    t = time.perf_counter()
    emb.class_vectors()
    print(f"class vectors ready in {time.perf_counter() - t:.1f}s", flush=True)
    if "zeroshot" not in skip:
        print("cifar10 zero-shot:", _fmt(zero_shot(emb, args.data, args.limit)), flush=True)
    if "flickr" not in skip:
        for lang, r in flickr_dense(emb, args.data).items():
            print(f"flickr8k test dense {lang}:", _fmt(r), flush=True)
    if "i2i" not in skip:
        print("cifar10 image->image:", _fmt(image_image(emb, args.data, args.limit)), flush=True)
    if "ingest" not in skip:
        name = "conse"
        from mmrag.embedders import conse

        if options != {"vision": "lite0", "top_k": 10, "power": 0.5, "hypernyms": 2}:
            # the pipeline builds its embedder by name: register these options under one
            name = "conse-bench"
            embedders.register(name)(lambda: conse.ConSEEmbedder(**options))
        for k, v in throughput_and_pipeline(
            name, emb, args.data, args.ocr, queries="hybrid" not in skip
        ).items():
            print(f"{k}: {_fmt(v) if isinstance(v, dict) else _fmt({'': v})}", flush=True)
    return 0


def _fmt(r: dict) -> str:
    return ", ".join(f"{k} {v:.1f}".strip() if isinstance(v, float) else f"{k} {v}"
                     for k, v in r.items())


if __name__ == "__main__":
    raise SystemExit(main())
