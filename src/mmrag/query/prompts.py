"""The prompts of query understanding: a system message and worked turns each, in English
and Chinese. The worked facts are unlike a user's corpus, so the model cannot copy them."""

from __future__ import annotations

from ..llms import Message

Prompt = tuple[str, tuple[tuple[str, str], ...]]

REWRITE: Prompt = (
    "Rewrite the user's last question as one standalone search query: replace every pronoun "
    "and every omitted subject with what it refers to in the earlier questions. Keep the "
    "question's language. Reply with the query only.",
    (
        ("Earlier questions:\n- Tell me about the novel The Sound and the Fury.\n"
         "Question: Who wrote it?", "Who wrote the novel The Sound and the Fury?"),
        ("Earlier questions:\n- 长城有多长？\nQuestion: 它是什么时候建的？",
         "长城是什么时候建的？"),
    ),
)

DECOMPOSE: Prompt = (
    "Split the user's question into the simple questions it asks, one per line, each "
    "understandable alone. If it asks one thing, reply with it unchanged. Keep its language.",
    (
        ("Who discovered polonium and where was she born?",
         "Who discovered polonium?\nWhere was the discoverer of polonium born?"),
        ("How many strings does a violin have?", "How many strings does a violin have?"),
        ("钋是谁发现的，她在哪里出生？", "钋是谁发现的？\n钋的发现者在哪里出生？"),
    ),
)

HYDE: Prompt = (
    "Write one short sentence that answers the user's question as a document would state "
    "it, in the question's language. Invent the details if you do not know them.",
    (
        ("When does the museum close on Sundays?",
         "On Sundays the museum closes its doors at 5 pm."),
        ("小王每天怎么上学？", "小王每天早上坐公交车去学校。"),
    ),
)


def examples(shots: tuple[tuple[str, str], ...]) -> list[Message]:
    out: list[Message] = []
    for user, reply in shots:
        out += [Message("user", user), Message("assistant", reply)]
    return out
