"""mmrag over HTTP: a FastAPI app built around a pipeline, and the web page it serves.

fastapi, uvicorn and python-multipart are imported on first use (``pip install 'mmrag[server]'``);
``import mmrag.server`` stays light.
"""

from __future__ import annotations

from typing import Any

from .settings import Settings

__all__ = ["Settings", "create_app", "serve"]


def create_app(pipeline: Any, settings: Settings | None = None) -> Any:
    from .app import create_app as factory

    return factory(pipeline, settings or Settings())


def serve(
    pipeline: Any, settings: Settings | None = None, host: str = "127.0.0.1", port: int = 8000
) -> None:
    from .app import serve as run

    run(pipeline, settings or Settings(), host, port)
