"""Request bodies of the HTTP API. Unknown keys are rejected (a typo is an error, not a no-op).

Responses reuse the library's own shapes (``Hit.to_dict``, ``Answer.to_dict``) so the CLI's
``--json`` and the API agree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..stores.filters import Filter
from ..text.valid import valid_text

Modality = Literal["text", "image", "audio", "video", "mesh"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueryFilters(Strict):
    """Where to look; the same filters as the CLI's ``--modality --source --tag --after
    --before`` and ``Pipeline.search``."""

    modality: list[Modality] = []
    source: str | None = Field(None, description="only hits whose file path matches this glob")
    tags: list[str] = Field([], description="only hits from files ingested with any of these tags")
    after: float | None = Field(None, allow_inf_nan=False, description="only timed hits "
                                "(audio, video) ending after this second")
    before: float | None = Field(None, allow_inf_nan=False,
                                 description="only timed hits starting before this second")
    strategy: str | None = Field(None, description="shared/hybrid, text, average, fusion, "
                                 "hybrid-rrf, dense or bm25")
    min_relevance: float | None = Field(None, ge=0.0, le=1.0, description="leave out hits "
                                        "below this calibrated relevance (default: the "
                                        "index's floor, in /api/info)")

    def where(self) -> Filter:
        """The one filter object the pipeline takes (it validates itself: a 400 if bad)."""
        return Filter(tuple(self.modality), self.source, tuple(self.tags), self.after,
                      self.before)


class SearchRequest(QueryFilters):
    query: str = Field(min_length=1, max_length=2000)
    # strict: "5" and true are a client's mistake, not a number
    k: int = Field(10, ge=1, le=100, strict=True)

    @field_validator("query")
    @classmethod
    def readable_query(cls, value: str) -> str:
        return valid_text(value, "the query")


class AskRequest(QueryFilters):
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(5, ge=1, le=50, strict=True)

    @field_validator("question")
    @classmethod
    def readable_question(cls, value: str) -> str:
        return valid_text(value, "the question")


class IngestPathRequest(Strict):
    paths: list[str] = Field(min_length=1, description="files or folders under an allowed root")


class VocabularyRequest(Strict):
    vocabulary: list[str] = Field(description="names and words the index's recordings say, "
                                  "e.g. [\"Turlough O'Carolan\", \"张伟\"]; [] clears it")


class SearchResponse(BaseModel):
    query: str
    hits: list[dict]


class JobResponse(BaseModel):
    id: str
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    current: str = Field(description="the file being indexed")
    seconds: float = Field(0.0, description="inside a recording: seconds of it read so far")
    seconds_total: float | None = Field(None, description="the recording's length, if known")
    report: dict | None = None
    error: str | None = None


class DeleteResponse(BaseModel):
    deleted: list[str]
    chunks: int
