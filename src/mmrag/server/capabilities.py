"""What this server can do for the page (``/api/info``'s ``capabilities``), read from what
the pipeline's parts declare: the embedder's ``modalities``, the store's extras found when
the index opened (``Pipeline.capabilities``), and whether speech support is installed."""

from __future__ import annotations

from typing import Any

from ..errors import MissingDependencyError


def capabilities(pipeline: Any) -> dict[str, bool]:
    try:
        speech_transcriber()
        audio = True
    except MissingDependencyError:
        audio = False
    return {
        "image_query": "image" in pipeline.embedder.modalities,
        "audio_query": audio,
        "mesh_query": pipeline.capabilities.shapes is not None,
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
