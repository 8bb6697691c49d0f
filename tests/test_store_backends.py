"""One store test suite, run against every backend: LanceDB, Milvus Lite, a Milvus server.

Exact search must give the same results whatever the backend: dense against numpy,
BM25 against hand-computed scores, and the backends against each other.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmrag.stores import SourceRecord
from mmrag.stores.filters import Filter
from mmrag.text.tokenize import tokenize
from mmrag.types import Chunk, Span
from store_backends import BACKENDS, close, open_store

DIM = 8
TEXTS = {
    "/data/zh/panda.txt": ["熊猫吃竹子", "熊猫熊猫很可爱"],
    "/data/zh/wall.txt": ["长城很长"],
    "/data/en/tea.md": ["tea from china", "green tea and black tea"],
    "/data/en/img_1.png": ["a photo of a panda eating"],
}
MODALITY = {"/data/en/img_1.png": "image"}


def _vectors(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _record(path: str, n: int, hash_: str = "h1") -> SourceRecord:
    return SourceRecord(path, path.rsplit("/", 1)[1], hash_, 10, 1.5, n, "text", 2.5)


def _chunks(path: str, texts: list[str], tag: str = "") -> list[Chunk]:
    source = path.rsplit("/", 1)[1]
    modality = MODALITY.get(path, "text")
    span = Span(page=2) if path.endswith(".md") else Span(start=1.0, end=2.5)
    return [Chunk(id=f"{source}#{tag}{i}", source=source, text=t, modality=modality, span=span,
                  index=i, meta={"k": i}) for i, t in enumerate(texts)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def uri(backend, request):
    return request.getfixturevalue("milvus_server_uri") if backend == "milvus-server" else None


@pytest.fixture
def filled(backend, uri, tmp_path):
    store = open_store(backend, tmp_path, DIM, uri)
    vectors = _vectors(sum(len(t) for t in TEXTS.values()), 0)
    chunks = [c for path, texts in TEXTS.items() for c in _chunks(path, texts)]
    store.write([_record(p, len(t)) for p, t in TEXTS.items()], chunks, vectors)
    store.optimize()
    yield store, chunks, vectors
    close(store)


def test_write_then_read_back(filled):
    store, chunks, vectors = filled
    assert store.count() == len(chunks)
    assert [r.source for r in store.sources()] == sorted(p.rsplit("/", 1)[1] for p in TEXTS)
    assert store.source("/data/en/tea.md") == _record("/data/en/tea.md", 2)
    assert store.source("/nowhere.txt") is None
    ids = [chunks[3].id, chunks[0].id]
    assert np.allclose(store.vectors(ids), vectors[[3, 0]], atol=1e-6)
    assert store.vectors([]).shape == (0, DIM)


def test_records_of_several_files_in_one_call(filled):
    store, _, _ = filled
    paths = ["/data/zh/panda.txt", "/nowhere.txt", "/data/en/tea.md"]
    found = store.sources_at(paths)
    assert list(found) == paths and found["/nowhere.txt"] is None
    assert found["/data/zh/panda.txt"] == store.source("/data/zh/panda.txt")
    assert found["/data/en/tea.md"].chunks == 2


def test_rewriting_a_file_replaces_its_chunks(filled):
    store, chunks, _ = filled
    new = _chunks("/data/en/tea.md", ["oolong only"], tag="v2-")
    store.write([_record("/data/en/tea.md", 1, "h2")], new, _vectors(1, 5))
    assert store.count() == len(chunks) - 1
    assert store.source("/data/en/tea.md").hash == "h2"
    assert [h.id for h in store.sparse(["tea"], k=10)] == []
    assert [h.id for h in store.sparse(["oolong"], k=10)] == ["tea.md#v2-0"]


def test_delete_a_file_and_a_folder(filled):
    store, chunks, _ = filled
    assert [r.path for r in store.delete("/data/zh/wall.txt")] == ["/data/zh/wall.txt"]
    assert store.count() == len(chunks) - 1
    assert store.delete("/data/zh/wall.txt") == []
    assert store.delete("/data/z") == []  # a prefix of a folder name is not the folder
    gone = store.delete("/data/zh/")
    assert [r.path for r in gone] == ["/data/zh/panda.txt"]
    assert sorted(r.path for r in store.sources()) == ["/data/en/img_1.png", "/data/en/tea.md"]
    assert store.count() == 3


def test_deleting_a_mail_deletes_its_attachments(backend, uri, tmp_path):
    store = open_store(backend, tmp_path, DIM, uri)
    files = {"/data/inbox.eml": ["the message"], "/data/inbox.eml#attachment/q.csv": ["Q3"],
             "/data/inbox.eml2": ["another mail"]}  # a name the mail's is a prefix of
    records = [_record(path, len(texts)) for path, texts in files.items()]
    chunks = [Chunk(id=f"c{n}", source=record.source, text=text) for n, (record, texts)
              in enumerate(zip(records, files.values(), strict=True)) for text in texts]
    store.write(records, chunks, _vectors(len(chunks), 3))
    gone = store.delete("/data/inbox.eml")
    assert sorted(r.path for r in gone) == ["/data/inbox.eml", "/data/inbox.eml#attachment/q.csv"]
    assert [r.path for r in store.sources()] == ["/data/inbox.eml2"] and store.count() == 1
    close(store)


def test_filters_count_and_restrict(filled):
    store, _, vectors = filled
    assert store.count(Filter(modalities=("image",))) == 1
    assert store.count(Filter(source="*.txt")) == 3
    assert store.count(Filter(source="/data/en/*")) == 3
    assert store.count(Filter(source="tea.m?")) == 2
    assert store.count(Filter(source="img_1.png")) == 1
    assert store.count(Filter(source="img?1.png")) == 1
    assert store.count(Filter(source="nothing*")) == 0
    assert store.count(Filter(modalities=("text",), source="/data/en/*")) == 2
    hits = store.dense(vectors[0], k=10, where=Filter(source="*.md"))
    assert {h.source for h in hits} == {"tea.md"}
    assert store.dense(vectors[0], k=10, where=Filter(source="nothing*")) == []
    hits = store.sparse(tokenize("panda 熊猫"), k=10, where=Filter(modalities=("image",)))
    assert [h.id for h in hits] == ["img_1.png#0"]


def test_dense_is_exact_cosine(filled):
    store, chunks, vectors = filled
    query = _vectors(1, 42)[0]
    cosine = vectors @ query
    order = np.argsort(-cosine)
    hits = store.dense(query, k=4)
    assert [h.id for h in hits] == [chunks[i].id for i in order[:4]]
    for hit, i in zip(hits, order, strict=False):
        assert math.isclose(hit.scores["dense"], float(cosine[i]), abs_tol=1e-5)
        assert hit.score == hit.scores["dense"]
    first = next(h for h in store.dense(query, k=len(chunks)) if h.source == "tea.md")
    assert first.span == Span(page=2) and first.meta == {"k": first.meta["k"]}
    wall = next(h for h in store.dense(query, k=len(chunks)) if h.source == "wall.txt")
    assert wall.span == Span(start=1.0, end=2.5) and wall.text == "长城很长"


def _bm25(tf, dl, avgdl, n_docs, df, k1=1.2, b=0.75):
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))


def test_bm25_matches_hand_computed_scores(filled):
    store, chunks, _ = filled
    lengths = [len(tokenize(c.text)) for c in chunks]
    avgdl = sum(lengths) / len(lengths)
    hits = store.sparse(tokenize("熊猫"), k=10)
    assert [h.id for h in hits] == ["panda.txt#1", "panda.txt#0"]
    expected = {"panda.txt#0": _bm25(1, lengths[0], avgdl, len(chunks), 2),
                "panda.txt#1": _bm25(2, lengths[1], avgdl, len(chunks), 2)}
    for hit in hits:
        assert math.isclose(hit.scores["bm25"], expected[hit.id], rel_tol=1e-4)
    assert store.sparse([], k=10) == []
    assert store.sparse(["absent"], k=10) == []


def test_bm25_stems_english_on_both_sides(filled, backend):
    if backend == "milvus-lite-bm25":
        pytest.skip("Milvus Lite's own BM25 function ignores analyser filters (no stemming)")
    store, chunks, _ = filled
    # "teas" and "tea" share the stem "tea": the query's plural finds the singular, and
    # the chunk saying "tea" twice ranks first, as unstemmed BM25 would rank it for "tea".
    hits = store.sparse(tokenize("Teas"), k=10)
    assert [h.id for h in hits] == ["tea.md#1", "tea.md#0"]
    assert [h.id for h in store.sparse(tokenize("photos eaten"), k=10)] == ["img_1.png#0"]


def test_recover_removes_orphans_of_an_interrupted_write(backend, uri, tmp_path):
    store = open_store(backend, tmp_path, DIM, uri)
    try:
        store.write([_record("/c.txt", 1)], _chunks("/c.txt", ["kept"]), _vectors(1, 1))
        # crashes after the chunks of b.txt, and of a new version of a.txt, were written
        # but before their records were: write them whole, then undo only the records
        store.write([_record("/b.txt", 1, "hb")], _chunks("/b.txt", ["orphan b"]), _vectors(1, 2))
        _drop_record(store, "/b.txt")
        store.write([_record("/a.txt", 1, "h2")], _chunks("/a.txt", ["new a"]), _vectors(1, 3))
        _set_record(store, _record("/a.txt", 1, "h1"))
        if store.name == "lancedb":  # a killed LanceDB write leaves its journal behind
            (store.path / "write-journal").write_text("/b.txt\n/a.txt")
        assert store.count() == 3
        assert store.recover() == 2
        assert [h.text for h in store.dense(_vectors(1, 4)[0], k=5)] == ["kept"]
        assert store.recover() == 0
    finally:
        close(store)


def _set_record(store, record):
    if store.name == "lancedb":
        store._sources.delete(f"path = '{record.path}'")
        store._sources.add([record.__dict__])
    else:
        store._client.upsert(store._sources, [{**record.__dict__, "unused": [0.0, 0.0]}])


def _drop_record(store, path):
    if store.name == "lancedb":
        store._sources.delete(f"path = '{path}'")
    else:
        store._client.delete(store._sources, filter=f'path == "{path}"')


@pytest.mark.milvus
def test_backends_agree_on_exact_search(tmp_path):
    """The same writes into LanceDB and Milvus Lite give the same rankings and scores."""
    pytest.importorskip("milvus_lite", reason="Milvus Lite needs mmrag[milvus]")
    rng = np.random.default_rng(7)
    words = "熊猫 竹子 tea china planet venus 长城 novel".split()
    paths = [f"/c/f{i}.txt" for i in range(6)]
    texts = {p: [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(5)]
             for p in paths}
    chunks = [c for p, t in texts.items() for c in _chunks(p, t)]
    vectors = _vectors(len(chunks), 3)
    stores = [open_store(b, tmp_path / b, DIM) for b in ("lancedb", "milvus-lite")]
    try:
        for store in stores:
            store.write([_record(p, 5) for p in paths], chunks, vectors)
            store.optimize()
        for seed in range(5):
            query = _vectors(1, 100 + seed)[0]
            lance, milvus = (s.dense(query, k=7) for s in stores)
            assert [h.id for h in lance] == [h.id for h in milvus]
            assert np.allclose([h.score for h in lance], [h.score for h in milvus], atol=1e-5)
        for word in words + ["熊猫 tea", "venus novel china"]:
            # every match (k past the corpus), since equal scores may be cut in any order
            lance, milvus = ({h.id: h.score for h in s.sparse(word.split(), k=50)}
                             for s in stores)
            assert lance.keys() == milvus.keys() and lance
            for chunk_id, score in lance.items():
                assert math.isclose(score, milvus[chunk_id], rel_tol=1e-4)
    finally:
        for store in stores:
            close(store)
