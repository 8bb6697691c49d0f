"""mmrag over HTTP: a FastAPI app built around a pipeline, and the web page it serves.

fastapi, uvicorn and python-multipart are imported on first use (``pip install 'mmrag[server]'``);
``import mmrag.server`` stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def create_app(pipeline: Any, settings: Settings | None = None,
               collections: Mapping[str, Any] | None = None) -> Any:
    """The app over ``pipeline``, or over ``collections`` by name (``pipeline`` the first)."""
    from .app import create_app as factory

    return factory(pipeline, settings or Settings(), collections)


def serve(
    pipeline: Any, settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000,
    collections: Mapping[str, Any] | None = None,
) -> None:
    from .app import serve as run

    run(pipeline, settings or Settings(), host, port, collections)
