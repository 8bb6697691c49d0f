"""The per-modality fusion strategy and learning its weights (mmrag tune)."""

import json

import pytest

from mmrag.cli.main import main
from mmrag.embedders import embed_texts
from mmrag.index import read_manifest
from mmrag.pipeline import Pipeline
from mmrag.retrieval.hybrid import HybridRetriever
from mmrag.stores import SourceRecord
from mmrag.stores.filters import Filter
from mmrag.types import Chunk, Span

MEMOS = {
    "memo1.mp3": "my favourite harpist is joanna newsom she plays the concert harp",
    "memo2.mp3": "remember to buy green tea and bamboo shoots at the market",
    "memo3.mp3": "the meeting about the solar panels moved to thursday",
}


def _add_audio(rag):
    chunks = [Chunk(id=f"a{i}", source=name, text=text, modality="audio",
                    span=Span(start=3.0 * i, end=3.0 * i + 2.5))
              for i, (name, text) in enumerate(MEMOS.items())]
    records = [SourceRecord(f"/m/{name}", name, "h", 1, 0.0, 1, "audio", 0.0) for name in MEMOS]
    vectors = embed_texts(rag.embedder, [c.text for c in chunks], "document")
    rag.store.write(records, chunks, vectors)
    rag.store.optimize()


@pytest.fixture
def mixed(rag, corpus):
    rag.ingest([corpus])
    _add_audio(rag)
    return rag


