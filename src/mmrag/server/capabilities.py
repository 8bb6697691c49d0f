"""What this server can do for the page (``/api/info``'s ``capabilities``), read from what
the pipeline's parts declare: the embedder's ``modalities``, the store's optional extras,
and whether speech support is installed."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ..errors import MissingDependencyError


@runtime_checkable
class _ShapeStore(Protocol):
    # Stand-in for stores.capabilities.ShapeStore until Pipeline.capabilities is on this branch.
    def shape_descriptors(self) -> Any: ...


def capabilities(pipeline: Any) -> dict[str, bool]:
    try:
        speech_transcriber()
        audio = True
    except MissingDependencyError:
        audio = False
    return {
        "image_query": "image" in pipeline.embedder.modalities,
        "audio_query": audio,
        "mesh_query": isinstance(pipeline.store, _ShapeStore),
        "stream": True,
    }


def speech_transcriber() -> Any:
    """``speech.transcribe_text``, or MissingDependencyError when speech support is missing."""
    try:
        from ..speech import transcribe_text
    except ImportError:
        raise MissingDependencyError(
            "this mmrag has no speech support for spoken queries") from None
    return transcribe_text
