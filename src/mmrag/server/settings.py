"""What the operator decides about a server: token, limits, allowed folders, CORS."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    # Transcriber for spoken queries and uploaded recordings (once mmrag.speech is installed).
    transcriber: str = "whisper"
    # Collection tokens: each reads only the collections named for it (``token`` reads all).
    grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The collection an app serves (one app per collection, see :mod:`.collections`).
    collection: str = "default"
    # The MCP tool `delete` (off unless the operator allows it).
    mcp_delete: bool = False

    @property
    def auth_required(self) -> bool:
        return bool(self.token or self.grants)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        token = os.environ.get("MMRAG_API_TOKEN") or None
        grants = parse_grants(os.environ.get("MMRAG_COLLECTION_TOKENS", ""))
        return cls(token=token, grants=grants, **overrides)  # type: ignore[arg-type]


def parse_grants(text: str) -> dict[str, frozenset[str]]:
    """``MMRAG_COLLECTION_TOKENS``: ``TOKEN=work+family,TOKEN2=family``."""
    grants: dict[str, frozenset[str]] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        token, sep, names = entry.partition("=")
        if not sep or not token or not names:
            from ..errors import ConfigError

            raise ConfigError(f"MMRAG_COLLECTION_TOKENS: expected TOKEN=NAME[+NAME...], got "
                              f"an entry of {len(entry)} characters without that shape")
        grants[token.strip()] = grants.get(token.strip(), frozenset()) | frozenset(
            n.strip() for n in names.split("+") if n.strip())
    return grants
