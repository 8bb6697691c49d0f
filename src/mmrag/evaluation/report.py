"""Evaluation output: a terminal table, a JSON file, and a Markdown report with plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RETRIEVAL_COLUMNS: tuple[str, ...] = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
ANSWER_COLUMNS: tuple[str, ...] = (
    "exact_match", "f1", "contains", "citation_precision", "citation_recall", "retrieved@5",
)


def _mixed_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per strategy and query set, then the strategy's summary over the sets."""
    header = ["strategy", "set", "R@1", "R@10", "MRR@10", "nDCG@10", "nothing found", "p50 ms"]
    columns = ("recall@1", "recall@10", "mrr@10", "ndcg@10", "nothing_found")
    rows = []
    for strategy, sets in results["sets"].items():
        for name, values in sets.items():
            rows.append([strategy, name, *(f"{values[c]:.3f}" if c in values else "-"
                                           for c in columns), ""])
        total = results["strategies"][strategy]
        rows.append([strategy, "macro MRR / min R@10", "-", f"{total['min_recall@10']:.3f}",
                     f"{total['macro_mrr@10']:.3f}", "-", f"{total['nothing_found']:.3f}",
                     f"{total['latency']['p50_ms']:.0f}"])
    return header, rows


def _rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    if results["kind"] == "mixed":
        return _mixed_rows(results)
    if results["kind"] in ("captions", "classes", "rgb"):
        parts = results["generators" if results["kind"] == "rgb" else "strategies"]
        first: dict[str, Any] = next(iter(parts.values()), {})
        columns = tuple(k for k, v in first.items() if isinstance(v, float))
        header = ["run", *columns, "p50 ms", "p95 ms"]
    elif results["kind"] == "beir":
        columns = (*RETRIEVAL_COLUMNS, "nothing_found")
        header = ["strategy", *columns, "p50 ms", "p95 ms"]
        parts = results["strategies"]
    else:
        header = ["generator", *ANSWER_COLUMNS, "p50 ms", "p95 ms"]
        parts = results["generators"]
        columns = ANSWER_COLUMNS
    rows = []
    for name, values in parts.items():
        # a run that did not measure a column (zero-shot only, after an adapter) shows "-"
        timed = any(values.get("latencies_ms", [0.0]))
        rows.append([name] + [f"{values[c]:.3f}" if c in values else "-" for c in columns]
                    + ([f"{values['latency']['p50_ms']:.0f}", f"{values['latency']['p95_ms']:.0f}"]
                       if timed else ["-", "-"]))
    return header, rows


def terminal_table(results: dict[str, Any]) -> str:
    header, rows = _rows(results)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any], plots: list[str]) -> str:
    header, rows = _rows(results)
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    facts = {k: v for k, v in results.items()
             if not isinstance(v, dict | list) or k == "ingest_errors"}
    body = [f"# mmrag eval: {results['dataset']}", "",
            ", ".join(f"{k}: {v}" for k, v in facts.items()), ""]
    if "speech" in results:  # what the speech model heard, for the speech->image rows
        speech = results["speech"]
        body += [f"speech->image: {speech['heard']} of {speech['recordings']} recordings "
                 f"transcribed by {speech['transcriber']} in {speech['seconds']:.0f} s, e.g. "
                 + "; ".join(f"{k}: \"{v}\"" for k, v in speech["examples"].items()), ""]
    body += [*table, ""]
    body += [f"![{p}]({p})" for p in plots]
    return "\n".join(body) + "\n"


def plot(results: dict[str, Any], out: Path) -> list[str]:
    """Recall@k curves and latency histograms, if matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    parts = results.get("strategies") or results.get("generators") or {}
    if "recall_curve" in next(iter(parts.values()), {}):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for name, values in parts.items():
            curve = values["recall_curve"]
            ax.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
        ax.set_xlabel("k")
        ax.set_ylabel("recall@k")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "recall_at_k.png", dpi=120)
        plt.close(fig)
        made.append("recall_at_k.png")
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name, values in parts.items():
        ax.hist(values["latencies_ms"], bins=30, alpha=0.5, label=name)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("queries")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=120)
    plt.close(fig)
    made.append("latency.png")
    return made


def write(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False),
                                      encoding="utf-8")
    plots = plot(results, out)
    (out / "report.md").write_text(markdown(results, plots), encoding="utf-8")
    return [out / "results.json", out / "report.md", *(out / p for p in plots)]
