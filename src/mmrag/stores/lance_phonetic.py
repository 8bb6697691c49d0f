"""The "phonetic" side table: the sound-alike keys of audio and video transcript chunks.

One row per transcript chunk (id, path, its keys from :mod:`mmrag.text.phonetic`) with a
full-text (BM25) index of its own, so a query naming someone finds the recording whose
transcript misspells the name. Only speech has keys: a text file spells its names as
written. An index made before this table existed gets it from its stored transcripts the
next time it is ingested (``upgrade``); until then the phonetic ranking is empty.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..types import SPOKEN, Chunk, Hit
from . import lance_reads as reads
from .filters import Filter
from .lance_items import hit as _hit
from .rows import HIT_COLUMNS, in_list


def spoken_keys(texts: Sequence[str]) -> list[str]:
    from ..text.phonetic import keys

    return [" ".join(keys(t)) for t in texts]


class PhoneticKeys:
    name = "phonetic"

    def __init__(self, db: Any, pa: Any):
        self._db = db
        self._pa = pa
        self._table: Any = None
        self._missed = -1.0
        self._chinese = (-1.0, False)  # (when looked, whether any Chinese keys)

    def table(self, create: bool = False) -> Any:
        if self._table is None:
            # an index without recordings is asked on every query: look again once a second
            if not create and time.monotonic() - self._missed < 1.0:
                return None
            if self.name in self._db.list_tables().tables:
                self._table = self._db.open_table(self.name)
            elif create:
                pa = self._pa
                schema = pa.schema([("id", pa.string()), ("path", pa.string()),
                                    ("keys", pa.string())])
                self._table = self._db.create_table(self.name, schema=schema, exist_ok=True)
                self._index()
            else:
                self._missed = time.monotonic()
        return self._table

    def has_chinese(self) -> bool:
        """Whether any transcript has Chinese keys (pinyin pairs, "a_b"; English keys are
        letters only). A Chinese query's keys need pypinyin, 0.4 s to import (most of it
        its phrase dictionary), and can match only those. Looked up again at most once a
        second, as the table itself, for an ingest in another process."""
        now = time.monotonic()
        if now - self._chinese[0] >= 1.0:
            table = self.table()
            found = table is not None and bool(
                table.search().where("strpos(keys, '_') > 0").select(["id"]).limit(1).to_list())
            self._chinese = (now, found)
        return self._chinese[1]

    def _index(self) -> None:
        from lancedb.index import FTS

        # keys are already normalised words: split on spaces, nothing stemmed or dropped
        config = FTS(base_tokenizer="whitespace", lower_case=True, stem=False,
                     remove_stop_words=False, ascii_folding=False, with_position=False)
        self._table.create_index("keys", config=config, replace=True)

    def write(self, chunks: Sequence[Chunk], paths: Sequence[str]) -> None:
        """Add the keys of the spoken ones among ``chunks`` (their files' old rows gone)."""
        spoken = [(c, p) for c, p in zip(chunks, paths, strict=True) if c.modality in SPOKEN]
        if spoken:
            self._add([c.id for c, _ in spoken], [p for _, p in spoken],
                      spoken_keys([c.text for c, _ in spoken]))

    def _add(self, ids: Sequence[str], paths: Sequence[str], keys: Sequence[str]) -> None:
        pa = self._pa
        self.table(create=True).add(pa.Table.from_arrays(
            [pa.array(list(ids), pa.string()), pa.array(list(paths), pa.string()),
             pa.array(list(keys), pa.string())], names=["id", "path", "keys"]))

    def delete(self, where: str) -> None:
        if self.table() is not None:
            self._table.delete(where)

    def optimize(self) -> None:
        if self.table() is not None:
            self._table.optimize()

    def upgrade(self, chunks: Any) -> bool:
        """Key the transcripts of an index made before this table; True if it did."""
        if self.table() is not None:
            return False
        rows = chunks.search().where(in_list("modality", SPOKEN)) \
            .select(["id", "path", "text"]).limit(max(chunks.count_rows(), 1)).to_list()
        if not rows:
            return False
        self._add([r["id"] for r in rows], [r["path"] for r in rows],
                  spoken_keys([r["text"] for r in rows]))
        return True

    def search(self, chunks: Any, keys: Sequence[str], k: int,
               where: Filter | None = None) -> list[Hit]:
        """The transcript chunks whose keys best match ``keys`` (BM25), scored "phonetic"."""
        terms = " ".join(dict.fromkeys(key for key in keys if key.strip()))
        if not terms or self.table() is None:
            return []
        # more than k: the filter is applied to the chunks found, after the key search
        found = reads.rows(self._table, reads.Search(
            ["id", "_score"], k if where is None else 4 * k, text=terms, text_column="keys"))
        score = {r["id"]: float(r["_score"]) for r in found}
        if not score:
            return []
        sql = in_list("id", list(score))
        if where is not None and where.sql():
            sql = f"({sql}) AND ({where.sql()})"
        rows = reads.rows(chunks, reads.Search(HIT_COLUMNS, len(score), where=sql))
        hits = [_hit(r, "phonetic", score[r["id"]]) for r in rows]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:k]
