"""Import formats: which column of an export holds which field of a review.

The generic format accepts the Chinese or English headers listed in `GENERIC`. Each platform
preset lists its merchant-backend export headers and its API field names (an integration may
export the API's JSON as CSV); `detect` picks the preset whose characteristic headers are all in
the file. Header matching ignores case, spaces, underscores and full-width forms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The review fields a column can fill.
FIELDS = (
    "external_id", "reviewed_at", "rating", "text", "customer_name", "customer_nick",
    "customer_phone", "customer_email", "order_id", "product", "product_code", "store_code",
    "store_name", "tags", "images", "append_text", "appended_at", "reply",
)


# The sub-scores the presets read, as the review page names them.
SUB_SCORE_LABELS: dict[str, Promise] = {
    "taste": _("taste"),
    "delivery": _("delivery"),
    "packing": _("packing"),
    "description": _("as described"),
    "logistics": _("logistics"),
    "service": _("service"),
}


def header_key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", header)).lower()


@dataclass(frozen=True)
class ImportFormat:
    code: str
    label: str
    columns: dict[str, tuple[str, ...]]  # field -> accepted headers
    rating_scale: str = "stars"  # see cells.rating
    sub_scores: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> headers
    signature: tuple[str, ...] = ()  # headers that identify the preset in `detect`

    def mapping(self, headers: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """(field -> column index, sub-score name -> column index) for this file's headers."""
        index = {header_key(h): i for i, h in reversed(list(enumerate(headers))) if h}

        def find(aliases: tuple[str, ...]) -> int | None:
            return next((index[header_key(a)] for a in aliases if header_key(a) in index), None)

        fields = {name: i for name, aliases in self.columns.items()
                  if (i := find(aliases)) is not None}
        scores = {name: i for name, aliases in self.sub_scores.items()
                  if (i := find(aliases)) is not None}
        return fields, scores

    def recognises(self, headers: list[str]) -> bool:
        keys = {header_key(h) for h in headers}
        return bool(self.signature) and all(header_key(s) in keys for s in self.signature)


GENERIC = ImportFormat(
    code="generic",
    label="通用格式 / generic",
    columns={
        "external_id": ("评价ID", "评价编号", "评论ID", "review_id", "id"),
        "reviewed_at": ("评价时间", "评价日期", "评论时间", "时间", "日期", "reviewed_at", "date",
                        "time", "created"),
        "rating": ("评分", "星级", "评价星级", "评价等级", "rating", "stars", "score"),
        "text": ("评价内容", "评论内容", "内容", "评价", "text", "content", "review", "comment"),
        "customer_name": ("客户姓名", "姓名", "顾客姓名", "customer_name", "name"),
        "customer_nick": ("用户昵称", "买家昵称", "昵称", "用户名", "nick", "nickname", "user"),
        "customer_phone": ("手机号", "手机", "联系电话", "电话", "phone", "mobile"),
        "customer_email": ("邮箱", "电子邮件", "email", "e-mail"),
        "order_id": ("订单号", "订单ID", "订单编号", "order_id", "order"),
        "product": ("商品名称", "商品", "菜品", "服务", "服务项目", "product", "item", "service"),
        "product_code": ("商品ID", "商品编号", "SKU", "product_id", "sku", "item_id"),
        "store_code": ("门店ID", "门店编码", "门店编号", "店铺ID", "store_code", "store_id"),
        "store_name": ("门店名称", "门店", "店铺名称", "店铺", "store_name", "store"),
        "tags": ("标签", "评价标签", "tags", "tag"),
        "images": ("图片", "评价图片", "晒图", "images", "pictures", "photos"),
        "append_text": ("追评内容", "追评", "append_text", "follow_up"),
        "appended_at": ("追评时间", "appended_at", "follow_up_time"),
        "reply": ("回复内容", "商家回复", "reply"),
    },
)

# 抖店 (Douyin shop) back-end export, as its review export names the columns.
DOUYIN = ImportFormat(
    code="douyin",
    label="抖店评价导出",
    columns={
        "reviewed_at": ("评价日期",),
        "order_id": ("订单ID",),
        "product_code": ("商品ID",),
        "product": ("商品名称",),
        "rating": ("商品评价得分",),
        "text": ("评价内容",),
        "customer_nick": ("用户昵称",),
        "append_text": ("追评内容",),
        "appended_at": ("追评时间",),
        "reply": ("回复内容",),
        "store_code": ("门店ID",),
        "store_name": ("门店名称",),
        "tags": ("评价标签",),
        "images": ("评价图片",),
    },
    signature=("评价日期", "订单ID", "商品评价得分", "评价内容"),
)

