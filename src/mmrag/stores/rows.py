"""The chunk rows every store keeps, one copy: what a chunk becomes at write time, and a
stored row back into a ``Hit`` or a ``SourceRecord``.

Where the backends differ they say so when they call: how an absent page or time comes
back (LanceDB a null, read as None or NaN; Milvus, which has no nullable columns before
2.5, a -1) and how their filter language writes a string and a list of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from typing import Any

from ..types import Chunk, Hit, Span
from . import SourceRecord
from .filters import quote

HIT_COLUMNS = ["id", "source", "modality", "text", "page", "start", "end", "meta"]
SOURCE_FIELDS = [f.name for f in fields(SourceRecord)]
MISSING = -1  # Milvus' absent page or time


def tokens(text: str) -> str:
    """The words BM25 indexes, space-separated (rjieba segments Chinese into words)."""
    from ..text.tokenize import tokenize

    return " ".join(tokenize(text))


def bm25_query(tokens: Sequence[str]) -> str:
    """BM25's query: the distinct non-blank tokens, in order."""
    return " ".join(dict.fromkeys(t for t in tokens if t.strip()))


def chunk_columns(records: Sequence[SourceRecord], chunks: Sequence[Chunk]) -> dict[str, list[Any]]:
    """The stored columns of ``chunks`` but the vector, each chunk's file from ``records``."""
    by_source = {r.source: r for r in records}
    return {
        "id": [c.id for c in chunks],
        "path": [by_source[c.source].path for c in chunks],
        "source_hash": [by_source[c.source].hash for c in chunks],
        "source": [c.source for c in chunks],
        "modality": [c.modality for c in chunks],
        "chunk_index": [c.index for c in chunks],
        "page": [c.span.page for c in chunks],
        "start": [c.span.start for c in chunks],
        "end": [c.span.end for c in chunks],
        "text": [c.text for c in chunks],
        "tokens": [tokens(c.text) for c in chunks],
        # ",a,b,": one LIKE matches a whole tag (see Filter.sql)
        "tags": ["," + ",".join(c.meta.get("tags", ())) + "," for c in chunks],
        "meta": [json.dumps(c.meta, ensure_ascii=False) for c in chunks],
    }


def in_list(
    column: str, values: Iterable[str], literal: Callable[[str], str] = quote,
    form: str = "IN ({})",
) -> str:
    """``column`` is one of ``values``: SQL (LanceDB) by default; Milvus passes its own
    string ``literal`` and ``form`` ("in [{}]")."""
    return f"{column} " + form.format(", ".join(literal(v) for v in values))


def none_if_nan(value: Any) -> Any:
    """LanceDB's absent page or time: null, which a float column may read back as NaN."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def none_if_missing(value: Any) -> Any:
    """Milvus' absent page or time: ``MISSING``."""
    return None if value is None or value == MISSING else value


def hit(row: dict[str, Any], stage: str, score: float, absent: Callable[[Any], Any]) -> Hit:
    """A stored row of ``HIT_COLUMNS`` as a hit scored ``score`` by ``stage``."""
    span = Span(page=absent(row.get("page")), start=absent(row.get("start")),
                end=absent(row.get("end")))
    return Hit(
        id=row["id"], score=score, source=row["source"], text=row["text"],
        modality=row["modality"], span=span, scores={stage: score},
        meta=json.loads(row["meta"]) if row.get("meta") else {},
    )


def record(row: dict[str, Any]) -> SourceRecord:
    """A stored source row (extra fields, such as Milvus' unused vector, left out)."""
    return SourceRecord(**{f: row[f] for f in SOURCE_FIELDS})
