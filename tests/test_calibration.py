"""Calibrated relevance: one scale across modalities, a floor, and an honest "nothing"."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import garden
from mmrag.index import read_manifest
from mmrag.pipeline import Pipeline
from mmrag.retrieval.calibration import REFERENCES, Background, Calibration, gaussian_evidence


def test_evidence_is_the_expected_count_of_unrelated_items_scoring_as_high():
    # one standard deviation above the background among 1,000 items: ~159 such items
    z, evidence = gaussian_evidence(np.array([0.6, 0.9]), mean=0.5, std=0.1, count=1000)
    assert np.allclose(z, [1.0, 4.0])
    assert abs(10 ** -evidence[0] - 1000 * 0.1587) < 0.5
    # far tails stay finite (no underflow) and keep rising
    _, far = gaussian_evidence(np.array([5.0, 9.0]), mean=0.0, std=0.5, count=10)
    assert np.isfinite(far).all() and far[1] > far[0] > 20  # z = 10 and 18


def test_each_modality_is_judged_against_its_own_background():
    rng = np.random.default_rng(0)
    query = np.ones(64, np.float32) / 8.0

    def cloud(centre: float, noise: float, n: int = 200) -> np.ndarray:
        v = rng.normal(0, noise, (n, 64)) + centre * query
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    # images sit close to every query (cosine ~0.95), text does not (~0.1)
    images, texts = cloud(1.0, 0.04), cloud(0.1, 1.0)
    cal = Calibration({"image": Background(200, images), "text": Background(200, texts)})
    img_mean = float((images @ query).mean())
    txt_mean = float((texts @ query).mean())
    _, image_ev = cal.evidence(query, "image", np.array([img_mean + 0.001]))
    _, text_ev = cal.evidence(query, "text", np.array([txt_mean + 0.5]))
    # a higher raw cosine, but no evidence: the image is just one more image
    assert img_mean + 0.001 > txt_mean + 0.5 and image_ev[0] < 0 < text_ev[0]


def test_weights_may_differ_by_query_language_and_fit_learns_them():
    from mmrag.retrieval.fit import fit, relevance
    from mmrag.text.tokenize import language

    assert (language("熊猫吃什么"), language("what pandas eat")) == ("zh", "en")
    weights = {"bias": -4.0, "evidence": 2.0, "bias:image": -3.0, "evidence:image": 1.0,
               "bm25": 0.5, "bias:image:zh": -6.0}
    cal = Calibration(weights=weights)
    ev, bm = np.array([2.0]), np.array([0.0])
    # only a Chinese query's image hits take the Chinese bias; everything else as before
    assert cal.relevance(ev, bm, "image", "zh")[0] < cal.relevance(ev, bm, "image", "en")[0]
    assert cal.relevance(ev, bm, "text", "zh")[0] == cal.relevance(ev, bm, "text", "en")[0]
    # the defaults: an unrelated image of a small index (z -3 among 2 images: evidence about
    # -log10(2)) is not relevant in either language; a weight fitted at one index size on
    # an image bias must not make it so (a refit once ranked the sample's balloon first)
    for lang in ("en", "zh"):
        assert Calibration().relevance(np.array([-0.3]), bm, "image", lang)[0] < 0.05
    # candidates where a Chinese query's images need more evidence than an English one's
    rng = np.random.default_rng(0)
    rows = []
    for zh in (0.0, 1.0):
        for image in (0.0, 1.0):
            e = rng.normal(0, 2, 2000)
            p = 1 / (1 + np.exp(-(-3 + 2 * e - 3 * zh * image)))
            rows.append(np.stack([np.full(2000, image), e, np.zeros(2000),
                                  (rng.random(2000) < p).astype(float), np.full(2000, zh)], 1))
    data = np.concatenate(rows)
    w = fit(data)
    assert w["bias:image:zh"] < w["bias:image"] - 2 and abs(w["bias:text:zh"] - w["bias"]) < 0.5
    # the fit's own relevance and the calibration's agree
    one = data[:1].copy()
    one[0, :] = (1.0, 1.5, 0.0, 0.0, 1.0)
    assert np.isclose(relevance(one, w)[0],
                      Calibration(weights=w).relevance(np.array([1.5]), bm, "image", "zh")[0])


def test_ingest_keeps_a_calibration_with_the_index_and_refreshes_it(rag, corpus, tmp_path):
    assert not rag.calibration()
    rag.ingest([corpus])
    entry = read_manifest(rag.index_dir)["calibration"]
    assert entry["spaces"]["text"]["count"] == rag.store.count()
    assert entry["spaces"]["text"]["reference"] > 50  # everyday sentences: a small index
    assert (rag.index_dir / "calibration.npz").exists()
    again = Pipeline.open(rag.index_dir)
    assert again.calibration().describe() == rag.calibration().describe()
    before = rag.store.count()
    more = tmp_path / "more"
    more.mkdir()
    for n in range(4):
        (more / f"note{n}.txt").write_text(f"Note {n} about gardening and roses. " * 5)
    rag.ingest([more])
    assert rag.calibration().spaces["text"].count == rag.store.count() > before


def test_hits_are_ranked_by_relevance_with_their_stage_scores(rag, corpus):
    rag.ingest([corpus])
    hits = rag.search("Portuguese traders", k=5)
    assert hits[0].source.endswith("tea.md")
    assert {"relevance", "dense", "dense_z", "evidence", "bm25"} <= set(hits[0].scores)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_below_the_floor_nothing_is_returned_and_ask_says_so(rag, corpus):
    rag.ingest([corpus])
    # (the hash embedder's best hit for "Portuguese traders" is at relevance 0.17, its
    # nonsense hits under 0.05)
    rag.min_relevance = 0.1
    assert rag.search("zqxjvw kkkk", k=10) == []
    assert rag.search("Portuguese traders", k=10)[0].source.endswith("tea.md")
    for question, said in (("zqxjvw kkkk?", "The indexed sources do not say."),
                           ("啊啊 哦哦 嗯嗯？", "索引中的资料没有提到这一点。")):
        answer = rag.ask(question)
        assert answer.answer == said and answer.citations == []


def test_weighted_and_rrf_fusion_stay_available_uncut(rag, corpus):
    rag.ingest([corpus])
    rag.min_relevance = 0.99
    assert rag.search("zqxjvw kkkk", k=10) == []
    # the comparison baselines carry no relevance, so no floor applies to them
    assert rag.search("Portuguese traders", k=3, strategy="hybrid-rrf")
    assert rag.search("Portuguese traders", k=3, strategy="dense")


def test_cli_and_api_take_a_floor_and_say_when_nothing_is_found(rag, corpus, capsys):
    from fastapi.testclient import TestClient

    from mmrag.cli.main import main
    from mmrag.server import create_app

    rag.ingest([corpus])
    index = str(rag.index_dir)
    assert main(["search", "zqxjvw kkkk", "--min-relevance", "0.1", "--index", index]) == 0
    assert "Nothing found" in capsys.readouterr().out
    assert main(["ask", "zqxjvw kkkk?", "--min-relevance", "0.1", "--index", index]) == 0
    assert "The indexed sources do not say." in capsys.readouterr().out
    client = TestClient(create_app(rag), base_url="http://127.0.0.1")
    r = client.post("/api/search", json={"query": "zqxjvw kkkk", "min_relevance": 0.1})
    assert r.status_code == 200 and r.json()["hits"] == []
    found = client.post("/api/search", json={"query": "Portuguese traders", "min_relevance": 0.1})
    assert found.json()["hits"][0]["scores"]["relevance"] >= 0.1
    info = client.get("/api/info").json()["calibration"]
    assert info["floor"] == rag.floor and "text" in info["spaces"]


def test_tune_fits_the_relevance_model_and_floor_and_saves_them(rag, corpus, tmp_path, capsys):
    import json

    from mmrag.cli.main import main

    rag.ingest([corpus])
    devset = tmp_path / "dev.jsonl"
    rows = [{"query": "Portuguese traders brought tea", "relevant": ["tea.md"]},
            {"query": "largest planet", "relevant": ["planets.html"]},
            {"query": "1929 novel", "relevant": ["novels.pdf"]},
            {"query": "zqxjvw kkkk", "relevant": []}]
    devset.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["tune", str(devset), "--index", str(rag.index_dir), "--json"]) == 0
    fitted = json.loads(capsys.readouterr().out)["calibration"]
    assert fitted["answered"] >= 0.95 * 1.0 and 0.0 <= fitted["floor"] <= 0.5
    entry = read_manifest(rag.index_dir)["calibration"]
    assert entry["weights"] == fitted["weights"] and entry["floor"] == fitted["floor"]
    again = Pipeline.open(rag.index_dir)
    assert again.calibration().tuned and again.floor == fitted["floor"]
    assert again.search("Portuguese traders", k=1)[0].source.endswith("tea.md")


def test_a_big_modality_is_sampled_by_row_position(tmp_path, monkeypatch):
    """Past READ_WHOLE rows the sample is drawn by offsets with lancedb's own take (it once
    needed pylance, which mmrag does not install, and every ingest past 20,000 chunks of
    one modality failed)."""
    import lancedb
    import numpy as np
    import pyarrow as pa

    from mmrag.stores import lance_items

    monkeypatch.setattr(lance_items, "READ_WHOLE", 10)
    vectors = np.arange(400 * 4, dtype=np.float32).reshape(400, 4)
    modality = ["text" if i % 4 else "image" for i in range(400)]
    table = lancedb.connect(tmp_path).create_table("chunks", pa.table({
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), 4),
        "modality": modality}))
    count, sample = lance_items.sample_rows(table, "modality", "image", 30, seed=1)
    assert count == 100
    assert 0 < len(sample) <= 30 and sample.shape[1] == 4
    rows = (sample[:, 0] / 4).astype(int)
    assert all(modality[r] == "image" for r in rows)  # only the asked modality
    assert len(set(rows.tolist())) == len(rows)  # drawn without replacement


def test_an_index_saved_with_older_references_gets_this_mmrags_at_open(rag, corpus):
    import json

    from mmrag.retrieval.background import references

    rag.ingest([corpus])
    assert read_manifest(rag.index_dir)["calibration"]["references"] == REFERENCES
    # as an older mmrag saved it: no "references" entry, and other reference vectors
    path = rag.index_dir / "mmrag.json"
    manifest = json.loads(path.read_text())
    del manifest["calibration"]["references"]
    path.write_text(json.dumps(manifest))
    with np.load(rag.index_dir / "calibration.npz") as data:
        arrays = dict(data)
    arrays["ref__text"] = -arrays["ref__text"]
    np.savez(rag.index_dir / "calibration.npz", **arrays)
    again = Pipeline.open(rag.index_dir)
    text = again.calibration().spaces["text"]
    assert np.array_equal(text.reference, references(again.embedder, ["text"])["text"])
    assert np.array_equal(text.vectors, arrays["text"])  # its own sample is kept
    assert again.calibration().references == REFERENCES


def test_a_query_off_the_index_subject_finds_nothing_and_ask_says_so(rag, tmp_path):
    from mmrag.embedders import embed_query
    from mmrag.retrieval.topicality import TOPICAL

    rag.ingest([garden(tmp_path / "garden")])
    calibration = rag.calibration()
    spread = calibration.spaces["text"].spread
    assert set(spread) == {"en", "zh"} and all(v > 0 for v in spread.values())
    on, off = "pruning the roses in spring", "How do I bake sourdough bread?"
    assert calibration.topicality(embed_query(rag.embedder, on), "en") >= TOPICAL
    assert calibration.topicality(embed_query(rag.embedder, off), "en") < TOPICAL
    assert rag.search(on, k=5)
    for query in (off, "zqxjvw kkkk", "啊啊 哦哦 嗯嗯？"):
        assert rag.search(query, k=5) == []
        # every hit is still there for a caller that sets its own floor (0: all of them)
        assert len(rag.search(query, k=5, min_relevance=0.0)) == 5
    answer = rag.ask("How do I bake sourdough bread?")
    assert answer.answer == "The indexed sources do not say." and answer.citations == []
    assert rag.ask("啊啊 哦哦 嗯嗯？").answer == "索引中的资料没有提到这一点。"

    # the probes' spread is kept with the index and shown with its calibration
    assert read_manifest(rag.index_dir)["calibration"]["spaces"]["text"]["spread"] == spread
    # the bar is this mmrag's default until `mmrag tune` sets the index's own
    assert calibration.describe()["nothing_found"] == {"topical": TOPICAL, "confident": 0.7}
    assert "nothing_found" not in read_manifest(rag.index_dir)["calibration"]
    again = Pipeline.open(rag.index_dir)
    assert again.calibration().spaces["text"].spread == spread
    assert again.search(off, k=5) == [] and again.search(on, k=5)


def test_a_small_index_is_not_judged_by_spread(rag, corpus):
    # a handful of chunks spread by chance: only the per-hit floor applies
    rag.ingest([corpus])
    assert all(not b.spread for b in rag.calibration().spaces.values())
    assert rag.search("zqxjvw kkkk", k=3)


def test_a_confident_hit_answers_whatever_the_spread():
    from mmrag.retrieval.topicality import CONFIDENT, TOPICAL, answered
    from mmrag.types import Hit

    def hit(relevance):
        return Hit(id="a", text="t", source="s", score=relevance,
                   scores={"relevance": relevance})

    assert answered([hit(CONFIDENT)], TOPICAL - 1.0)
    assert not answered([hit(CONFIDENT - 0.01)], TOPICAL - 0.01)
    assert answered([hit(0.0)], TOPICAL)
    assert answered([hit(0.0)], None)  # no space large enough to read a spread from
    assert answered([Hit(id="b", text="t", source="s", score=0.0)], -5.0)  # uncalibrated


def test_tune_chooses_the_topicality_bar_from_the_dev_set_and_saves_it(rag, tmp_path, capsys):
    import json

    from mmrag.cli.main import main
    from mmrag.retrieval.fit import BARS

    rag.ingest([garden(tmp_path / "garden")])
    devset = tmp_path / "dev.jsonl"
    rows = [{"query": f"{job} the {plant}", "relevant": [f"note{n}.txt"]}
            for n, (job, plant) in enumerate([("pruning", "roses"), ("watering", "tulips"),
                                              ("feeding", "tomatoes"), ("planting", "lavender")])]
    rows += [{"query": q, "relevant": []} for q in
             ("How do I bake sourdough bread?", "zqxjvw kkkk", "price of bitcoin")]
    devset.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["tune", str(devset), "--index", str(rag.index_dir), "--json"]) == 0
    fitted = json.loads(capsys.readouterr().out)["calibration"]
    assert fitted["topical"] in BARS and fitted["topical"] > BARS[0]
    assert fitted["nothing_found"] == 1.0 and fitted["answered"] > 0
    entry = read_manifest(rag.index_dir)["calibration"]
    assert entry["nothing_found"]["topical"] == fitted["topical"]
    again = Pipeline.open(rag.index_dir)
    assert again.calibration().topical == fitted["topical"]
    assert again.search("How do I bake sourdough bread?", k=5) == []


def test_topicality_is_the_widest_spread_against_the_probes_image_spaces_lifted():
    from mmrag.retrieval.topicality import IMAGE_LIFT, MIN_SAMPLE, topicality

    rng = np.random.default_rng(0)
    sample = rng.normal(size=(MIN_SAMPLE, 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)
    spread = {"en": float((sample @ query).std())}
    assert topicality({"text": (sample, spread, False)}, query, "en") == pytest.approx(0.0)
    assert topicality({"image": (sample, spread, True)}, query, "zh") == pytest.approx(IMAGE_LIFT)
    wide = {"en": spread["en"] / 2}
    assert topicality({"a": (sample, spread, False), "b": (sample, wide, False)},
                      query, "en") == pytest.approx(np.log(2))
    assert topicality({"text": (sample[:-1], spread, False)}, query, "en") is None


def test_bm25_s_hits_bring_their_vectors_so_calibration_reads_none_by_id(tmp_path, monkeypatch):
    """A hit that BM25 found and dense did not is judged by its stored vector, read with
    BM25's hits: the same relevance as reading it by id afterwards, one read fewer."""
    from mmrag.embedders import embed_texts
    from mmrag.stores import SourceRecord
    from mmrag.types import Chunk

    rag = Pipeline.open(tmp_path / "index", embedder="hash", create=True)
    words = "tea panda river planet novel bamboo harp market solar thursday".split()
    texts = [f"{words[i % 10]} {words[(i * 3) % 10]} note number {i}" for i in range(120)]
    chunks = [Chunk(id=f"c{i}", source=f"n{i // 4}.txt", text=t) for i, t in enumerate(texts)]
    records = [SourceRecord(f"/n{j}.txt", f"n{j}.txt", "h", 1, 0.0, 4, "text", 0.0)
               for j in range(30)]
    rag.store.write(records, chunks, embed_texts(rag.embedder, texts, "document"))
    rag.store.optimize()
    rag.calibration.refresh(force=True)
    hybrid = rag.retriever("hybrid")
    read_by_id = []
    real = rag.store.vectors
    monkeypatch.setattr(rag.store, "vectors", lambda ids: read_by_id.append(ids) or real(ids))
    taken = 0
    for query in ("tea market", "panda bamboo note", "number 7", "solar harp river"):
        prepared = hybrid.prepare(query)
        found = hybrid.rankings(prepared, 10)
        taken += bool({h.id for h in found["bm25"]} - {h.id for h in found["dense"]})
        read_by_id.clear()
        hits = hybrid.retrieve(query, 10)
        assert read_by_id == []
        # the same as judging those hits by vectors read by id after both searches
        assert hits == hybrid.fuse(found["dense"], found["bm25"], prepared.vector,
                                   lang=prepared.lang)[:10]
        assert "relevance" in hits[0].scores
    assert taken  # some BM25 hits were not among dense's: their vectors came with them
