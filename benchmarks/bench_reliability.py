"""Reliability under volume and garbage: peak memory of big ingests, and loader fuzzing.

    python3 benchmarks/bench_reliability.py                  # 1k, 5k, 10k files; 60 s fuzz
    python3 benchmarks/bench_reliability.py --sizes 1000 --fuzz-seconds 10 --no-write
    python3 benchmarks/bench_reliability.py --huge 200 --line 50 --server   # one huge file

Huge inputs (``--huge MB``, ``--line MB``, ``--server``): one text file of that many MiB of
sentences, one single line of that many MiB with no space, each ingested alone in a child
process (peak RSS, goal < 1 GiB); and a server's peak RSS (VmHWM) while it is sent a 300 MB
chunked JSON body, a 300 MB upload and a 50 MB single-line upload (goal < 1 GiB).

Memory: N generated mixed files (.txt, .md, .html, and one small PDF in 50) are ingested
into a fresh index in a child process with the hash embedder (the store, loaders, chunker
and batching are what is measured; model memory is constant), and the child's peak RSS is
read from the kernel. Flat peaks as N grows mean nothing holds the whole corpus.

Fuzzing: random and mutated bytes are fed to every loader's ``load`` for a bounded time;
any exception other than mmrag's named ``IngestError`` counts as a crash.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _report import git_rev, machine, table, update_section  # noqa: E402

from fixtures import make_pdf  # noqa: E402

WORDS = "panda bamboo tea china planet venus novel river mountain city 熊猫 竹子 长城 茶".split()


def make_corpus(root: Path, n: int) -> None:
    rng = random.Random(n)
    root.mkdir(parents=True)
    pdf_bytes = None
    for i in range(n):
        text = ". ".join(" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(3, 30)))
        kind = i % 50
        sub = root / f"d{i // 1000}"
        sub.mkdir(exist_ok=True)
        if kind == 0:
            if pdf_bytes is None:
                page = "A small generated PDF page about rivers and mountains."
                pdf_bytes = make_pdf(sub / f"f{i}.pdf", [page]).read_bytes()
            (sub / f"f{i}.pdf").write_bytes(pdf_bytes)
        elif kind % 3 == 0:
            (sub / f"f{i}.html").write_text(f"<html><body><p>{text}</p></body></html>")
        elif kind % 3 == 1:
            (sub / f"f{i}.md").write_text(f"# Note {i}\n\n{text}")
        else:
            (sub / f"f{i}.txt").write_text(text)


CHILD = """
import resource, sys, time
from mmrag.pipeline import Pipeline
rag = Pipeline.open(sys.argv[2], embedder="hash", create=True)
t = time.perf_counter()
report = rag.ingest([sys.argv[1]])
print(len(report.added), report.chunks, len(report.errors), time.perf_counter() - t,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def memory(sizes: list[int], tmp: Path) -> list[list[object]]:
    rows = []
    for n in sizes:
        corpus = tmp / f"corpus{n}"
        make_corpus(corpus, n)
        out = subprocess.run([sys.executable, "-c", CHILD, str(corpus), str(tmp / f"idx{n}")],
                             capture_output=True, text=True, check=True).stdout.split()
        files, chunks, errors, seconds, rss = int(out[0]), int(out[1]), int(out[2]), \
            float(out[3]), float(out[4])
        print(f"{n} files: {files} ingested, {chunks} chunks, {errors} errors, "
              f"{seconds:.1f}s, peak RSS {rss:.0f} MiB")
        rows.append([f"{n:,}", files, chunks, errors, f"{files / seconds:.0f}", f"{rss:.0f}"])
    return rows


def make_huge(path: Path, mib: int, single_line: bool) -> None:
    rng = random.Random(mib)
    with open(path, "w", encoding="utf-8") as out:
        if single_line:
            block = "x" * 2**20
            for _ in range(mib):
                out.write(block)
            return
        written = 0
        while written < mib * 2**20:
            para = "".join(" ".join(rng.choices(WORDS, k=rng.randint(6, 20))) + ". "
                           for _ in range(rng.randint(2, 8))) + "\n\n"
            written += out.write(para)


def huge(files: list[tuple[str, int, bool]], tmp: Path) -> list[list[object]]:
    rows = []
    for label, mib, single_line in files:
        path = tmp / f"huge-{mib}-{int(single_line)}.txt"
        make_huge(path, mib, single_line)
        index = tmp / f"idx-{path.stem}"
        out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(index)],
                             capture_output=True, text=True, check=True).stdout.split()
        chunks, seconds, rss = int(out[1]), float(out[3]), float(out[4])
        print(f"{label}: {chunks} chunks, {seconds:.0f}s, peak RSS {rss:.0f} MiB")
        rows.append([label, f"{chunks:,}", f"{seconds:.0f}", f"{rss:.0f}"])
        path.unlink()
    return rows


