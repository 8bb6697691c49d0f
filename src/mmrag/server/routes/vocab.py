"""GET and PUT /api/vocab: the index's vocabulary, the names its recordings say
(:mod:`mmrag.vocab`); later ingests give them to the transcriber as hints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ... import vocab
from ...errors import busy
from ...index import write_lock
from ..jobs import WRITE_WAIT_S
from ..schemas import VocabularyRequest


def vocab_router(pipeline: Any) -> APIRouter:
    router = APIRouter(tags=["index"])

    @router.get("/vocab")
    def get_vocabulary() -> dict[str, Any]:
        terms = vocab.load(pipeline.index_dir)
        return {"vocabulary": terms, "hints": vocab.hints(terms)}

    @router.put("/vocab")
    def put_vocabulary(body: VocabularyRequest) -> dict[str, Any]:
        """Replace the vocabulary (a 400 names a bad entry; at most 1,000 entries). Files
        already ingested keep their transcripts until `mmrag ingest --retranscribe`."""
        with write_lock(pipeline.index_dir, WRITE_WAIT_S) as taken:
            if not taken:
                raise busy(pipeline.index_dir)
            terms = vocab.save(pipeline.index_dir, body.vocabulary)
        return {"vocabulary": terms, "hints": vocab.hints(terms)}

    return router
