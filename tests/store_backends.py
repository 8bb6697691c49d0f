"""The store backends the shared store tests run against, and how to open each.

``lancedb``, ``milvus-lite`` and ``milvus-lite-bm25`` always (the Milvus ones are skipped
when pymilvus is absent);
``milvus-server`` against the standalone server that conftest's ``milvus_server_uri``
fixture starts from the ``milvus==2.3.5`` wheel (skipped when that is not installed).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

_ids = itertools.count()

BACKENDS = [
    "lancedb",
    pytest.param("milvus-lite", marks=pytest.mark.milvus),
    # Lite's own BM25 function, exact while the data is one segment
    pytest.param("milvus-lite-bm25", marks=pytest.mark.milvus),
    pytest.param("milvus-server", marks=pytest.mark.milvus_server),
]


def open_store(backend: str, root: Path, dim: int, uri: str | None = None, **options):
    if backend == "lancedb":
        from mmrag.stores.lance import LanceStore

        return LanceStore(root / "lance", dim=dim, **options)
    pytest.importorskip("pymilvus", reason="the Milvus store needs mmrag[milvus]")
    from mmrag.stores.milvus import MilvusStore

    if backend.startswith("milvus-lite"):
        pytest.importorskip("milvus_lite", reason="Milvus Lite needs mmrag[milvus]")
        if backend == "milvus-lite-bm25":
            options.setdefault("bm25", "native")
        return MilvusStore(root, dim=dim, **options)
    if not uri:
        pytest.skip("no Milvus server URI given (the milvus_server_uri fixture starts one)")
    # one server for the session: a fresh collection pair per store keeps tests apart
    return MilvusStore(root, dim=dim, uri=uri, collection=f"t{os.getpid()}_{next(_ids)}",
                       **options)


def close(store) -> None:
    if hasattr(store, "close"):
        store.close()