# 美团外卖 / 大众点评: comment/query of the Meituan open platform, and the back-end export.
MEITUAN = ImportFormat(
    code="meituan",
    label="美团外卖 / 大众点评",
    columns={
        "external_id": ("comment_id", "评价ID"),
        "reviewed_at": ("comment_time", "评价时间"),
        "rating": ("food_comment_score", "总体评分", "评分"),
        "text": ("comment_content", "评价内容"),
        "append_text": ("add_comment", "追评内容"),
        "appended_at": ("add_comment_time", "追评时间"),
        "tags": ("comment_lables", "comment_labels", "评价标签"),
        "images": ("comment_pictures", "评价图片"),
        "reply": ("e_reply_content", "商家回复"),
        "order_id": ("order_id", "订单号"),
        "store_code": ("app_poi_code", "门店ID"),
        "store_name": ("poi_name", "门店名称"),
        "customer_nick": ("user_name", "用户昵称"),
    },
    sub_scores={"taste": ("order_comment_score", "口味"),
                "delivery": ("delivery_comment_score", "配送评分"),
                "packing": ("packing_score", "包装评分")},
    signature=("comment_id", "comment_content"),
)

# 京东: PopCommentJsfService.getVenderCommentsForJos (PopCommentJosVo).
JD = ImportFormat(
    code="jd",
    label="京东",
    columns={
        "external_id": ("commentId",),
        "reviewed_at": ("creationTime",),
        "rating": ("score",),
        "text": ("content",),
        "product_code": ("skuid",),
        "product": ("skuName",),
        "order_id": ("orderId",),
        "customer_nick": ("nickName", "pin"),
        "images": ("images", "imgUrl"),
        "reply": ("replies", "replyContent"),
    },
    signature=("commentId", "skuid", "content"),
)

# 淘宝: taobao.traderates.get (TradeRate); result is good / neutral / bad, no stars.
TAOBAO = ImportFormat(
    code="taobao",
    label="淘宝",
    columns={
        "external_id": ("oid",),
        "order_id": ("tid",),
        "reviewed_at": ("created",),
        "rating": ("result",),
        "text": ("content",),
        "customer_nick": ("nick",),
        "product": ("item_title",),
        "product_code": ("num_iid",),
        "reply": ("reply",),
    },
    rating_scale="good_neutral_bad",
    signature=("tid", "oid", "result", "content"),
)

# 天猫: tmall.traderate.feeds.get (TmallRateInfo), with 追评 and tags; no stars.
TMALL = ImportFormat(
    code="tmall",
    label="天猫",
    columns={
        "reviewed_at": ("comment_time",),
        "text": ("content",),
        "customer_nick": ("user_nick",),
        "append_text": ("append_content",),
        "appended_at": ("append_time",),
        "tags": ("tags", "tag_name"),
        "order_id": ("child_trade_id", "tid"),
        "product": ("auction_title", "item_title"),
        "reply": ("reply",),
    },
    signature=("user_nick", "comment_time", "content"),
)

# 饿了么: eleme.ugc.queryOrderComments (OpenapiOrderRate).
ELEME = ImportFormat(
    code="eleme",
    label="饿了么",
    columns={
        "external_id": ("id",),
        "store_code": ("shopId",),
        "rating": ("rating",),
        "text": ("rateContent",),
        "reviewed_at": ("ratedAt",),
        "reply": ("orderRateReply", "rateReply"),
        "tags": ("rateTag",),
        "product": ("itemName",),
        "images": ("pictures",),
    },
    signature=("shopId", "rateContent", "ratedAt"),
)

# 拼多多: no official review API. The merchant back end's review list (as an integration
# writes it out) names its fields reviewId, orderSn, goodsId, score, the shop ratings
# descScore / logisticsScore / serviceScore (1–5 stars each), comment, reply, pictures and
# createTime (Unix seconds).
PINDUODUO = ImportFormat(
    code="pinduoduo",
    label="拼多多",
    columns={
        "external_id": ("reviewId",),
        "order_id": ("orderSn",),
        "product_code": ("goodsId",),
        "rating": ("score",),
        "text": ("comment",),
        "reply": ("reply",),
        "images": ("pictures",),
        "reviewed_at": ("createTime",),
    },
    sub_scores={"description": ("descScore",), "logistics": ("logisticsScore",),
                "service": ("serviceScore",)},
    signature=("reviewId", "orderSn", "comment"),
)

FORMATS: dict[str, ImportFormat] = {f.code: f for f in (GENERIC, DOUYIN, MEITUAN, JD, TAOBAO,
                                                        TMALL, ELEME, PINDUODUO)}


def detect(headers: list[str]) -> ImportFormat:
    """The preset whose characteristic headers are all present, else the generic format."""
    return next((f for f in FORMATS.values() if f.recognises(headers)), GENERIC)
