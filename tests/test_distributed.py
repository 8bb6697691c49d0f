"""Ray Data ingest gives the same index as the plain ingest (local Ray on this machine)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
pytest.importorskip("ray.data", reason="distributed ingest needs mmrag[distributed]")

from mmrag.distributed import ray_ingest  # noqa: E402
from mmrag.pipeline import Pipeline  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_ingest_equals_the_plain_one(tmp_path, corpus):
    plain = Pipeline.open(tmp_path / "plain", embedder="hash", create=True)
    distributed = Pipeline.open(tmp_path / "ray", embedder="hash", create=True)
    expected = plain.ingest([corpus])
    got = ray_ingest(distributed, [corpus], files_per_task=2)
    assert sorted(got.added) == sorted(expected.added) and got.chunks == expected.chunks
    assert sorted(got.unsupported) == sorted(expected.unsupported)
    key = [(r.source, r.hash, r.chunks) for r in plain.sources()]
    assert [(r.source, r.hash, r.chunks) for r in distributed.sources()] == key
    for query in ["熊猫吃什么", "tea in Europe", "hottest planet", "Fitzgerald novel"]:
        a, b = plain.search(query, k=5), distributed.search(query, k=5)
        assert [(h.id, round(h.score, 6)) for h in a] == [(h.id, round(h.score, 6)) for h in b]
    again = ray_ingest(distributed, [corpus])
    assert not again.added and sorted(again.unchanged) == sorted(expected.added)
    (corpus / "tea.md").write_text("# Tea\n\nOolong is partly oxidised.", encoding="utf-8")
    changed = ray_ingest(distributed, [corpus])
    assert [s for s in changed.updated] == [s for s in changed.updated if s.endswith("tea.md")]
    assert len(changed.updated) == 1
    assert distributed.search("oolong", k=1, strategy="bm25")[0].source.endswith("tea.md")
