"""What the operator decides about a server: token, limits, allowed folders, CORS."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    # Bearer token for every /api route but health; None leaves the API open (loopback only).
    token: str | None = None
    max_upload_bytes: int = 50 * 2**20
    # Server-side folders that POST /api/ingest/path may read; none by default.
    allowed_paths: tuple[Path, ...] = ()
    # Origins allowed by CORS; empty means no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # Transcriber for spoken queries (used once mmrag.speech is installed).
    transcriber: str = "whisper"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        token = os.environ.get("MMRAG_API_TOKEN") or None
        return cls(token=token, **overrides)  # type: ignore[arg-type]
