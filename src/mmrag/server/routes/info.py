"""GET /api/health (no token) and GET /api/info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ... import __version__
from ...loaders import by_extension
from .. import capabilities
from ..settings import Settings


def health_router(settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/api/health", tags=["server"])
    def health() -> dict[str, Any]:
        """Liveness, without a token: says whether the API wants one."""
        return {"status": "ok", "version": __version__, "auth": settings.auth_required}

    return router


def info_router(pipeline: Any, settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/info", tags=["server"])
    def info() -> dict[str, Any]:
        records = pipeline.sources()
        return {
            "index": str(pipeline.index_dir),
            "embedder": pipeline.embedder.name,
            "generator": pipeline.generator.name,
            "strategy": pipeline.strategy,
            "sources": len(records),
            "chunks": sum(r.chunks for r in records),
            "extensions": sorted(by_extension()),
            "max_upload_bytes": settings.max_upload_bytes,
            "allowed_paths": [str(p) for p in settings.allowed_paths],
            "capabilities": capabilities.capabilities(pipeline),
            # how scores are calibrated: the background sample per modality, the
            # relevance model and the floor below which hits are not returned
            "calibration": {**pipeline.calibration().describe(), "floor": pipeline.floor},
        }

    return router
