"""The opinion lexicon behind aspect extraction, written from general knowledge of Chinese reviews
(restaurants, shops, hotels, e-commerce, appliances). Simplified Chinese only: text is normalised
before it is looked up.

Each predicate maps a surface form to its canonical form, the word a manager would write on the
whiteboard (慢死 → 慢, 差劲 → 差). `PREDICATE_CLASSES` then gathers canonical predicates that name
the same defect (暗 / 看不清 / 不亮), which is what grouping compares.
"""

from __future__ import annotations

from typing import Final, Literal


def _canon(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{canonical: (variants…)} → {surface: canonical}, the canonical form mapping to itself."""
    surface: dict[str, str] = {}
    for canonical, variants in table.items():
        surface[canonical] = canonical
        for variant in variants:
            surface[variant] = canonical
    return surface


# Predicates that are a complaint whatever they qualify (菜难吃, 快递慢).
NEGATIVE: Final[dict[str, str]] = _canon({
    "慢": ("缓慢", "龟速", "拖拉", "磨蹭", "拖沓", "慢吞吞", "慢慢吞吞", "才到", "才发货"),
    "差": ("差劲", "极差", "糟糕", "很烂", "垃圾", "糟", "不行", "一塌糊涂", "烂透", "奇差", "太次",
           "不咋地", "不怎么样", "差强人意", "坑爹", "坑人", "坑", "恶心"),
    "暗": ("昏暗", "暗淡", "黯淡", "偏暗", "发暗", "阴暗"),
    "看不清": ("看不清楚", "模糊", "模糊不清", "不清楚"),
    "贵": ("昂贵", "小贵", "死贵", "偏贵", "贵了", "价高"),
    "脏": ("肮脏", "脏乱", "脏乱差", "不卫生", "邋遢", "很脏"),
    "乱": ("杂乱", "混乱", "乱七八糟"),
    "吵": ("嘈杂", "吵闹", "喧闹"),
    "臭": ("发臭", "恶臭", "臭味", "难闻"),
    "难吃": ("不好吃", "难以下咽"),
    "难用": ("不好用", "不好使", "不灵"),
    "难看": ("丑", "不好看", "土气", "难看死"),
    "难喝": ("不好喝",),
    "冷淡": ("冷漠", "冷冰冰", "爱理不理", "不理不睬", "敷衍", "不耐烦", "不热情"),
    "凶": ("凶巴巴", "恶劣", "蛮横", "粗鲁", "无礼", "没礼貌", "不礼貌", "傲慢"),
    "不专业": ("业余", "外行"),
    "破损": ("破", "破了", "破掉", "损坏", "坏", "坏了", "碎", "碎了", "破碎", "裂", "裂了", "开裂",
             "裂开", "瘪", "压坏", "压扁", "摔坏", "撞坏", "变形", "撞烂", "摔烂", "压烂", "碰烂",
             "磕坏", "碰坏", "磕碰", "碰伤", "压碎", "摔碎", "破洞", "有洞", "磕伤", "撞伤"),
    "烂": ("腐烂", "烂了", "烂掉", "坏掉", "霉烂", "发霉", "长毛", "变质", "馊", "馊了"),
    "漏": ("漏水", "漏液", "漏油", "漏气", "渗水", "漏电"),
    "过期": ("临期", "快过期"),
    "旧": ("陈旧", "老旧", "破旧", "老化", "旧了"),
    "硬": ("太硬", "梆硬", "僵硬"),
    "咸": ("齁",),
    "淡": ("没味", "没味道", "寡淡"),
    "腻": ("油腻", "太油"),
    "冷": ("凉", "凉了", "冰凉", "冷了"),
    "辣": (),
    "酸": (),
    "苦": ("苦味", "发苦"),
    "涩": ("发涩",),
    "粗糙": ("毛糙", "做工粗糙"),
    "假": ("假货", "假的", "山寨", "冒牌", "仿冒", "高仿", "不是正品", "非正品"),
    "次品": ("残次品", "瑕疵品", "二手", "翻新", "翻新机", "返修"),
    "不符": ("不一致", "不一样", "不相符", "不对版", "货不对板", "货不对", "不同", "与描述不符"),
    "卡顿": ("很卡", "太卡", "好卡", "超卡", "有点卡", "卡死", "反应慢"),
    "死机": ("自动关机", "重启", "黑屏", "蓝屏", "白屏", "闪退", "死过机", "关机"),
    "发热": ("发烫", "烫手", "过热"),
    "耗电": ("掉电", "费电", "耗电快", "没电"),
    "掉色": ("褪色", "脱色", "染色"),
    "起球": ("掉毛", "脱线", "开线"),
    "掉漆": ("脱漆", "掉皮", "起皮"),
    "划痕": ("刮花", "磨损", "划伤", "刮痕"),
    "异味": ("怪味", "霉味", "烟味", "有味道", "刺鼻"),
    "怪": ("奇怪", "很怪"),
    "断线": ("掉线", "断网", "时断时续", "断断续续"),
    "错": ("错了", "搞错", "弄错"),
    "发错": ("送错", "寄错", "发错货"),
    "少发": ("漏发", "少件", "缺件", "少寄", "漏寄"),
    "不当": ("不妥", "不周", "不到位"),
    "干": ("干枯", "干燥", "发干", "干涩", "毛躁", "打结"),
    "过敏": ("起疹子", "红肿", "痒", "瘙痒", "发痒", "刺痛"),
    "掉发": ("脱发", "掉头发"),
    "头皮屑": ("头屑", "起头皮屑"),
    "失望": ("不满意", "不满", "后悔", "上当", "受骗", "无语"),
    "不稳定": ("不稳",),
    "虚假": ("虚假宣传", "夸大", "欺骗", "骗人", "忽悠", "欺诈", "骗子", "骗局"),
    "降价": ("掉价",),
    "涨价": ("提价",),
    "少": ("缺斤少两", "少了", "不足", "不够秤", "不够称", "短斤少两"),
    "缩水": ("缩小", "变小"),
    "失灵": ("不灵敏", "不好使了", "时灵时不灵"),
    "异响": ("响声", "嗡嗡响", "吱吱响", "咔咔响"),
    "杂音": ("电流声", "沙沙声", "滋滋声"),
    "色差": (),
    "漏光": (),
    "虫": ("虫子", "蟑螂", "老鼠", "苍蝇", "臭虫", "跳蚤", "虫眼", "生虫", "长虫"),
    "不值": ("不值得", "不值这个价", "不划算", "性价比低"),
    "麻烦": ("繁琐", "折腾"),
    "薄": ("单薄",),
    "瑕疵": ("毛病", "故障", "缺陷", "污渍", "污点", "斑点", "红斑", "印迹", "印子", "黑点",
             "伤疤", "痕迹", "笔迹", "污垢"),
    "缝隙": ("开缝", "有缝", "合不严"),
    "不均": ("不均匀", "大小不一", "参差不齐", "不齐"),
    "廉价": ("地摊货", "低档", "档次低", "廉价感", "塑料感", "山寨货"),
    "空洞": ("无新意", "没新意", "没意思", "无聊", "乏味", "拼凑", "空"),
    "潮": ("潮湿", "发潮", "返潮", "湿"),
    "简陋": ("寒酸",),
    "粘毛": ("沾毛", "吸毛", "粘灰"),
    "起皱": ("皱", "易皱", "皱巴巴", "起褶"),
    "报废": ("废了", "废品"),
    "离谱": ("虚高", "太离谱"),
    "推诿": ("推卸", "推卸责任", "踢皮球", "推脱", "推三阻四", "扯皮", "刁难"),
    "延迟": ("推迟", "超时", "晚点", "迟到", "延误", "迟迟"),
    "难受": ("不舒服",),
})

# Praise, whatever it qualifies.
POSITIVE: Final[dict[str, str]] = _canon({
    "好": ("不错", "很好", "棒", "赞", "完美", "优秀", "给力", "靠谱", "挺好"),
    "快": ("迅速", "神速", "及时", "准时", "快速", "很快"),
    "好吃": ("美味", "可口", "香", "好喝"),
    "好用": ("好使", "顺手", "流畅", "灵敏"),
    "好看": ("漂亮", "美观", "精美", "大方", "时尚"),
    "干净": ("整洁", "卫生", "干净整洁"),
    "热情": ("周到", "耐心", "贴心", "细心", "友好", "礼貌", "有礼貌", "客气"),
    "专业": (),
    "便宜": ("实惠", "划算", "超值", "物美价廉", "值", "值得"),
    "新鲜": (),
    "耐用": ("持久", "结实", "牢固", "耐穿"),
    "清晰": ("清楚",),
    "亮": ("明亮", "敞亮", "光亮"),
    "舒服": ("舒适", "柔软", "软和"),
    "方便": ("便捷", "便利"),
    "安静": ("静音",),
    "满意": ("喜欢", "放心", "惊喜"),
    "正品": ("正宗",),
    "稳定": (),
    "合适": ("合身", "正好", "刚好"),
    "甜": ("甘甜", "香甜", "清甜"),
    "热": ("热乎", "热乎乎", "热腾腾"),
    "准": ("准确",),
    "齐全": ("齐备",),
})

# Not a complaint and not praise: "一般" is lukewarm, the manager has nothing to fix.
NEUTRAL: Final[dict[str, str]] = _canon({
    "一般": ("一般般", "还行", "凑合", "马马虎虎", "中规中矩", "过得去", "还可以", "普通"),
})

# The negated form of praise, where Chinese has a word of its own for it (不好吃 → 难吃).
NEGATED_POSITIVE: Final[dict[str, str]] = {
    "好": "差", "好吃": "难吃", "好用": "难用", "好看": "难看", "干净": "脏", "亮": "暗",
    "清晰": "不清晰", "热情": "冷淡", "便宜": "不值", "满意": "失望", "正品": "假",
    "合适": "不合适", "快": "慢", "安静": "吵", "稳定": "不稳定", "专业": "不专业",
}

# Dimension adjectives: whether they are a complaint depends on what they measure (声音小 vs
# 噪音小) and on an excess degree (尺码太大). The value is the polarity with an ordinary target.
DIMENSION: Final[dict[str, Literal["negative", "neutral", "positive"]]] = {
    "大": "positive", "多": "positive", "长": "positive", "高": "positive", "厚": "positive",
    "宽": "positive", "重": "negative", "软": "positive",
    "小": "negative", "少": "negative", "短": "negative", "低": "negative", "薄": "negative",
    "窄": "negative", "轻": "positive", "细": "positive", "粗": "negative", "紧": "negative",
    "松": "negative", "深": "neutral", "浅": "neutral", "肥": "negative", "瘦": "negative",
}

# A price's level is said as dear or cheap: 价格高 is 价格贵, one phrase for one complaint.
PRICE_LEVELS: Final[dict[str, str]] = {"高": "贵", "低": "便宜"}

# Targets that are bad in themselves: more of them is a complaint (噪音大, 色差大, 价格高).
BAD_QUANTITY_TARGETS: Final[frozenset[str]] = frozenset({
    "噪音", "噪声", "杂音", "异味", "味道", "气味", "色差", "误差", "辐射", "耗电", "油耗", "价格",
    "价钱", "房价", "售价", "问题", "毛病", "故障", "缺陷", "划痕", "差距", "差别", "区别", "烟味",
    "霉味", "灰尘", "蚊子", "广告", "延迟", "风险", "热量", "水垢", "动静", "声响",
    "运费", "邮费", "押金", "排队", "等待", "时间",
})

# Degree words: dropped from the canonical phrase (很慢 → 慢). Excess degrees turn a dimension
# adjective into a complaint (尺码太大 → 尺码偏大).
DEGREE: Final[frozenset[str]] = frozenset({
    "太", "很", "非常", "特别", "有点", "有点儿", "有些", "比较", "十分", "相当", "超", "超级",
    "极",
    "极其", "挺", "蛮", "真", "好", "最", "更", "较", "过于", "太过", "实在", "略", "稍", "稍微",
    "偏", "巨", "贼", "忒", "老", "真是", "真的", "确实", "简直", "特", "好像", "太太", "极度",
    "这么",
    "那么", "如此", "够", "也太", "有点太", "一点", "都", "也", "还", "又", "就", "是", "越来越",
    "感觉", "觉得", "明显", "严重", "根本", "完全", "一直", "总是", "经常", "老是", "居然", "竟然",
    "未免", "略微", "过", "超慢", "较为", "特么", "贼拉",
})
EXCESS_DEGREE: Final[frozenset[str]] = frozenset({
    "太", "过于", "太过", "偏", "超", "超级", "过", "忒", "也太", "有点太", "未免", "太太",
})

# Prefixes and suffixes jieba glues onto a predicate (太慢, 慢死, 差死了): stripped before lookup.
DEGREE_PREFIXES: Final[tuple[str, ...]] = (
    "有点儿", "有点", "有些", "非常", "特别", "超级", "过于", "太过", "比较", "十分", "相当",
    "极其",
    "太", "很", "超", "极", "挺", "蛮", "真", "好", "最", "更", "较", "巨", "贼", "忒", "偏", "略",
    "稍",
)
PREDICATE_SUFFIXES: Final[tuple[str, ...]] = (
    "死了", "极了", "得很", "得要命", "得要死", "透了", "爆了", "了点", "了些", "了", "死", "透",
    "爆", "啊", "呀", "啦", "哦", "吧", "点", "些",
)

NEGATIONS: Final[dict[str, str]] = {
    "不": "不", "不太": "不", "不是": "不", "并不": "不", "不够": "不够", "不怎么": "不",
    "一点也不": "不", "一点都不": "不", "毫不": "不", "绝不": "不", "从不": "不", "从来不": "不",
    "没": "没", "没有": "没", "未": "没", "无": "无", "并没有": "没", "从没": "没", "从未": "没",
    "不能": "不能", "不会": "不会", "无法": "无法", "不再": "不再", "都没": "没", "也没": "没",
    "还没": "没", "还没有": "没", "没能": "没", "没法": "没法", "没什么": "没", "没啥": "没",
    "非": "不",
}

# Things a customer expects to work or happen: negated, they are the complaint (空调不制冷,
# 客服不理人, 没收到货). The phrase keeps the negation as written (不 or 没).
EXPECTED_ACTIONS: Final[frozenset[str]] = frozenset({
    "制冷", "制热", "加热", "出水", "出热水", "充电", "开机", "启动", "工作", "运行", "显示",
    "识别",
    "发货", "到货", "收到", "送达", "送到", "配送", "送货", "退款", "退货", "换货", "补发", "退",
    "回复", "回应", "理", "理人", "理睬", "搭理", "处理", "解决", "联系", "响应", "反应", "答复",
    "开发票", "给发票", "打扫", "更换", "维修", "保修", "兑现", "上门", "安装", "通知", "道歉",
    "赔偿", "负责", "承认", "接电话", "接", "出餐", "上菜", "找零", "说明", "提醒", "送", "给",
    "认账", "管", "热", "亮", "响", "转", "用", "能用", "连接", "连", "上网", "联网", "读卡",
    "通话", "打电话", "配", "赠送", "提供", "寄", "发", "开", "收货", "看到货",
})

# Actions too general to be an issue without saying what did not (还不给 → 不给 what?).
GENERIC_ACTIONS: Final[frozenset[str]] = frozenset({
    "给", "送", "理", "接", "管", "转", "响", "亮", "热", "连", "退", "用", "能用", "说明", "负责",
})
# Use is only a failure when it cannot happen (不能用); 没用 is also "not used yet".
ABILITY_ACTIONS: Final[frozenset[str]] = frozenset({"用", "能用", "使用"})
ABILITY_NEGATIONS: Final[frozenset[str]] = frozenset({"不能", "无法", "没法"})

# Things a customer expects to get: their absence is the complaint (没有发票 → 无发票).
EXPECTED_ITEMS: Final[frozenset[str]] = frozenset({
    "发票", "赠品", "礼品", "耳机", "充电器", "数据线", "说明书", "保修卡", "合格证", "配件",
    "皮套",
    "贴膜", "礼盒", "包装", "包装盒", "盒子", "袋子", "手提袋", "空调", "暖气", "热水", "网络",
    "wifi", "信号", "早餐", "窗户", "窗", "电梯", "停车位", "车位", "毛巾", "拖鞋", "牙刷",
    "吹风机",
    "光盘", "驱动", "系统", "售后", "客服", "纸巾", "餐具", "筷子", "吸管", "小票", "收据", "标签",
    "吊牌", "生产日期", "保质期", "中文", "声音", "反应", "效果", "味道", "诚信", "库存", "货",
    "优惠", "积分", "返现", "内裤",
})

# Things whose absence is praise (没有噪音, 没有任何缺点): the unwanted quantities above, save the
# ones a customer also expects to get (没有味道 is bland food), and the defects by name.
ABSENCE_IS_GOOD: Final[frozenset[str]] = (BAD_QUANTITY_TARGETS - EXPECTED_ITEMS) | frozenset({
    "缺点", "缺陷", "瑕疵", "坏点", "污渍", "异物", "蟑螂", "影响", "副作用", "不适", "添加剂",
    "防腐剂", "色素", "蜡", "坏果", "烂果", "硅油", "压力",
})
# Words of taste and smell that finish the name of what is missing (没有苹果味 → 无苹果味).
FLAVOURS: Final[frozenset[str]] = frozenset({"味", "味道", "味儿", "香味", "口味", "甜味", "香气"})

# Words that are never the target of an opinion: pronouns, function words, generic nouns that say
# nothing concrete (东西 太差 is no concrete issue), verbs of buying and feeling, time words.
NON_TARGETS: Final[frozenset[str]] = frozenset({
    "我", "你", "他", "她", "它", "我们", "你们", "他们", "大家", "自己", "人家", "别人", "本人",
    "这", "那", "这个", "那个", "这些", "那些", "这样", "那样", "这种", "那种", "这款", "这次",
    "这家", "那家", "此", "其", "啥", "什么", "怎么", "哪", "哪里", "谁", "东西", "感觉", "觉得",
    "总体", "整体", "总的来说", "总之", "其他", "其它", "一些", "有些", "一个", "一次", "一下",
    "一点", "一般", "真的", "实在", "确实", "简直", "的", "了", "着", "过", "地", "得", "之", "与",
    "和", "跟", "及", "或", "而", "但", "但是", "而且", "并且", "可是", "不过", "就是", "然后",
    "所以", "因为", "如果", "虽然", "还是", "只是", "也", "都", "还", "又", "就", "才", "再", "却",
    "很", "太", "挺", "最", "更", "比", "被", "把", "给", "让", "对", "在", "从", "到", "向", "为",
    "以", "用", "买", "购买", "买来", "买到", "收到", "拿到", "到手", "使用", "用了", "发现",
    "是", "有", "没", "没有", "不", "会", "能", "要", "想", "说", "看", "看到", "知道", "认为",
    "今天", "昨天", "现在", "以前", "以后", "之前", "之后", "当时", "后来", "时候", "第一次",
    "一直", "已经", "还有", "以及", "比较", "非常", "特别", "真", "好", "吧", "啊", "呢", "吗",
    "哦", "呀", "啦", "嘛", "京东", "淘宝", "天猫", "卖家", "商家", "店家", "亲", "朋友", "老公",
    "老婆", "孩子", "宝宝", "家里", "家人", "价位", "方面", "地方", "时间", "样子", "有点",
    "实在是",
    "真是", "都是", "也是", "一样", "所有", "全部", "很多", "太多", "有的",
    "个人", "总", "其实", "本来", "原来", "居然", "竟然", "果然", "反正", "根本", "完全", "绝对",
    "一定", "肯定", "可能", "应该", "好像", "似乎", "大概", "差不多", "评价", "差评", "好评",
    "中评",
    "体验", "印象", "心情", "里面", "上面", "下面", "外面", "其中", "同时", "起来", "上去",
    "看起来", "吃起来", "用起来", "穿起来", "摸起来", "听起来", "闻起来", "吃", "穿", "洗", "住",
    "玩", "听", "喝", "拿", "送", "换", "退", "来", "去", "做", "打开", "下次",
    "再也", "永远", "千万", "建议", "希望", "后悔", "失望", "垃圾", "质量问题", "原因", "结果",
    "事情", "问题", "情况", "客人", "顾客", "消费者", "人", "东东", "产品", "商品", "宝贝",
    "想象", "想像", "预期", "期待", "期望", "刚", "刚刚", "马上", "立马", "立刻", "突然", "有时",
    "常常", "容易", "小时", "分钟", "时", "天", "日", "月", "年", "周", "晚上", "早上", "白天",
    "今晚", "上午", "下午", "凌晨", "周末", "最后", "最近", "当天", "次日", "后", "前", "中", "内",
    "里", "上", "下", "半天", "部分", "个别", "别的",
    "购物", "网购", "网上", "实体店", "超市", "官网", "店", "家", "钱", "块", "元", "分",
    # Nouns of idioms with 没有 that name nothing missing (没办法, 没必要, 没关系).
    "办法", "必要", "关系", "兴趣", "想法", "理由", "机会", "经验", "意义", "意思", "准备",
    "心思", "精力", "信心", "把握", "角度", "道理", "选择", "负分", "零分",
    # 无语 (speechless), which the segmenter often cuts 无 语.
    "语",
})

# Attribute words that say which property of the preceding noun is meant (快递 速度 慢): the noun
# carries the meaning, so the phrase keeps the noun (快递慢).
ATTRIBUTE_WORDS: Final[frozenset[str]] = frozenset({"速度", "效果", "程度"})

# Predicates too general to be an issue on their own (太差了!): kept only with a target.
GENERIC: Final[frozenset[str]] = frozenset({
    "差", "好", "一般", "失望", "满意", "麻烦", "乱", "错", "合适", "不合适", "专业", "不专业",
    "便宜", "不值", "少", "冷", "热", "准", "快", "慢", "旧", "怪", "淡", "甜", "亮", "稳定",
})

# The business or its goods as a whole: a verdict on them (酒店差, 东西一般) is one on the whole
# review, not an issue anyone can fix; a specific defect of them (酒店吵, 东西漏) still is.
WHOLE_TARGETS: Final[frozenset[str]] = frozenset({
    "酒店", "宾馆", "旅馆", "饭店", "餐厅", "店", "店铺", "商家", "东西", "商品", "产品", "宝贝",
    "货",
})

# Where a predicate alone implies its target (太贵了 → 价格贵).
IMPLIED_TARGET: Final[dict[str, str]] = {
    "贵": "价格", "便宜": "价格", "不值": "价格", "离谱": "价格", "吵": "环境", "暗": "光线",
    # 太差了! names no issue, but it is a verdict on the whole: the whiteboard's "overall" line.
    # (Not 好: alone it is too often an adverb or a particle, 好吗, 好在.)
    "差": "整体", "一般": "整体", "失望": "整体",
    # 与描述不符 / 货不对板: a bare 不符 reads as nothing on the whiteboard.
    "不符": "描述",
}

# Clause boundaries besides punctuation: a new clause starts a new target search.
CLAUSE_WORDS: Final[frozenset[str]] = frozenset({
    "但是", "但", "可是", "不过", "然而", "而且", "并且", "而", "然后", "另外", "所以", "因为",
    "虽然", "还有", "以及", "况且", "只是", "结果",
})

# Canonical predicates that name the same defect, for grouping (镜子太暗 / 镜子看不清 / 灯不亮).
PREDICATE_CLASSES: Final[dict[str, str]] = {
    "看不清": "暗", "不亮": "暗", "没亮": "暗", "模糊": "暗", "不清晰": "暗",
    "冷淡": "态度差", "凶": "态度差",
    "难吃": "难吃", "难喝": "难吃", "淡": "难吃", "咸": "难吃",
    "烂": "烂", "过期": "烂", "不新鲜": "烂",
    "破损": "破损", "漏": "漏",
    "假": "假", "不符": "不符", "虚假": "不符",
    "死机": "死机", "卡顿": "死机", "不稳定": "死机", "怪": "异味",
    "耗电": "耗电", "不耐用": "耗电",
    "掉色": "掉色", "起球": "起球",
    "错": "错", "发错": "错", "少发": "少", "少": "少", "偏小": "偏小", "偏大": "偏大",
    "贵": "贵", "不值": "贵",
    "脏": "脏", "臭": "异味", "异味": "异味",
    "吵": "吵", "慢": "慢", "没收到": "慢", "不发货": "慢", "没发货": "慢", "没到货": "慢",
    "不理": "态度差", "不理人": "态度差", "没理": "态度差", "不回复": "态度差", "没回复": "态度差",
    "推诿": "售后差", "延迟": "慢", "离谱": "贵", "廉价": "次品", "空洞": "空洞",
    "缩水": "偏小", "失灵": "难用", "头皮屑": "过敏", "掉发": "过敏", "干": "过敏",
    "难用": "难用", "异响": "吵", "杂音": "吵", "虫": "脏", "漏光": "瑕疵",
    "不处理": "售后差", "不解决": "售后差", "没解决": "售后差", "不退款": "售后差",
    "没退款": "售后差", "不退货": "售后差", "不换货": "售后差", "不保修": "售后差",
}

# Targets that name the same thing, for grouping (灯光 / 光线 / 灯): each maps to one name.
TARGET_CLASSES: Final[dict[str, str]] = _canon({
    "灯光": ("光线", "灯", "照明", "亮度", "灯泡", "光"),
    "物流": ("快递", "送货", "配送", "发货", "到货", "派送", "运送", "邮寄", "速递", "快递员",
             "送餐", "外卖", "骑手"),
    # 服务差 and 服务态度差 are one complaint on a manager's whiteboard.
    "态度": ("服务态度", "服务员态度", "脸色", "服务", "服务质量", "服务水平"),
    "价格": ("价钱", "价", "售价", "房价", "定价", "价位"),
    "分量": ("份量", "量", "菜量"),
    "赠品": ("礼品", "礼物", "小礼品"),
    "出餐": ("上菜", "出菜", "做菜", "等餐", "上餐"),
    "电池": ("续航", "电量", "待机", "电池续航"),
    "屏幕": ("屏", "显示屏", "触屏", "触摸屏", "显示"),
    "包装": ("外包装", "包装盒", "盒子", "箱子", "纸箱", "包裹"),
    "味道": ("口味", "口感", "味儿"),
    "房间": ("客房", "屋子", "房子", "卧室"),
    "卫生": ("环境卫生",),
    "早餐": ("早饭", "早点", "自助餐"),
    "尺码": ("码", "尺寸", "号码", "码数", "号", "大小"),
    "质量": ("品质", "做工", "质地", "材质"),
    "客服": ("售后", "售后服务", "客服人员"),
    "隔音": ("隔音效果",),
    "镜子": ("镜面", "试衣镜", "穿衣镜"),
    "水果": ("苹果", "橙子", "芒果", "猕猴桃", "橘子", "桔子", "香蕉", "梨"),
    "衣服": ("衣物", "上衣", "裤子", "外套"),
})

# Verbs and verbal nouns that are a topic in reviews (出餐 慢, 包装 破损): jieba tags them as verbs.
VERBAL_TARGETS: Final[frozenset[str]] = frozenset({
    "出餐", "上菜", "出菜", "做工", "包装", "快递", "配送", "送货", "发货", "到货", "物流", "操作",
    "安装", "售后", "服务", "调节", "充电", "散热", "待机", "续航", "隔音", "制冷", "加热", "排水",
    "办理", "入住", "退房", "结账", "排队", "收银", "接待", "装修", "印刷", "翻译", "排版", "设计",
    "运输", "退货", "换货", "退款", "维修", "保修", "客服", "洗护", "做菜", "描述", "宣传",
})

# Pairs the segmenter splits that make one complaint (掉 毛, 起 球, 降 了).
SPLIT_PREDICATES: Final[dict[str, dict[str, str]]] = {
    "掉": {"毛": "掉毛", "色": "掉色", "漆": "掉漆", "皮": "掉皮"},
    "粘": {"毛": "粘毛", "灰": "粘灰"},
    "起": {"球": "起球", "毛": "起球", "皮": "起皮", "皱": "起皱"},
    "降": {"了": "降价", "价": "降价"},
    "涨": {"了": "涨价", "价": "涨价"},
    # 三天才到, 今天才收到: late, said of the arrival (see LATE_PAIRS and LATE_AFTER).
    "才": {"到": "才到", "收到": "才到", "送到": "才到", "到货": "才到", "发货": "才发货"},
}
# Pairs above that are a complaint only at the end of a clause (三天才到 but not 晚上才到酒店), of
# the delivery they imply unless a delivery word is their target (快递三天才到 → 快递慢).
LATE_PAIRS: Final[dict[str, str]] = {"才到": "到货", "才发货": "发货"}
# …and only after a span of time or a date (三天才到, 26号才收到): after a time of day (晚上十点
# 才到) it is the customer who arrived, and 今天才收到 is as often "only just got it".
LATE_AFTER: Final[tuple[str, ...]] = ("天", "周", "月", "号", "日", "星期", "礼拜", "小时", "分钟")
# After hours or minutes, only a delivery (四十分钟才送到): 走了二十分钟才到 is the customer.
LATE_AFTER_DELIVERED: Final[tuple[str, ...]] = ("小时", "分钟")
NOT_LATE_AFTER: Final[frozenset[str]] = frozenset({
    "今天", "昨天", "前天", "当天", "这两天", "这几天", "那天", "白天",
})
# Words that say something only under a negation and of a target: 颜色不一样 is a complaint
# (jieba cuts it 不 一样), 一样的价格 and 感觉不一样 nothing. The value is the negative predicate
# the negation makes.
NEGATED_ONLY: Final[dict[str, str]] = {"一样": "不符", "一致": "不符", "相符": "不符"}
# …and those whose second half is a number (降 50 块).
BEFORE_NUMBER_PREDICATES: Final[dict[str, str]] = {"降": "降价", "涨": "涨价"}

# Items a seller sends along: "没送 X" / "X 没给" means the item is missing (无X).
SUPPLY_VERBS: Final[frozenset[str]] = frozenset({
    "送", "给", "发", "配", "带", "开", "寄", "附", "有", "附带", "赠送", "提供",
})
