"""Answer accuracy of the extractive, llm and hybrid answerers on a small en + zh question set
whose answers live only in text, PDF, audio or image OCR (issue 5's goal: >= 87%), and on a
harder set (``_hard_answers.py``: paraphrased answers, lexical distractors, one shared index).

    python3 benchmarks/bench_answers.py                 # writes docs/benchmarks.md
    python3 benchmarks/bench_answers.py --generators extractive --no-write
    python3 benchmarks/bench_answers.py --generators llm,llm:gemma-3-270m --sets hard

The corpus is made here from invented facts (so no model can answer from its weights):
text and Markdown notes, a PDF (fpdf2), spoken memos (espeak-ng, when installed and the
audio extra is present) and photographed notices (Pillow-drawn text read by OCR, when the
image extra is present). An answer counts as correct when it contains the gold answer.
Time to first token is measured on the local LLM's stream for the same prompts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import _hard_answers  # noqa: E402
from _report import git_rev, machine, table, update_section  # noqa: E402

from fixtures import make_pdf  # noqa: E402
from mmrag.evaluation.datasets import read_qa  # noqa: E402
from mmrag.evaluation.runner import EvalConfig, run_qa  # noqa: E402

TEXT = {
    "project_notes.md": (
        "# Project notes\n\nThe Orion project kickoff meeting is on 14 March in room 402. "
        "Bring the signed budget form.\n\nThe guest Wi-Fi password is lanternfish42. "
        "It changes every quarter."
    ),
    "家人.txt": (
        "我的表妹小雨在杭州的一家茶馆工作。她最喜欢的茶是龙井，每年春天都去梅家坞采茶。"
        "张老师的办公室在三号楼五层，每周三下午有答疑时间。"
    ),
    "recipes.txt": (
        "Grandma's plum cake needs 300 grams of flour and six plums. Bake it for 40 minutes "
        "at 180 degrees. 外婆的红烧肉要用冰糖，小火炖九十分钟。"
    ),
}
PDF_PAGES = [
    "Annual report of Northwind Trading. This report summarises the year.",
    "Quarterly revenue reached 4.2 million dollars, driven by the Nordic market.",
    "The new warehouse will open in Rotterdam in September and employ 85 people.",
]
AUDIO = {  # file: (voice, words)
    "memo_harp.wav": ("en", "My favourite harpist is Joanna Newsom."),
    "memo_dentist.wav": ("en", "The dentist appointment is on Friday at nine in the morning."),
}
IMAGES = {  # file: text drawn on the picture
    "gate_notice.png": "GATE B17 CLOSES AT 10:45",
    "shop_sign.png": "OPEN DAILY 7AM TO 9PM",
}
QUESTIONS = [
    ("When is the Orion kickoff meeting?", ["14 March"], "project_notes.md"),
    ("What is the guest Wi-Fi password?", ["lanternfish42"], "project_notes.md"),
    ("小雨在哪个城市工作？", ["杭州"], "家人.txt"),
    ("小雨最喜欢什么茶？", ["龙井"], "家人.txt"),
    ("张老师的办公室在哪里？", ["三号楼五层"], "家人.txt"),
    ("How much flour does the plum cake need?", ["300 grams"], "recipes.txt"),
    ("红烧肉要炖多久？", ["九十分钟"], "recipes.txt"),
    ("What did quarterly revenue reach?", ["4.2 million dollars"], "northwind_report.pdf"),
    ("Where will the new warehouse open?", ["Rotterdam"], "northwind_report.pdf"),
    ("How many people will the new warehouse employ?", ["85"], "northwind_report.pdf"),
    ("Who is my favourite harpist?", ["Joanna Newsom"], "memo_harp.wav"),
    ("When is the dentist appointment?", ["Friday"], "memo_dentist.wav"),
    ("Which gate closes at 10:45?", ["B17"], "gate_notice.png"),
    ("What time does the gate close?", ["10:45"], "gate_notice.png"),
    ("When is the shop open?", ["7AM TO 9PM", "7am to 9pm"], "shop_sign.png"),
]


def build_corpus(root: Path) -> list[str]:
    """Write the corpus; return the kinds that could be made."""
    root.mkdir(parents=True)
    for name, text in TEXT.items():
        (root / name).write_text(text, encoding="utf-8")
    made = ["text"]
    make_pdf(root / "northwind_report.pdf", PDF_PAGES)
    made.append("pdf")
    if shutil.which("espeak-ng") and importlib.util.find_spec("faster_whisper"):
        for name, (voice, words) in AUDIO.items():
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(root / name), words],
                           check=True, capture_output=True)
        made.append("audio")
    if importlib.util.find_spec("PIL") and importlib.util.find_spec("onnxruntime"):
        from PIL import Image, ImageDraw, ImageFont

        font = ImageFont.load_default(size=48)
        for name, text in IMAGES.items():
            image = Image.new("RGB", (900, 200), "white")
            ImageDraw.Draw(image).text((30, 70), text, fill="black", font=font)
            image.save(root / name)
        made.append("image")
    return made


def questions(made: list[str]) -> list[dict[str, object]]:
    kinds = {".md": "text", ".txt": "text", ".pdf": "pdf", ".wav": "audio", ".png": "image"}
    return [
        {"question": q, "answers": a, "source": s}
        for q, a, s in QUESTIONS
        if kinds[Path(s).suffix] in made
    ]


def time_to_first_token(prompts: int = 7) -> list[float]:
    """Seconds to the first streamed piece of ``llm`` on the default local model, warm, over 5
    hard-set passages: the passage pick's prompts and the answer prompt's reading (an
    abstention, which streams nothing, counts at its return)."""
    from mmrag.generators import generators
    from mmrag.types import Hit

    gen = generators.create("llm", context_tokens=None)
    texts = list(_hard_answers.PASSAGES.values())
    out = []
    for i in range(prompts + 1):
        question = _hard_answers.QUESTIONS[i % len(_hard_answers.QUESTIONS)][0]
        hits = [Hit(id=str(j), score=1, source=f"{j}.txt", text=t)
                for j, t in enumerate(texts[3 * i: 3 * i + 5])]
        first: list[float] = []
        started = time.perf_counter()

        def seen(_: str, first: list[float] = first, started: float = started) -> None:
            if not first:
                first.append(time.perf_counter() - started)

        gen.stream(question, hits, seen)
        out.append(first[0] if first else time.perf_counter() - started)
    return out[1:]  # the first one starts the server


def run_set(name: str, tmp: Path, generators: list[str]) -> tuple[list[str], dict]:
    corpus = tmp / name / "corpus"
    if name == "hard":
        corpus.mkdir(parents=True)
        for file, text in _hard_answers.PASSAGES.items():
            (corpus / file).write_text(text, encoding="utf-8")
        made, items = ["text"], [{"question": q, "answers": a, "source": s}
                                 for q, a, s in _hard_answers.QUESTIONS]
    else:
        made = build_corpus(corpus)
        items = questions(made)
    qa = tmp / name / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in items), encoding="utf-8")
    config = EvalConfig(generators=generators)
    return made, run_qa(read_qa(qa, corpus), tmp / name / "index", config, None)


def rows_of(results: dict) -> list[list[str]]:
    n = results["questions"]
    rows = []
    for name, values in results["generators"].items():
        right = round(values["contains"] * n)
        cited = sum(1 for row in values["answers"] if row["contains"] and row["gold_cited"])
        rows.append([name, f"{right}/{n} ({100 * values['contains']:.0f}%)", f"{cited}/{n}",
                     f"{values['f1']:.2f}", f"{values['citation_recall']:.2f}",
                     f"{values['latency']['p50_ms']:.0f} / {values['latency']['p95_ms']:.0f}"])
        for row in values["answers"]:
            mark = "ok " if row["contains"] else "MISS"
            print(f"{name:10} {mark} {row['question']} -> {row['answer'][:90]!r}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", default="extractive,llm,hybrid,llm:gemma-3-270m")
    parser.add_argument("--sets", default="original,hard")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    names = args.generators.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="mmrag-answers-"))
    sections = []
    try:
        for name in args.sets.split(","):
            made, results = run_set(name, tmp, names)
            what = (f"the original set (corpus kinds made: {', '.join(made)})"
                    if name == "original" else "the hard set (`benchmarks/_hard_answers.py`)")
            found = next(iter(results["generators"].values()))["retrieved@5"]
            sections.append(
                f"### {what}\n\n{results['questions']} questions (en + zh); retrieval found the "
                f"gold file in the top 5 for {100 * found:.0f}% of them.\n\n"
                + table(["answerer", "correct", "correct, gold cited", "token F1",
                         "citation recall", "latency p50 / p95 ms"], rows_of(results)))
        ttft = time_to_first_token() if any(n.startswith(("llm", "hybrid")) for n in names) else []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ttft_line = (f"Time to first token of the default local LLM (Qwen2.5-Coder-0.5B-Instruct "
                 f"Q4_K_M, llama.cpp), warm server, `llm` over 5 passages: median "
                 f"{1000 * sorted(ttft)[len(ttft) // 2]:.0f} ms, max {1000 * max(ttft):.0f} ms "
                 f"over {len(ttft)} prompts." if ttft else "")
    body = f"""## Answers: extractive, llm, hybrid (`benchmarks/bench_answers.py`)

Command: `python3 benchmarks/bench_answers.py --generators {args.generators} --sets {args.sets}`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}. `llm` and `hybrid` run
the default local model (Qwen2.5-Coder-0.5B-Instruct); `llm:gemma-3-270m` is `llm` on Gemma-3-270M.
An answer counts when it contains the gold answer; "gold cited" also needs the gold file cited.

{chr(10).join(sections)}

{ttft_line}
"""
    print(body)
    if not args.no_write:
        update_section("answers-local-llm", body)


if __name__ == "__main__":
    main()
