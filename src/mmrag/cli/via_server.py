"""``mmrag search`` answered by a running ``mmrag serve`` on the same index, when one is up.

A fresh process pays seconds before its first hit (importing lancedb and its pydantic
models, pandas through pyarrow.dataset, loading the text model); a warm server answers in
milliseconds. The hits are the server's ``Hit.to_dict()``, printed as an in-process search
prints them. Anything the server might answer differently from this process is searched
in-process instead: a query by file (``--audio``, ``--image``, ``--mesh``), another
``--embedder`` or ``--reranker``, ``MMRAG_*`` index settings, a manifest changed since the
server read it (``discovery.View``), a token the server wants and this shell lacks, any
error. ``MMRAG_SERVER=off`` never asks.
"""

from __future__ import annotations

import argparse
import http.client
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..server.discovery import find, on_disk
from ..types import Hit, Span
from .environment import VARIABLES, switch

CONNECT_S = 0.5  # a live server accepts at once; a wedged one is not waited for
ANSWER_S = 600.0


def _askable(args: argparse.Namespace, environ: Mapping[str, str]) -> bool:
    return (switch(environ, "MMRAG_SERVER") and bool(args.query)
            and args.audio is None and args.image is None and args.mesh is None
            and args.embedder is None and args.reranker is None
            and not any(name in environ for name in VARIABLES))


def search(args: argparse.Namespace, environ: Mapping[str, str]) -> list[dict[str, Any]] | None:
    """The server's hits for ``args``' search, or None: then search in-process."""
    if not _askable(args, environ):
        return None
    index_dir = args.index or Path(environ.get("MMRAG_INDEX") or ".mmrag")
    record = find(index_dir)
    seen = on_disk(index_dir)
    token = environ.get("MMRAG_API_TOKEN")
    if record is None or seen is None or (record.get("auth") and not token):
        return None
    body = {"query": args.query, "k": args.k or 10, "modality": args.modality,
            "source": args.source, "tags": args.tags, "after": args.after,
            "before": args.before, "strategy": args.strategy,
            "min_relevance": args.min_relevance}
    headers = {"Content-Type": "application/json", "X-Mmrag-Manifest": seen,
               **({"Authorization": f"Bearer {token}"} if token else {})}
    url = urlsplit(record["api"])
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80,
                                            timeout=CONNECT_S)
    try:
        connection.connect()
        connection.sock.settimeout(ANSWER_S)
        connection.request("POST", url.path + "/search", json.dumps(body).encode(), headers)
        response = connection.getresponse()
        answer = json.loads(response.read()) if response.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
    hits = answer.get("hits") if isinstance(answer, dict) else None
    return hits if isinstance(hits, list) else None


def hit_of(data: dict[str, Any]) -> Hit:
    """A hit back from its ``to_dict()`` (for the terminal's rendering)."""
    span = dict(data.get("span") or {})
    if "region" in span:
        span["region"] = tuple(span["region"])
    return Hit(id=data["id"], score=data["score"], source=data["source"], text=data["text"],
               modality=data.get("modality", "text"), span=Span(**span),
               scores=dict(data.get("scores") or {}), meta=dict(data.get("meta") or {}))
