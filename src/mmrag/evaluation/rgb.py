"""RGB (Chen et al., AAAI 2024, arXiv 2309.01431): does a generator answer from noisy passages,
and does it refuse when no passage holds the answer?

RGB's protocol, as its ``evalue.py`` runs it: each question gets 5 passages, a share
``noise_rate`` of them negative (on the topic, without the answer) and the rest positive,
shuffled. Accuracy (noise < 1): every part of the gold answer is in the output (a part given as
alternatives matches when one of them is). Rejection (noise = 1): the output says the passages do
not hold the answer; RGB looks for "信息不足" / "insufficient information", mmrag's answerers
say it in their own words, so an answer counts as a refusal when it is mmrag's abstention or
carries a refusal phrase (``prompting.says_unknown``). No retrieval: the passages are the
context, refined and answered as ``Pipeline.answer`` does. The data is CC BY-NC-SA: evaluation
only, never shipped.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..generators.abstain import NOT_FOUND
from ..generators.prompting import content_words, says_unknown, strip_citations
from ..text.sentences import split_sentences
from ..types import Answer, Hit

PASSAGES = 5


@dataclass
class RGB:
    path: Path
    items: list[dict[str, Any]]
    kind: str = "rgb"


def is_rgb(path: Path) -> bool:
    if not (path.is_file() and path.suffix == ".json"):
        return False
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    try:
        row = json.loads(first)
    except ValueError:
        return False
    return isinstance(row, dict) and {"query", "answer", "positive", "negative"} <= set(row)


def read_rgb(path: Path) -> RGB:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not (isinstance(row["query"], str) and row["positive"] and row["negative"]):
                raise KeyError("positive")
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}:{n}: not an RGB row {{query, answer, positive, negative}} ({exc})"
            ) from None
        items.append(row)
    return RGB(path, items)


def passages(item: dict[str, Any], noise: float, rng: random.Random) -> list[str]:
    """RGB's draw: round(5 * noise) negatives, positives for the rest, shuffled."""
    negatives = min(round(PASSAGES * noise), len(item["negative"]))
    positives = PASSAGES - negatives
    texts = [_text(p) for p in item["positive"][:positives]]
    texts += [_text(p) for p in item["negative"][:negatives]]
    rng.shuffle(texts)
    return texts


def _text(passage: Any) -> str:
    # zh_int gives a passage as a list of pieces
    return " ".join(passage) if isinstance(passage, list) else str(passage)


def correct(prediction: str, answer: Any) -> bool:
    """RGB's ``checkanswer``: every part found, a list part by any of its alternatives."""
    text = prediction.lower()
    parts = answer if isinstance(answer, list) else [answer]
    found = []
    for part in parts:
        if isinstance(part, list):
            found.append(any(str(a).lower() in text for a in part))
        else:
            found.append(str(part).lower() in text)
    return bool(found) and all(found)


def refused(answer: Answer) -> bool:
    text = answer.answer
    return (
        "信息不足" in text or "insufficient information" in text.lower()
        or text in NOT_FOUND.values() or (says_unknown(text) and not answer.citations)
    )


def supported(answer: Answer) -> float:
    """Share of the answer's sentences whose content words are mostly (>= 60%) in the passages
    it cites: a lexical faithfulness check (no NLI), blind to paraphrase. A refusal, citing
    nothing, is supported by definition."""
    sentences = [strip_citations(s) for s in split_sentences(answer.answer)]
    sentences = [s for s in sentences if content_words(s)]
    if not sentences or not answer.citations:
        return 1.0 if refused(answer) else 0.0
    cited = set().union(*(content_words(h.text) for h in answer.citations))
    text = " ".join(h.text for h in answer.citations).lower()
    ok = 0
    for s in sentences:
        words = content_words(s)
        inside = sum(1 for w in words if w in cited or w in text)
        ok += inside >= 0.6 * len(words)
    return ok / len(sentences)


def run_rgb(data: RGB, index_dir: Path, config: Any, progress: Any) -> dict[str, Any]:
    """Every generator on the same draws. Generators take turns question by question, so that
    ``llm`` and ``hybrid`` on one local model send the same prompt one after the other and
    the server's prompt cache spares the second its prompt processing."""
    from ..pipeline import Pipeline
    from .runner import generator_choice

    rng = random.Random(config.seed)
    items = data.items
    if config.limit and config.limit < len(items):
        items = sorted(rng.sample(items, config.limit), key=lambda r: r["id"])
    rags = {}
    for name in config.generators:
        generator, options = generator_choice(name, config.generator_options)
        rags[name] = Pipeline.open(index_dir, embedder=config.embedder, create=True,
                                   store=config.store, generator=generator,
                                   generator_options=options)
    tallies: dict[tuple[str, float], dict[str, Any]] = {
        (name, noise): {"right": 0, "refused": 0, "supported": 0.0, "seconds": []}
        for name in rags for noise in config.noise_rates
    }
    rows = []
    for noise in config.noise_rates:
        draw = random.Random(f"{config.seed}-{noise}")
        for n, item in enumerate(items, 1):
            hits = [Hit(id=f"{item['id']}-{i}", score=1.0 - i / 10, source=f"passage{i}",
                        text=t) for i, t in enumerate(passages(item, noise, draw), 1)]
            for name, rag in rags.items():
                started = time.perf_counter()
                answer = rag.answer(item["query"], hits)
                tally = tallies[(name, noise)]
                tally["seconds"].append(time.perf_counter() - started)
                ok, no = correct(answer.answer, item["answer"]), refused(answer)
                tally["right"] += ok
                tally["refused"] += no
                tally["supported"] += supported(answer)
                rows.append({"generator": name, "noise": noise, "query": item["query"],
                             "answer": answer.answer, "gold": item["answer"], "correct": ok,
                             "refused": no, "answered_by": answer.generator,
                             "notes": answer.notes})
            if progress:
                progress(f"noise {noise}", n, len(items))
    results: dict[str, Any] = {"dataset": str(data.path), "kind": "rgb",
                               "questions": len(items), "passages": PASSAGES, "generators": {}}
    total = max(len(items), 1)
    for name in rags:
        out: dict[str, Any] = {}
        for noise in config.noise_rates:
            tally = tallies[(name, noise)]
            if noise >= 1:
                out[f"rejection@{noise:g}"] = tally["refused"] / total
            else:
                out[f"accuracy@{noise:g}"] = tally["right"] / total
                out[f"refused@{noise:g}"] = tally["refused"] / total
            out[f"supported@{noise:g}"] = tally["supported"] / total
        every = [1000 * t for noise in config.noise_rates
                 for t in tallies[(name, noise)]["seconds"]]
        out["latency"] = {"p50_ms": float(np.percentile(every, 50)) if every else 0.0,
                          "p95_ms": float(np.percentile(every, 95)) if every else 0.0}
        out["latencies_ms"] = every
        out["answers"] = [r for r in rows if r["generator"] == name]
        results["generators"][name] = out
    return results
