"""The 80 COCO classes of the object detector: English name, plural, Chinese name with
its measure word; and the counted sentence an image's text gets ("2 people, 1 dog")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

# (English, English plural, Chinese, measure word), in the detector's class order
# (entries split after their one-character measure word; names may hold spaces)
COCO: tuple[tuple[str, ...], ...] = tuple(
    tuple(row.split("|")) for line in """\
person|people|人|个 bicycle|bicycles|自行车|辆 car|cars|汽车|辆 motorcycle|motorcycles|摩托车|辆
airplane|airplanes|飞机|架 bus|buses|公共汽车|辆 train|trains|火车|列 truck|trucks|卡车|辆
boat|boats|船|艘 traffic light|traffic lights|红绿灯|个 fire hydrant|fire hydrants|消防栓|个
stop sign|stop signs|停车标志|个 parking meter|parking meters|停车计时器|个 bench|benches|长椅|张
bird|birds|鸟|只 cat|cats|猫|只 dog|dogs|狗|只 horse|horses|马|匹 sheep|sheep|羊|只 cow|cows|牛|头
elephant|elephants|大象|头 bear|bears|熊|只 zebra|zebras|斑马|匹 giraffe|giraffes|长颈鹿|只
backpack|backpacks|背包|个 umbrella|umbrellas|雨伞|把 handbag|handbags|手提包|个 tie|ties|领带|条
suitcase|suitcases|行李箱|个 frisbee|frisbees|飞盘|个 skis|pairs of skis|滑雪板|副
snowboard|snowboards|单板滑雪板|块 sports ball|balls|球|个 kite|kites|风筝|只
baseball bat|baseball bats|棒球棒|根 baseball glove|baseball gloves|棒球手套|只
skateboard|skateboards|滑板|块 surfboard|surfboards|冲浪板|块 tennis racket|tennis rackets|网球拍|把
bottle|bottles|瓶子|个 wine glass|wine glasses|酒杯|个 cup|cups|杯子|个 fork|forks|叉子|把
knife|knives|刀|把 spoon|spoons|勺子|把 bowl|bowls|碗|个 banana|bananas|香蕉|根 apple|apples|苹果|个
sandwich|sandwiches|三明治|个 orange|oranges|橙子|个 broccoli|broccoli|西兰花|棵
carrot|carrots|胡萝卜|根 hot dog|hot dogs|热狗|个 pizza|pizzas|披萨|个 donut|donuts|甜甜圈|个
cake|cakes|蛋糕|个 chair|chairs|椅子|把 couch|couches|沙发|张 potted plant|potted plants|盆栽|盆
bed|beds|床|张 dining table|dining tables|餐桌|张 toilet|toilets|马桶|个 tv|tvs|电视|台
laptop|laptops|笔记本电脑|台 mouse|mice|鼠标|个 remote|remotes|遥控器|个 keyboard|keyboards|键盘|个
cell phone|cell phones|手机|部 microwave|microwaves|微波炉|台 oven|ovens|烤箱|台
toaster|toasters|烤面包机|台 sink|sinks|水槽|个 refrigerator|refrigerators|冰箱|台 book|books|书|本
clock|clocks|时钟|个 vase|vases|花瓶|个 scissors|pairs of scissors|剪刀|把
teddy bear|teddy bears|泰迪熊|只 hair drier|hair driers|吹风机|个 toothbrush|toothbrushes|牙刷|把
""".split("\n") for row in re.split(r"(?<=\|\S)\s+", line) if row
)
if len(COCO) != 80 or any(len(row) != 4 for row in COCO):
    raise RuntimeError(f"COCO table: expected 80 rows of 4 fields, got {len(COCO)}")
_BY_NAME = {row[0]: row for row in COCO}


def counted(labels: Sequence[str]) -> tuple[str, str]:
    """("2 people, 1 dog", "2个人，1只狗") for detected labels, most frequent first."""
    counts = Counter(labels).most_common()
    english = ", ".join(f"{n} {_BY_NAME[k][1] if n > 1 else k}" for k, n in counts)
    chinese = "，".join(f"{n}{_BY_NAME[k][3]}{_BY_NAME[k][2]}" for k, n in counts)
    return english, chinese


def summary(detections: Sequence[Any]) -> str:
    """The two lines an image's text gets, or "" when nothing was detected."""
    if not detections:
        return ""
    english, chinese = counted([d.label for d in detections])
    return f"objects: {english}\n物体: {chinese}"
