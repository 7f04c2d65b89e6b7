"""The complaint categories an organisation sorts its reviews into.

Administrators rename, add, merge and retire categories and give each a description and example
phrases; the category models read those from here at run time, never from code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from pingjia.analysis.text.normalise import normalise


class CategoryKind(StrEnum):
    COMPLAINT = "complaint"
    # Where a complaint goes that fits no other category; at most one per taxonomy.
    CATCH_ALL = "catch_all"
    # Praise, questions, chatter: a review that needs no rectification; at most one per taxonomy.
    NOT_A_COMPLAINT = "not_a_complaint"


@dataclass(frozen=True)
class CategoryDef:
    code: str
    name: str
    description: str = ""
    examples: tuple[str, ...] = ()  # phrases an administrator writes: 态度差, 物流慢
    kind: CategoryKind = CategoryKind.COMPLAINT
    # Codes of the categories merged into this one: what a model learnt of them counts for it.
    absorbed: tuple[str, ...] = ()

    def seed_phrases(self) -> tuple[str, ...]:
        """The examples (and the name), normalised the way reviews are, longest first."""
        return _seed_phrases(self.name, self.examples)


@lru_cache(maxsize=256)
def _seed_phrases(name: str, examples: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: matching runs over every corpus sentence and every review.
    phrases = {normalise(p).strip() for p in (*examples, name)}
    return tuple(sorted((p for p in phrases if p), key=lambda p: (-len(p), p)))


def codes(taxonomy: Sequence[CategoryDef]) -> tuple[str, ...]:
    return tuple(c.code for c in taxonomy)


def counts_for(taxonomy: Sequence[CategoryDef]) -> dict[str, str]:
    """Each code that counts for a category of the taxonomy: its own, and those merged into it."""
    return {code: c.code for c in taxonomy for code in (*c.absorbed, c.code)}


def of_kind(
    taxonomy: Sequence[CategoryDef], kind: CategoryKind
) -> str | None:
    return next((c.code for c in taxonomy if c.kind == kind), None)


# Seed phrases written from what customers of shops, restaurants, hotels and online stores
# commonly complain about; deliberately generic, not drawn from any evaluation data.
DEFAULT_TAXONOMY: tuple[CategoryDef, ...] = (
    CategoryDef(
        "product_quality",
        "产品质量",
        "商品、菜品或设施本身的问题：质量差、坏了、故障、做工粗糙、不新鲜、味道差、尺码不对、"
        "与描述不符、假货、卫生差、房间设施旧。",
        (
            "质量差",
            "质量不好",
            "质量太差",
            "做工粗糙",
            "做工差",
            "坏了",
            "故障",
            "不能用",
            "用不了",
            "次品",
            "假货",
            "与描述不符",
            "和图片不一样",
            "色差",
            "掉色",
            "起球",
            "开线",
            "尺码不对",
            "偏小",
            "偏大",
            "有异味",
            "味道难闻",
            "不新鲜",
            "变质",
            "烂了",
            "难吃",
            "太咸",
            "不好吃",
            "分量少",
            "不干净",
            "卫生差",
            "有头发",
            "死机",
            "卡顿",
            "发热",
            "黑屏",
            "耗电快",
            "漏水",
            "噪音大",
            "房间小",
            "隔音差",
            "设施陈旧",
            "有霉味",
            "太吵",
            "没效果",
            "过敏",
            "东西太差",
            "东西不好",
            "质量",
            "做工",
            "材质",
            "面料",
            "味道",
            "口感",
            "效果",
            "颜色",
            "尺码",
            "屏幕",
            "电池",
            "房间",
            "设施",
            "卫生间",
            "早餐",
            "床",
            "不好用",
            "不好看",
            "发霉",
            "不结实",
        ),
    ),
    CategoryDef(
        "service_attitude",
        "服务态度",
        "员工或客服的态度与服务：态度差、不理人、没礼貌、不耐烦、服务不周到、前台或服务员的问题。",
        (
            "态度差",
            "态度不好",
            "态度恶劣",
            "服务差",
            "服务态度",
            "服务太差",
            "服务不好",
            "不理人",
            "爱理不理",
            "没礼貌",
            "不耐烦",
            "不热情",
            "冷漠",
            "骂人",
            "脸色难看",
            "服务员",
            "前台",
            "店员",
            "客服态度",
            "服务意识",
            "没人管",
            "敷衍",
            "傲慢",
        ),
    ),
    CategoryDef(
        "delivery_logistics",
        "交付与物流",
        "送货与交付的问题：物流慢、发货慢、快递、配送、包装破损、少发漏发、发错货、缺少配件或赠品、上菜慢。",
        (
            "物流慢",
            "物流太慢",
            "发货慢",
            "快递慢",
            "快递",
            "物流",
            "送货",
            "配送",
            "送货上门",
            "包装破损",
            "包装太差",
            "压坏",
            "漏发",
            "少发",
            "发错",
            "没收到",
            "迟迟不到",
            "几天才到",
            "没有赠品",
            "赠品",
            "少了配件",
            "没有发票",
            "上菜慢",
            "等了很久",
            "外卖",
            "漏液",
            # Added from the kinds of delivery complaint that the phrases above missed in the
            # training split of the development data: slow arrival, goods damaged or leaking in
            # transit, wrong or missing items and invoices, the courier and the pick-up point.
            "到货慢",
            "送货慢",
            "才到",
            "还没到",
            "碰烂",
            "撞烂",
            "压烂",
            "漏了",
            "发票",
            "少发了",
            "赠品没有",
            "礼品",
            "签收",
            "代收点",
            "快递员",
            "运输",
            "送到",
        ),
    ),
    CategoryDef(
        "after_sales",
        "售后问题",
        "购买或消费之后的处理：退货、换货、退款、维修、保修、投诉处理、推卸责任、不给解决。",
        (
            "售后",
            "售后差",
            "退货",
            "换货",
            "退款",
            "不给退",
            "不给换",
            "维修",
            "保修",
            "返修",
            "退换",
            "投诉",
            "推卸责任",
            "推脱",
            "不处理",
            "不解决",
            "没人处理",
            "三包",
            "理赔",
        ),
    ),
    CategoryDef(
        "other",
        "其他",
        "其他不满：价格太贵、降价、性价比低、活动与优惠、虚假宣传、乱收费。",
        (
            "太贵",
            "价格贵",
            "价格高",
            "降价",
            "不值这个价",
            "性价比低",
            "不划算",
            "优惠券",
            "活动",
            "价保",
            "差价",
            "虚假宣传",
            "欺骗消费者",
            "乱收费",
            "多收费",
            "押金",
        ),
        CategoryKind.CATCH_ALL,
    ),
    CategoryDef(
        "not_a_complaint",
        "不是投诉",
        "表扬、满意或中性的评价，不需要整改。",
        ("很好", "不错", "满意", "喜欢", "推荐", "好评", "物超所值", "值得购买", "还会再来"),
        CategoryKind.NOT_A_COMPLAINT,
    ),
)
