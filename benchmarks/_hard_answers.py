"""The harder answer set of `bench_answers.py`: 15 questions (en + zh) over 45 short passages in one
index. Each answer sentence is paraphrased (it shares few words with its question) while two
distractor passages per question share many words with it and hold a wrong candidate (another
number, name or colour) or nothing. The facts are invented, so no model knows them."""

from __future__ import annotations

# file: text; <name>_gold holds the answer, <name>_d1 / _d2 are the distractors
PASSAGES = {
    "library_gold.txt": "At weekends the Harbor Street branch shuts its doors at 4 pm sharp.",
    "library_d1.txt": "The Harbor Street library opens on Saturdays at 9 am and has a "
                      "children's corner.",
    "library_d2.txt": "Residents asked when the Harbor Street library would close its old "
                      "reading room; the council has not decided.",
    "clock_gold.txt": "A watchmaker from Ghent, Pieter Vos, got the old mechanism in the "
                      "church steeple ticking again.",
    "clock_d1.txt": "The bell tower clock was repaired in 1988 after a storm damaged its "
                    "face.",
    "clock_d2.txt": "Visitors often ask who built the bell tower; the clock face was painted "
                    "by art students.",
    "trail_gold.txt": "Walkers reach the water at Miren after a climb of about 11 kilometres "
                      "from the village.",
    "trail_d1.txt": "The hiking trail to Lake Miren is marked with red posts and is closed "
                    "for 3 weeks in March.",
    "trail_d2.txt": "Lake Miren is long and narrow, and the hiking trail along its shore has "
                    "4 benches.",
    "brightleaf_gold.txt": "Brightleaf's business is compostable coffee pods, shipped to "
                           "offices across Norway.",
    "brightleaf_d1.txt": "The startup Brightleaf was founded by two students in Bergen in "
                         "2021.",
    "brightleaf_d2.txt": "Brightleaf, a startup, raised money from investors last spring and "
                         "hopes to sell abroad.",
    "tomas_gold.txt": "My sister's son Tomas practises the cello every Sunday with his "
                      "teacher.",
    "tomas_d1.txt": "My nephew Tomas plays football on Saturdays and needs new boots.",
    "tomas_d2.txt": "Which instrument to buy for the school band is still undecided; the "
                    "piano is too expensive.",
    "stadium_gold.txt": "Up to 23,000 fans will fit into the arena being built in Karsk.",
    "stadium_d1.txt": "The new stadium in Karsk will open in 2027 and cost 90 million euros.",
    "stadium_d2.txt": "Karsk's old stadium had a parking problem: only 800 cars could park "
                      "there.",
    "bridge_gold.txt": "Engineers found cracks in the supports of the Velden crossing, so "
                       "traffic was stopped.",
    "bridge_d1.txt": "The Velden bridge was closed on Monday and will reopen next month.",
    "bridge_d2.txt": "A second bridge near Velden, closed for years, was opened by the mayor "
                     "with a ribbon.",
    "anna_gold.txt": "Anna finally bought the hatchback she wanted, a dark green one.",
    "anna_d1.txt": "Anna's new car cost 18,000 euros and has a red interior.",
    "anna_d2.txt": "Anna's old car was white and broke down in May.",
    "liming_gold.txt": "李明的孩子小芳考上了复旦大学，现在读化学系。",
    "liming_d1.txt": "李明的女儿喜欢读书，周末常去市图书馆。",
    "liming_d2.txt": "李明住在大学城附近，他的女儿在那里学钢琴。",
    "cat_gold.txt": "楼下王阿姨养了一只橘色的小动物，大家都叫它团子，整天趴在窗台上晒太阳。",
    "cat_d1.txt": "王阿姨的名字叫王秀兰，她说猫粮太贵了。",
    "cat_d2.txt": "王阿姨的狗叫旺财，每天早上陪她去买菜。",
    "newlib_gold.txt": "城东新建的阅读中心将于十月一日迎接第一批读者。",
    "newlib_d1.txt": "新图书馆有三层，藏书二十万册，设计师是刘工。",
    "newlib_d2.txt": "老图书馆什么时候关闭还没有决定，新图书馆的停车场很小。",
    "zhangwei_gold.txt": "张伟住得离公司远，每天早上都骑电动车通勤。",
    "zhangwei_d1.txt": "张伟每天上班前都要喝一杯咖啡。",
    "zhangwei_d2.txt": "张伟的妻子每天坐地铁去上班。",
    "laojie_gold.txt": "老街那家饭馆最出名的是糖醋排骨，几乎每桌都点。",
    "laojie_d1.txt": "老街餐厅的招牌是一块木牌，上面写着店名。",
    "laojie_d2.txt": "老街餐厅的老板说，菜价明年会上涨。",
    "flight_gold.txt": "陈老师明天乘坐的飞机早上七点二十离开首都机场。",
    "flight_d1.txt": "陈老师的航班号是CA1234，行李限额二十公斤。",
    "flight_d2.txt": "陈老师每天下午四点下课，然后去操场跑步。",
    "party_gold.txt": "今年的公司年终聚会定在西湖边的望湖酒店。",
    "party_d1.txt": "公司年会上会发奖金，还有抽奖。",
    "party_d2.txt": "公司去年在北京举行年会，请了一支乐队。",
}
QUESTIONS = [
    ("When does the Harbor Street library close on Saturdays?", ["4 pm"], "library_gold.txt"),
    ("Who repaired the bell tower clock?", ["Pieter Vos"], "clock_gold.txt"),
    ("How long is the hiking trail to Lake Miren?", ["11 kilometres", "11 km"],
     "trail_gold.txt"),
    ("What does the startup Brightleaf sell?", ["coffee pods"], "brightleaf_gold.txt"),
    ("Which instrument does my nephew Tomas play?", ["cello"], "tomas_gold.txt"),
    ("What is the capacity of the new stadium in Karsk?", ["23,000", "23000"],
     "stadium_gold.txt"),
    ("Why was the Velden bridge closed?", ["cracks"], "bridge_gold.txt"),
    ("What colour is Anna's new car?", ["dark green", "green"], "anna_gold.txt"),
    ("李明的女儿在哪所大学读书？", ["复旦大学", "复旦"], "liming_gold.txt"),
    ("王阿姨的猫叫什么名字？", ["团子"], "cat_gold.txt"),
    ("新图书馆什么时候开放？", ["十月一日", "10月1日"], "newlib_gold.txt"),
    ("张伟每天怎么去上班？", ["电动车"], "zhangwei_gold.txt"),
    ("老街餐厅的招牌菜是什么？", ["糖醋排骨"], "laojie_gold.txt"),
    ("陈老师的航班几点起飞？", ["七点二十", "7点20", "7:20"], "flight_gold.txt"),
    ("公司年会在哪里举行？", ["望湖酒店"], "party_gold.txt"),
]
