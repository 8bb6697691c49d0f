"""Build a mixed-modality evaluation corpus from ../shared/data for `mmrag eval`.

One folder holds photos, spoken recordings and text articles side by side, and a
`queries.jsonl` whose queries name the files that answer them:

- image targets: Flickr8k photos, asked for by one of their English and one of their
  Chinese captions;
- recording targets: the spoken caption of other Flickr8k photos (the tts_mp3 clips),
  asked for by another English caption of that photo and by a Chinese caption (so the
  words differ from what was said, and the Chinese ones cross languages);
- text targets: SciFact abstracts (their text only), asked for by their title;
- no-answer queries: nonsense and questions nothing in the corpus answers, in English and
  Chinese, which should return nothing.

Only Flickr8k train/val images are used (the `--split` lists), never the test split, so a
corpus built with the default split is a dev set: settings may be chosen on it. Built with
``--split test`` it is a held-out check of the same shape.

    python3 benchmarks/build_mixed_corpus.py /tmp/mixed-dev --images 60 --recordings 40 --articles 100
    mmrag eval /tmp/mixed-dev
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Written for this corpus: none of them is answered by a photo of people or animals, a
# spoken description of one, or a biomedical abstract.
NO_ANSWER = {
    "en": [
        "zqxjvw kkkk", "asdf qwerty uiop", "xkcd bbbb mmmm", "What is the capital of Peru?",
        "Who won the 2018 football World Cup final?", "price of bitcoin in March 2021",
        "how to change a flat tyre on a bicycle", "recipe for sourdough bread with rye flour",
        "the plot of the opera Carmen", "When was the Eiffel Tower built?",
        "Python list comprehension syntax", "tax deadline for self-employed people",
        "lyrics of the national anthem of Japan", "how many moons does Neptune have",
        "best settings for a mechanical keyboard",
    ],
    "zh": [
        "啊啊啊 哦哦哦 嗯嗯", "秘鲁的首都是哪里？", "二零一八年世界杯冠军是谁？",
        "比特币二零二一年三月的价格", "怎样给自行车换轮胎", "黑麦酸面包的做法",
        "歌剧卡门讲了什么故事", "埃菲尔铁塔是哪一年建成的？", "如何申报个人所得税",
        "日本国歌的歌词", "海王星有几颗卫星", "机械键盘的最佳设置", "明天北京的天气怎么样",
        "量子计算机的纠错码", "股票市场的市盈率是什么意思",
    ],
}


def captions(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, text = line.partition(" ")
        image = key.split("#")[0]
        if text.strip():
            out.setdefault(image, []).append(text.strip().rstrip(" ."))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--recordings", type=int, default=40)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--split", default="train+val",
                        help="Flickr8k split lists to draw photos from (never test for a dev set)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    flickr = args.data / "flickr8k_1k"
    cn = flickr / "flickr8kcn"
    allowed = {line.strip() + ".jpg" for s in args.split.split("+")
               for line in (cn / f"flickr8k{s}.txt").read_text().split() if line.strip()}
    en, zh = captions(cn / "flickr8kenc.caption.txt"), captions(cn / "flickr8kzhc.caption.txt")
    have = sorted(p.name for p in (flickr / "images").iterdir()
                  if p.name in allowed and p.name in en and p.name in zh
                  and (flickr / "tts_mp3" / (p.stem + ".wav")).exists())
    rng.shuffle(have)
    photos = have[: args.images]
    spoken = have[args.images: args.images + args.recordings]
    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "photos").mkdir(parents=True)
    (args.out / "recordings").mkdir()
    (args.out / "articles").mkdir()
    queries: list[dict[str, object]] = []
    for name in photos:
        shutil.copy(flickr / "images" / name, args.out / "photos" / name)
        target = [f"photos/{name}"]
        queries.append({"query": rng.choice(en[name]), "relevant": target, "lang": "en",
                        "set": "image/en"})
        queries.append({"query": rng.choice(zh[name]), "relevant": target, "lang": "zh",
                        "set": "image/zh"})
    for name in spoken:
        stem = Path(name).stem
        # the clips are MP3 despite their .wav names; give them the right extension
        shutil.copy(flickr / "tts_mp3" / f"{stem}.wav", args.out / "recordings" / f"{stem}.mp3")
        target = [f"recordings/{stem}.mp3"]
        queries.append({"query": rng.choice(en[name]), "relevant": target, "lang": "en",
                        "set": "recording/en"})
        queries.append({"query": rng.choice(zh[name]), "relevant": target, "lang": "zh",
                        "set": "recording/zh"})
    docs = [json.loads(line) for line in
            (args.data / "scifact" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [d for d in docs if d.get("title") and len(d.get("text", "")) > 200]
    for doc in rng.sample(docs, args.articles):
        path = f"articles/{doc['_id']}.txt"
        (args.out / path).write_text(doc["text"], encoding="utf-8")
        queries.append({"query": doc["title"].rstrip("."), "relevant": [path], "lang": "en",
                        "set": "text/en"})
    for lang, texts in NO_ANSWER.items():
        queries += [{"query": q, "relevant": [], "lang": lang, "set": f"none/{lang}"}
                    for q in texts]
    with (args.out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for q in queries:
            fh.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"{args.out}: {len(photos)} photos, {len(spoken)} recordings, {args.articles} "
          f"articles, {len(queries)} queries (Flickr8k {args.split})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
