"""Follow-up questions over the hard answer set's corpus (`_hard_answers.py`): an opening
question, then a follow-up that leans on it (a pronoun, or a subject left out), and the file
that answers the follow-up. Used by `bench_query.py --sets followup`."""

from __future__ import annotations

FOLLOWUPS = [
    ("Tell me about the Harbor Street library.", "When does it close on Saturdays?",
     ["4 pm"], "library_gold.txt"),
    ("Is there a clock on the bell tower?", "Who repaired it?", ["Pieter Vos"],
     "clock_gold.txt"),
    ("Where is Lake Miren?", "How long is the hiking trail to it?",
     ["11 kilometres", "11 km"], "trail_gold.txt"),
    ("Who founded the startup Brightleaf?", "What does it sell?", ["coffee pods"],
     "brightleaf_gold.txt"),
    ("Does my nephew Tomas like sport?", "Which instrument does he play?", ["cello"],
     "tomas_gold.txt"),
    ("When will the new stadium in Karsk open?", "How many people can it hold?",
     ["23,000", "23000"], "stadium_gold.txt"),
    ("Anna bought a new car.", "What colour is it?", ["dark green", "green"],
     "anna_gold.txt"),
    ("李明的女儿喜欢做什么？", "她在哪所大学读书？", ["复旦大学", "复旦"], "liming_gold.txt"),
    ("王阿姨养猫吗？", "它叫什么名字？", ["团子"], "cat_gold.txt"),
    ("新图书馆有几层？", "它什么时候开放？", ["十月一日", "10月1日"], "newlib_gold.txt"),
    ("张伟每天喝咖啡吗？", "他怎么去上班？", ["电动车"], "zhangwei_gold.txt"),
    ("陈老师明天坐飞机吗？", "几点起飞？", ["七点二十", "7点20", "7:20"], "flight_gold.txt"),
]
