"""mcp and watch, and the collections that serve and mcp open from their flags."""

from __future__ import annotations

import argparse
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ..shared import open_pipeline

if TYPE_CHECKING:
    from ...pipeline import Pipeline

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _named(entry: str) -> tuple[str, Path] | None:
    name, sep, path = entry.partition("=")
    if sep and NAME.fullmatch(name) and path:
        return name, Path(path).expanduser()
    return None


def open_collections(args: argparse.Namespace, create: bool = True) -> dict[str, Pipeline]:
    """``--index DIR`` (one index, named ``default``), ``--index NAME=DIR`` repeated and
    ``--collections DIR`` (each subfolder holding an index), in that order."""
    from ...index import read_manifest

    entries = list(args.index or [])
    named = [(e, _named(e)) for e in entries]
    plain = [e for e, n in named if n is None]
    folders: dict[str, Path] = {}
    for entry, pair in named:
        if pair is not None:
            if pair[0] in folders:
                raise ConfigError(f"--index {entry}: collection {pair[0]!r} is named twice")
            folders[pair[0]] = pair[1]
    if args.collections is not None:
        root = args.collections.expanduser()
        if not root.is_dir():
            raise ConfigError(f"--collections {root}: not a folder")
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            if read_manifest(sub) is not None and NAME.fullmatch(sub.name):
                folders.setdefault(sub.name, sub)
        if not folders:
            raise ConfigError(f"--collections {root}: no index in its subfolders (make one "
                              f"with `mmrag ingest --index {root}/NAME FILES`)")
    if plain and (folders or len(plain) > 1):
        raise ConfigError(f"--index {plain[0]}: with several indexes, name each one: "
                          "--index NAME=DIR (names: letters, digits, '_', '.', '-')")
    if not folders:
        one = argparse.Namespace(**{**vars(args), "index": Path(plain[0]) if plain else None})
        return {"default": open_pipeline(one, create=create)}
    return {name: open_pipeline(argparse.Namespace(**{**vars(args), "index": path}),
                                create=create)
            for name, path in folders.items()}


def watch_in_background(pipelines: dict[str, Any], entries: list[str],
                        stop: threading.Event) -> list[threading.Thread]:
    """``serve --watch [NAME=]DIR``: one watcher thread per collection watched."""
    from ...ingest.watch import watch

    by_name: dict[str, list[Path]] = {}
    first = next(iter(pipelines))
    for entry in entries:
        pair = _named(entry)
        name, folder = pair if pair is not None else (first, Path(entry).expanduser())
        if name not in pipelines:
            raise ConfigError(f"--watch {entry}: no collection {name!r} (collections: "
                              f"{list(pipelines)})")
        by_name.setdefault(name, []).append(folder)
    threads = []
    for name, folders in by_name.items():
        def run(name: str = name, folders: list[Path] = folders) -> None:
            watch(pipelines[name], folders, stop=stop, on_sync=lambda r: _say(name, r))
        thread = threading.Thread(target=run, daemon=True, name=f"mmrag-watch-{name}")
        thread.start()
        threads.append(thread)
    return threads


def _say(name: str, report: Any) -> None:
    done = report.ingest
    print(f"mmrag: {name}: {len(done.added)} added, {len(done.updated)} updated, "
          f"{len(report.removed)} removed, {len(done.errors)} errors "
          f"({report.seconds:.2f} s)", file=sys.stderr, flush=True)
    for source, error in done.errors:
        print(f"mmrag: {name}: {source}: {error}", file=sys.stderr, flush=True)


def cmd_watch(args: argparse.Namespace) -> int:
    from ...ingest.watch import sync, watch

    rag = open_pipeline(args, create=True)
    if args.once:
        report = sync(rag, args.paths)
        _say("sync", report)
        return 1 if report.ingest.failed else 0
    print(f"mmrag: watching {', '.join(map(str, args.paths))} into {rag.index_dir} "
          "(Ctrl-C to stop)", file=sys.stderr, flush=True)
    watch(rag, args.paths, debounce_ms=args.debounce_ms, on_sync=lambda r: _say("watch", r))
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from ...server.collections import Collections
    from ...server.mcp_server import build_mcp, local_reader
    from ...server.settings import Settings

    settings = Settings(allowed_paths=tuple(p.expanduser().resolve() for p in args.allow_path),
                        mcp_delete=args.allow_delete)
    collections = Collections(open_collections(args, create=True), settings)
    build_mcp(collections, settings, local_reader(collections)).run("stdio")
    return 0