def test_fusion_strategy_places_each_modality(mixed):
    hits = mixed.search("tea", k=4, strategy="fusion")
    modalities = {h.modality for h in hits}
    assert modalities == {"text", "audio"}
    top_audio = next(h for h in hits if h.modality == "audio")
    assert top_audio.source == "memo2.mp3" and top_audio.span.start == 3.0
    # ranked by calibrated relevance, one scale for every modality, the stages kept
    assert {"relevance", "dense", "bm25"} <= set(top_audio.scores)
    assert top_audio.score == top_audio.scores["relevance"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # reciprocal rank fusion stays available for comparison
    rrf = Pipeline(mixed.index_dir, mixed.embedder, mixed.store, mixed.generator,
                   mixed.config, fusion={"method": "rrf"})
    top_audio = next(h for h in rrf.search("tea", k=4, strategy="fusion")
                     if h.modality == "audio")
    assert "audio_rank" in top_audio.scores and "rrf" in top_audio.scores


def test_fusion_is_the_default_and_sees_a_modality_written_a_moment_ago(rag, corpus):
    rag.ingest([corpus])
    assert rag.strategy == "fusion"
    assert {h.modality for h in rag.search("harpist", k=10)} == {"text"}
    # one modality: exactly hybrid's ranking, scores and all
    assert rag.search("green tea", k=10) == rag.search("green tea", k=10, strategy="hybrid")
    _add_audio(rag)  # right after a search: the modalities held are counted again
    hits = rag.search("harpist", k=10)
    assert "audio" in {h.modality for h in hits}
    assert hits == rag.search("harpist", k=10, strategy="fusion")


QUERIES = ["tea", "green tea market", "who is my favourite harpist", "joanna newsom",
           "熊猫吃什么", "竹子 茶", "solar panels on thursday", "planets", ""]


def test_fusion_is_each_modality_s_own_hybrid_ranking_merged(mixed):
    """fusion prepares a query once for all modalities; its hits and scores are exactly
    those of each modality's hybrid search run on its own, ranked together."""
    fusion = mixed.retriever("fusion")
    hybrid = HybridRetriever(mixed.store, mixed.embedder,
                             **mixed._context.hybrid_options())
    for query in QUERIES:
        for k in (3, 10):
            own = [h for m in ("text", "audio")
                   for h in hybrid.retrieve(query, max(k, 10), Filter(modalities=(m,)))]
            expected = sorted(own, key=lambda h: (-h.score, h.id))[:k]
            assert fusion.retrieve(query, k) == expected, query
    sounded = [h for h in fusion.retrieve("joanna newsom", 10) if "phonetic" in h.scores]
    assert sounded and sounded[0].source == "memo1.mp3"  # the sound-alike path was taken


def test_fusion_works_a_query_out_once_for_all_modalities(mixed, monkeypatch):
    import mmrag.retrieval.hybrid as hybrid_module

    calls = []
    real = hybrid_module.bm25_terms
    monkeypatch.setattr(hybrid_module, "bm25_terms", lambda q: calls.append(q) or real(q))
    assert mixed.search("熊猫吃什么 tea", k=5, strategy="fusion")
    assert calls == ["熊猫吃什么 tea"]  # not once per modality (text, audio)


def test_fusion_on_an_index_of_one_modality_keeps_the_rest_of_a_filter(rag, corpus):
    rag.ingest([corpus / "tea.md"], tags=["drinks"])
    rag.ingest([corpus / "panda.txt"])
    fusion = rag.retriever("fusion")
    assert fusion.modalities(None) == ["text"]
    tagged = rag.search("tea", k=10, where=Filter(tags=["drinks"]))
    assert tagged and {h.source for h in tagged} == {str(corpus / "tea.md")}
    assert tagged == rag.search("tea", k=10, strategy="hybrid", where=Filter(tags=["drinks"]))
    assert rag.search("tea", k=10, where=Filter(modalities=["audio"])) == []
    assert rag.search("tea", k=10, where=Filter(modalities=["text"])) == rag.search("tea", k=10)


def test_strategy_filters_and_unknown_names(mixed):
    only_audio = mixed.search("harp", k=3, strategy="fusion", where=Filter(modalities=["audio"]))
    assert {h.modality for h in only_audio} == {"audio"}
    with pytest.raises(Exception, match=r"unknown strategy 'nope'; available: \['hybrid'"):
        mixed.search("x", strategy="nope")


def test_tune_learns_weights_and_saves_them(mixed, tmp_path, capsys):
    devset = tmp_path / "dev.jsonl"
    rows = [
        {"query": "who is my favourite harpist", "relevant": ["memo1.mp3"]},
        {"query": "what should I buy at the market", "relevant": ["memo2.mp3"]},
        {"query": "when is the meeting about solar panels", "relevant": ["memo3.mp3"]},
    ]
    devset.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code = main(["tune", str(devset), "--index", str(mixed.index_dir), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["queries"] == 3
    assert set(result["weights"]) == {"text", "audio"}
    assert result["weights"]["audio"] >= result["weights"]["text"]
    assert result["mrr@10"] >= result["rrf_mrr@10"]
    manifest = read_manifest(mixed.index_dir)
    assert manifest["fusion"] == {"method": "weighted", "weights": result["weights"]}
    learned = result["hybrid"]
    assert 0.0 <= learned["dense_weight"] <= 1.0
    assert learned["mrr@10"] >= learned["rrf_mrr@10"]
    assert manifest["hybrid"] == {"method": "weighted", "dense_weight": learned["dense_weight"]}
    reopened = Pipeline.open(mixed.index_dir)
    hits = reopened.search("who is my favourite harpist", k=1, strategy="fusion")
    assert hits[0].source == "memo1.mp3" and "weighted" in hits[0].scores


def test_bad_devset_names_the_line(mixed, tmp_path, capsys):
    devset = tmp_path / "dev.jsonl"
    devset.write_text('{"query": "x", "relevant": ["a"]}\n{"q": 1}\n', encoding="utf-8")
    code = main(["tune", str(devset), "--index", str(mixed.index_dir)])
    assert code == 2 and f"{devset}:2: expected" in capsys.readouterr().err


def test_time_range_and_tag_filters(rag, corpus, tmp_path):
    rag.ingest([corpus / "tea.md"], tags=["drinks", "notes"])
    rag.ingest([corpus / "panda.txt"])
    _add_audio(rag)  # memos at 0-2.5 s, 3-5.5 s, 6-8.5 s
    timed = rag.search("memo", k=10, where=Filter(after=2.8, before=5.0))
    assert [h.source for h in timed] == ["memo2.mp3"]
    assert all(h.span.start is not None for h in rag.search("the", k=10, where=Filter(after=0)))
    tagged = rag.search("tea china", k=10, where=Filter(tags=["drinks"]))
    assert tagged and {h.source for h in tagged} == {str(corpus / "tea.md")}
    assert rag.search("tea", k=10, where=Filter(tags=["nothing-tagged-so"])) == []
    for strategy in ("fusion", "text"):
        notes = rag.search("tea", k=10, strategy=strategy, where=Filter(tags=["notes"]))
        assert {h.source for h in notes} == {str(corpus / "tea.md")}
    with pytest.raises(Exception, match="after <= before"):
        rag.search("x", where=Filter(after=5, before=1))


def test_ingest_tag_flag_and_search_tag_flag(rag, corpus, capsys):
    assert main(["ingest", str(corpus / "tea.md"), "--index", str(rag.index_dir), "--tag", "t1",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["search", "tea", "--tag", "t1", "--json", "--index", str(rag.index_dir)]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(h["source"].endswith("tea.md") for h in hits)


def test_hybrid_fuses_by_weighted_scores_or_by_rank(mixed, tmp_path):
    weighted = mixed.search("green tea", k=3, strategy="hybrid")
    assert {"dense_norm", "bm25_norm", "weighted"} <= set(weighted[0].scores)
    ranked = mixed.search("green tea", k=3, strategy="hybrid-rrf")
    assert {"dense_rank", "bm25_rank", "rrf"} <= set(ranked[0].scores)
    # all BM25 or all dense: the fused order is that retriever's own order (min-max puts
    # each list's last hit at 0, level with the hits it missed, so compare above that)
    for weight, alone in ((0.0, "bm25"), (1.0, "dense")):
        only = Pipeline(mixed.index_dir, mixed.embedder, mixed.store, mixed.generator,
                        mixed.config, hybrid={"dense_weight": weight})
        own = [h.id for h in only.search("green tea market", k=50, strategy=alone)]
        fused = [h.id for h in only.search("green tea market", k=50, strategy="hybrid")]
        assert len(own) >= 2 and fused[:len(own) - 1] == own[:-1]
    with pytest.raises(Exception, match=r"unknown hybrid option\(s\) \['weight'\]"):
        Pipeline(mixed.index_dir, mixed.embedder, mixed.store, mixed.generator,
                 mixed.config, hybrid={"weight": 0.5})
    for bad in (2, "0.5"):
        with pytest.raises(Exception, match="dense_weight must be in"):
            Pipeline(mixed.index_dir, mixed.embedder, mixed.store, mixed.generator,
                     mixed.config, hybrid={"dense_weight": bad})
