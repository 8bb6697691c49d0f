"""vocab add, list and remove: the names an index's recordings say (see mmrag.vocab)."""

from __future__ import annotations

import argparse

from ...errors import ConfigError
from ..shared import emit, open_pipeline


def cmd_vocab(args: argparse.Namespace) -> int:
    from ... import vocab
    from ...index import write_lock

    rag = open_pipeline(args, create=args.action == "add")
    with write_lock(rag.index_dir):
        terms = vocab.load(rag.index_dir)
        if args.action == "add":
            added = list(args.terms) + [t for f in args.file for t in vocab.read_file(f)]
            if not added:
                raise ConfigError("vocab add: expected names (or --file FILE), got none")
            terms = vocab.save(rag.index_dir, vocab.merge(terms, added))
        elif args.action == "remove":
            kept = vocab.without(terms, args.terms)
            missing = len(terms) - len(kept) < len(set(args.terms))
            terms = vocab.save(rag.index_dir, kept)
            if missing:
                raise ConfigError(f"vocab remove: not all of {args.terms} were in the "
                                  "vocabulary (see `mmrag vocab list`)")
    text = "\n".join(terms) if terms else "the vocabulary is empty (mmrag vocab add NAME ...)"
    if args.action != "list" and terms:
        text += f"\n{len(terms)} entries; `mmrag ingest PATH --retranscribe` applies them"
    emit(args, {"vocabulary": terms, "hints": vocab.hints(terms)}, text)
    return 0


def apply_ingest_flags(args: argparse.Namespace, index_dir: object) -> None:
    """``ingest --vocab FILE --transcriber-model DIR``: recorded before the run."""
    from pathlib import Path

    from ... import vocab
    from ...index import write_lock

    folder = Path(str(index_dir))
    with write_lock(folder):
        if args.vocab is not None:
            vocab.save(folder, vocab.merge(vocab.load(folder), vocab.read_file(args.vocab)))
        if args.transcriber_model is not None:
            vocab.set_transcriber_model(folder, args.transcriber_model)
