"""Where a Milvus store lives and how its two collections are made: the chunks (with a
server BM25 function on Milvus 2.5+) and the source records."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .bm25_local import K1, B


def resolve_uri(uri: str | None, index_dir: Path) -> str:
    if not uri:
        return str(index_dir / "milvus.db")
    if uri.startswith("milvus://"):
        return "http://" + uri[len("milvus://"):]
    if uri.startswith(("http://", "https://", "tcp://", "unix:")):
        return uri
    if uri.endswith(".db"):
        path = Path(uri).expanduser()
        return str(path if path.is_absolute() else index_dir / path)
    raise ConfigError(
        f"unknown Milvus URI {uri!r}: expected a Milvus Lite file ending in .db, "
        f"or a server as milvus://host:19530 or http://host:19530"
    )


def server_has_bm25(version: str, lite: bool) -> bool:
    if lite:
        return False  # Lite's BM25 scores each segment with its own statistics
    numbers = re.findall(r"\d+", version)
    return len(numbers) >= 2 and (int(numbers[0]), int(numbers[1])) >= (2, 5)


def has_bm25_function(client: Any, collection: str) -> bool:
    info = client.describe_collection(collection)
    return any(f.get("name") == "sparse" for f in info.get("fields", []))


def create_chunks(
    pm: Any, client: Any, collection: str, dim: int, index: str, native_bm25: bool, lite: bool
) -> None:
    dt = pm.DataType
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", dt.VARCHAR, is_primary=True, max_length=2048)
    for name, length in (("path", 4096), ("source_hash", 128), ("source", 4096),
                         ("modality", 32), ("text", 65535)):
        schema.add_field(name, dt.VARCHAR, max_length=length)
    schema.add_field("chunk_index", dt.INT32)
    schema.add_field("page", dt.INT32)
    schema.add_field("start", dt.DOUBLE)
    schema.add_field("end", dt.DOUBLE)
    if native_bm25:
        # mmrag segments (rjieba for Chinese) into space-separated lower-case words;
        # the analyser only has to split on spaces. Lite's "standard" splits on \w+,
        # which gives the same words; a server's "whitespace" does exactly that. Words
        # are stemmed (English Snowball) on both sides, as LanceDB's index does; Milvus
        # Lite ignores analyser filters, so its own BM25 (bm25="native") does not stem.
        analyzer = {"tokenizer": "standard" if lite else "whitespace",
                    "filter": [{"type": "stemmer", "language": "english"}]}
        schema.add_field("tokens", dt.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params=analyzer)
        schema.add_field("sparse", dt.SPARSE_FLOAT_VECTOR)
        schema.add_function(pm.Function(
            name="bm25", function_type=pm.FunctionType.BM25,
            input_field_names=["tokens"], output_field_names=["sparse"],
        ))
    else:
        schema.add_field("tokens", dt.VARCHAR, max_length=65535)
    schema.add_field("meta", dt.VARCHAR, max_length=65535)
    schema.add_field("vector", dt.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    params.add_index("vector", index_type=index, metric_type="COSINE",
                     params={"M": 16, "efConstruction": 200} if index == "HNSW" else {})
    if native_bm25:
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": K1, "bm25_b": B,
                                 "params": {"bm25_k1": K1, "bm25_b": B}})
    client.create_collection(collection, schema=schema, index_params=params,
                             consistency_level="Strong")


def create_sources(pm: Any, client: Any, collection: str) -> None:
    dt = pm.DataType
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("path", dt.VARCHAR, is_primary=True, max_length=4096)
    for name, length in (("source", 4096), ("hash", 128), ("loader", 256)):
        schema.add_field(name, dt.VARCHAR, max_length=length)
    schema.add_field("size", dt.INT64)
    schema.add_field("mtime", dt.DOUBLE)
    schema.add_field("chunks", dt.INT32)
    schema.add_field("ingested_at", dt.DOUBLE)
    schema.add_field("unused", dt.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
    params = client.prepare_index_params()
    params.add_index("unused", index_type="FLAT", metric_type="L2")
    client.create_collection(collection, schema=schema, index_params=params,
                             consistency_level="Strong")


def sample(client: Any, chunks: str, level: str, space: str, n: int,
           seed: int) -> tuple[int, np.ndarray]:
    """(items of one modality, up to ``n`` of their vectors drawn at random); Milvus keeps
    no alternative vectors, so ``alt:`` spaces are empty."""
    empty = np.zeros((0, 0), dtype=np.float32)
    if space.startswith("alt:"):
        return 0, empty
    where = f'modality == "{space}"'
    count = int(client.query(chunks, filter=where, output_fields=["count(*)"],
                             consistency_level=level)[0]["count(*)"])
    if not count:
        return 0, empty
    rows = client.query(chunks, filter=where, output_fields=["vector"],
                        limit=min(count, 4 * n, 16384), consistency_level=level)
    matrix = np.asarray([r["vector"] for r in rows], dtype=np.float32)
    if len(matrix) > n:
        pick = np.random.default_rng(seed).choice(len(matrix), size=n, replace=False)
        matrix = matrix[np.sort(pick)]
    return count, matrix
