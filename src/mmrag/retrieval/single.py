"""Single-retriever strategies, the baselines that hybrid and fusion are measured against."""

from __future__ import annotations

from dataclasses import dataclass

from ..embedders import Embedder, embed_query
from ..stores import Store
from ..stores.filters import Filter
from ..text.stopwords import bm25_terms
from ..types import Hit


@dataclass
class DenseRetriever:
    store: Store
    embedder: Embedder

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.store.dense(embed_query(self.embedder, query), k, where)


@dataclass
class BM25Retriever:
    store: Store

    def retrieve(self, query: str, k: int, where: Filter | None = None) -> list[Hit]:
        return self.store.sparse(bm25_terms(query), k, where)
