"""mmrag: offline-first multimodal retrieval-augmented generation.

    from mmrag import Pipeline
    rag = Pipeline.open("./.mmrag", create=True)
    rag.ingest(["notes/"])
    for hit in rag.search("熊猫吃什么", k=5):
        print(hit.score, hit.source, hit.span.label(), hit.text)
    print(rag.ask("Who wrote the 1929 novel?").answer)

Importing mmrag is cheap: models, the store and PDF readers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError, IndexMismatchError, IngestError, MissingDependencyError, MmragError
from .types import Answer, Chunk, Content, Hit, Section, Span

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .pipeline import Pipeline

__all__ = [
    "Answer", "Chunk", "ConfigError", "Content", "Hit", "IndexMismatchError", "IngestError",
    "MissingDependencyError", "MmragError", "Pipeline", "Section", "Span", "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "Pipeline":
        from .pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'mmrag' has no attribute {name!r}")
