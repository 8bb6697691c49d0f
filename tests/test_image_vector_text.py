"""What a photo's "text" strategy vector embeds: its short text of what is in it."""

from __future__ import annotations

from mmrag.ingest.embedding import _strategy_text
from mmrag.loaders.image import MAX_VECTOR_CHARS, describe, vector_text
from mmrag.types import Chunk

LABELS = [
    {"name": "Beagle", "zh": "比格犬", "p": 0.6, "hypernyms": ["hound", "hunting dog"]},
    {"name": "Basset Hound", "zh": "巴吉度猎犬", "p": 0.2, "hypernyms": ["hound"]},
]
META = {
    "path": "/photos/2019_beach_walk-4032.jpg", "labels": LABELS,
    "kinds": [{"name": "hound", "p": 0.8}, {"name": "Beagle", "p": 0.6}],
    "objects_text": "objects: 2 dogs, 1 person\n物体: 2只狗，1个人", "ocr": "NO PARKING",
}


def test_the_words_that_say_what_is_in_a_photo_come_first_without_digits():
    assert vector_text(META).split("\n") == [
        "beach walk",  # the file name's words; "2019" and "4032" say nothing
        "objects: 2 dogs, 1 person",
        "Beagle, Basset Hound",
        "hound",  # a kind the labels do not already name
        "物体: 2只狗，1个人",
        "比格犬，巴吉度猎犬",
        "NO PARKING",
    ]


def test_it_is_shorter_than_the_description_and_bounded():
    from pathlib import Path

    full = describe(Path(META["path"]), LABELS, META["ocr"], {}, META["kinds"],
                    META["objects_text"])
    assert len(vector_text(META)) < len(full) * 0.7
    long = vector_text({**META, "ocr": "word " * 500})
    assert len(long) == MAX_VECTOR_CHARS and long.startswith("beach walk\nobjects")


def test_a_figure_leads_with_its_caption_and_other_images_keep_their_text():
    figure = vector_text({**META, "context": "Figure 3: dogs on the beach"})
    assert figure.startswith("Figure 3: dogs on the beach\nbeach walk")
    photo = Chunk(id="a", source="s", text="whole description", modality="image", meta=META)
    frame = Chunk(id="b", source="v", text="video frame at 0:05", modality="image",
                  meta={"path": "/media/frame-5.jpg"})
    assert _strategy_text(photo) == vector_text(META)
    assert _strategy_text(frame) == "video frame at 0:05"