def server_rss(tmp: Path) -> list[list[object]]:
    """The server's peak RSS (VmHWM) before and after each hostile request."""
    import httpx

    from servers import SRC, free_port, wait_healthy

    index = tmp / "srv-index"
    big = tmp / "upload.txt"
    make_huge(big, 300, single_line=False)
    line = tmp / "line.txt"
    make_huge(line, 40, single_line=True)
    (index.parent / "notes.txt").write_text("Giant pandas eat bamboo.")
    subprocess.run([sys.executable, "-m", "mmrag", "ingest", str(index.parent / "notes.txt"),
                    "--index", str(index), "--embedder", "hash", "--no-progress"], check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mmrag", "serve", "--index", str(index),
                             "--host", "127.0.0.1", "--port", str(port)],
                            env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def hwm() -> float:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def chunked(total: int, piece: bytes):
        sent = 0
        while sent < total:
            yield piece
            sent += len(piece)

    def finished(client: httpx.Client, started: httpx.Response) -> httpx.Response:
        job = started.json()["id"]
        while True:
            polled = client.get(f"{url}/api/ingest/{job}")
            if polled.json()["state"] in ("done", "failed"):
                return polled
            time.sleep(1)

    rows = []
    try:
        wait_healthy(url, lambda: None if proc.poll() is None else "exited", 120)
        rows.append(["idle, after start", "", f"{hwm():.0f}"])
        cases = [
            ("300 MB chunked JSON to /api/search", lambda c: c.post(
                f"{url}/api/search", content=chunked(300 * 2**20, b'{"query": "' + b"a" * 2**20),
                headers={"content-type": "application/json"})),
            ("300 MB upload", lambda c: c.post(
                f"{url}/api/ingest/upload",
                files={"files": ("big.txt", big.open("rb"), "text/plain")})),
            ("40 MB single-line upload, ingested", lambda c: finished(c, c.post(
                f"{url}/api/ingest/upload",
                files={"files": ("line.txt", line.open("rb"), "text/plain")}))),
            ("search after them", lambda c: c.post(f"{url}/api/search",
                                                   json={"query": "pandas", "k": 3})),
        ]
        with httpx.Client(timeout=300) as client:
            for label, send in cases:
                try:
                    status = send(client).status_code
                except httpx.HTTPError as exc:  # the server may close a body it refused
                    status = type(exc).__name__
                rows.append([label, status, f"{hwm():.0f}"])
                print(f"server: {label}: {status}, peak RSS {rows[-1][2]} MiB")
    finally:
        proc.terminate()
        proc.wait(30)
    return rows


def fuzz(seconds: float) -> tuple[int, int, list[str]]:
    from mmrag.errors import IngestError
    from mmrag.loaders import by_extension, loaders

    rng = random.Random(0)
    seeds = {
        ".txt": "熊猫 bamboo text\n".encode(), ".md": b"# T\n\nbody", ".html": b"<p>x</p>",
        ".pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    }
    runs, crashes, examples = 0, 0, []
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory() as tmp:
        while time.monotonic() < deadline:
            ext = rng.choice(sorted(by_extension()))
            base = bytearray(seeds.get(ext, rng.randbytes(64)))
            for _ in range(rng.randint(1, 8)):
                op = rng.random()
                pos = rng.randrange(len(base) + 1)
                if op < 0.4:
                    base[pos:pos] = rng.randbytes(rng.randint(1, 16))
                elif op < 0.7 and base:
                    del base[pos:pos + rng.randint(1, 8)]
                elif base:
                    base[min(pos, len(base) - 1)] = rng.randrange(256)
            path = Path(tmp) / f"fuzz{ext}"
            path.write_bytes(bytes(base))
            loader = loaders.create(by_extension()[ext])
            runs += 1
            try:
                list(loader.load(path))
            except IngestError:
                pass
            except Exception as exc:  # a crash: not a named error
                crashes += 1
                if len(examples) < 5:
                    examples.append(f"{ext}: {type(exc).__name__}: {str(exc)[:80]}")
    return runs, crashes, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--fuzz-seconds", type=float, default=60)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--huge", type=int, default=0, help="MiB of one text file")
    parser.add_argument("--line", type=int, default=0, help="MiB of one single-line file")
    parser.add_argument("--server", action="store_true", help="server RSS under huge requests")
    args = parser.parse_args()
    if args.huge or args.line or args.server:
        return huge_inputs(args)
    with tempfile.TemporaryDirectory(prefix="mmrag-rel-") as tmp:
        rows = memory(args.sizes, Path(tmp))
    runs, crashes, examples = fuzz(args.fuzz_seconds)
    print(f"fuzz: {runs} inputs, {crashes} crashes", *examples, sep="\n  ")
    body = f"""## Reliability: memory and fuzzing (`benchmarks/bench_reliability.py`)

Command: `python3 benchmarks/bench_reliability.py --sizes {' '.join(map(str, args.sizes))} --fuzz-seconds {args.fuzz_seconds:.0f}`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}.

Generated mixed corpora (.txt, .md, .html, a PDF in every 50 files) ingested in a child
process with the hash embedder; peak RSS from the kernel (goal < 2 GiB, flat as N grows):

{table(["files", "ingested", "chunks", "errors", "files/s", "peak RSS MiB"], rows)}

Loader fuzzing for {args.fuzz_seconds:.0f} s (mutated seeds and random bytes into every
loader): {runs} inputs, **{crashes} crashes** (anything but a named `IngestError`).
{"".join(f"- {e}" + chr(10) for e in examples)}"""
    print(body)
    if not args.no_write:
        update_section("reliability", body)


def huge_inputs(args: argparse.Namespace) -> None:
    files = [(f"{args.huge} MiB of text", args.huge, False)] if args.huge else []
    files += [(f"{args.line} MiB single line", args.line, True)] if args.line else []
    with tempfile.TemporaryDirectory(prefix="mmrag-huge-") as tmp:
        rows = huge(files, Path(tmp)) if files else []
        served = server_rss(Path(tmp)) if args.server else []
    flags = (f" --huge {args.huge}" if args.huge else "") + (
        f" --line {args.line}" if args.line else "") + (" --server" if args.server else "")
    body = f"""## Reliability: huge inputs (`benchmarks/bench_reliability.py{flags}`)

Command: `python3 benchmarks/bench_reliability.py{flags}`
Machine: {machine()}; commit {git_rev()}; {time.strftime('%Y-%m-%d')}.

One file ingested alone into a fresh hash-embedder index in a child process; peak RSS from
`getrusage` (goal < 1 GiB). A text file of more than 4,096 chunks is decoded a 1 MiB block
at a time and written in parts of 4,096 chunks, its record saved with the last part.

{table(["input", "chunks", "seconds", "peak RSS MiB"], rows) if rows else "(not run)"}

A server (`mmrag serve`, hash index) sent hostile requests one after another; its peak RSS
(VmHWM) after each (goal < 1 GiB whatever the request size):

{table(["request", "status", "server peak RSS MiB"], served) if served else "(not run)"}
"""
    print(body)
    if not args.no_write:
        update_section("reliability-huge", body)


if __name__ == "__main__":
    main()
